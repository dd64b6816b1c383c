/* tcp_cb.c - one TCP connection's state machine.  See tcp_cb.h; section
 * numbers are RFC 9293's unless another RFC is named. */
#include "tcp_cb.h"

#include <string.h>

#define NEVER MIRA_TIME_NEVER

static uint32_t min32(uint32_t a, uint32_t b) { return a < b ? a : b; }
static uint32_t max32(uint32_t a, uint32_t b) { return a > b ? a : b; }

const char *tcp_state_name(enum tcp_state st)
{
    static const char *const names[] = {
        "CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
        "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT",
    };
    return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}

void tcp_config_default(struct tcp_config *cfg)
{
    *cfg = (struct tcp_config){
        .mss = 1460,
        .mss_max_send = 1460,
        .nodelay = false,
        .rto_initial = MIRA_SECONDS(1),
        .rto_min = MIRA_MILLISECONDS(200),
        .rto_max = MIRA_SECONDS(60),
        .delack = MIRA_MILLISECONDS(40),
        .msl = MIRA_SECONDS(30),
        .fin_wait_2 = MIRA_SECONDS(60),
        .max_retries = 12,
        .max_syn_retries = 6,
    };
}

/* --- byte rings --- */

static void ring_put(struct tcp_ring *r, uint32_t off, const uint8_t *src, uint32_t n)
{
    uint32_t pos = (uint32_t)(((uint64_t)r->head + off) % r->cap);
    uint32_t first = min32(n, r->cap - pos);
    memcpy(r->buf + pos, src, first);
    memcpy(r->buf, src + first, n - first);
}

void tcp_ring_copy_out(const struct tcp_ring *r, uint32_t off, void *dst, uint32_t len)
{
    uint32_t pos = (uint32_t)(((uint64_t)r->head + off) % r->cap);
    uint32_t first = min32(len, r->cap - pos);
    memcpy(dst, r->buf + pos, first);
    memcpy((uint8_t *)dst + first, r->buf, len - first);
}

static void ring_consume(struct tcp_ring *r, uint32_t n)
{
    r->head = (uint32_t)(((uint64_t)r->head + n) % r->cap);
    r->len -= n;
}

/* --- setup --- */

void tcp_cb_init(struct tcp_cb *cb, const struct tcp_config *cfg, uint16_t sport, uint16_t dport,
                 uint8_t *sndbuf, uint32_t sndcap, uint8_t *rcvbuf, uint32_t rcvcap,
                 tcp_output_fn output, void *ctx)
{
    memset(cb, 0, sizeof(*cb));
    cb->state = TCP_CLOSED;
    cb->cfg = *cfg;
    cb->sport = sport;
    cb->dport = dport;
    cb->snd = (struct tcp_ring){ .buf = sndbuf, .cap = sndcap };
    cb->rcv = (struct tcp_ring){ .buf = rcvbuf, .cap = rcvcap };
    /* The smallest shift that lets the window cover the whole ring. */
    while (cb->rcv_wscale < MIRA_TCP_MAX_WSCALE && ((uint32_t)65535 << cb->rcv_wscale) < rcvcap)
        cb->rcv_wscale++;
    cb->snd_mss = 536; /* RFC 9293 3.7.1: without the option */
    cb->rto = cfg->rto_initial;
    cb->ssthresh = UINT32_MAX / 2;
    cb->rtx_at = cb->persist_at = cb->delack_at = cb->end_at = NEVER;
    cb->output = output;
    cb->ctx = ctx;
}

static void start_seq(struct tcp_cb *cb, uint32_t iss)
{
    cb->iss = iss;
    cb->snd_una = cb->snd_nxt = cb->snd_max = iss;
    cb->snd_buf_seq = iss + 1;
    cb->recover = iss;
}

void tcp_cb_listen(struct tcp_cb *cb, uint32_t iss)
{
    start_seq(cb, iss);
    cb->passive = true;
    cb->state = TCP_LISTEN;
}

bool tcp_cb_synchronized(const struct tcp_cb *cb)
{
    return cb->state >= TCP_ESTABLISHED;
}

/* --- sending --- */

/* The window field we advertise, and RCV.ADV moved to its right edge.
 * The right edge never moves left (3.8.6.2.2 "shrinking the window"); it
 * moves right only by a useful amount (receiver silly window avoidance). */
static uint16_t window_field(struct tcp_cb *cb, bool syn)
{
    uint32_t space = cb->rcv.cap - cb->rcv.len;
    if (syn) {
        uint32_t w = min32(space, 65535);
        cb->rcv_adv = cb->rcv_nxt + w;
        return (uint16_t)w;
    }
    uint8_t shift = cb->wscale_ok ? cb->rcv_wscale : 0;
    uint32_t cur = tcp_seq_gt(cb->rcv_adv, cb->rcv_nxt) ? cb->rcv_adv - cb->rcv_nxt : 0;
    uint32_t w = min32(space, (uint32_t)65535 << shift);
    uint32_t step = min32(cb->rcv.cap / 2, cb->cfg.mss);
    if (w > cur && w - cur < step)
        w = cur;
    /* Rounded down to the scale, the edge shown may lie up to 2^shift - 1
     * left of one shown before (RFC 7323 2.4 allows it: rounding up would
     * promise room the ring does not have).  RCV.ADV keeps the furthest
     * edge ever shown, and what lies before it is accepted (2.4 rule 1). */
    uint32_t field = w >> shift;
    if (tcp_seq_gt(cb->rcv_nxt + (field << shift), cb->rcv_adv))
        cb->rcv_adv = cb->rcv_nxt + (field << shift);
    return (uint16_t)field;
}

/* Emits one segment: flags, from seq, with data_len bytes of the send
 * ring (from seq's offset).  Every segment but a SYN carries the ACK. */
static void emit(struct tcp_cb *cb, uint32_t seq, uint8_t flags, uint32_t data_len)
{
    struct mira_tcp_hdr h = { .sport = cb->sport, .dport = cb->dport, .seq = seq, .flags = flags };
    bool syn = (flags & MIRA_TCP_SYN) != 0;
    if (flags & MIRA_TCP_ACK) {
        h.ack = cb->rcv_nxt;
        h.window = window_field(cb, syn);
        cb->ack_now = false;
        cb->unacked_segs = 0;
        cb->delack_at = NEVER;
    }
    if (syn) {
        h.opts.present = MIRA_TCP_HAS_MSS;
        h.opts.mss = cb->cfg.mss;
        /* Active: always offer; passive: only when the peer did (7323 2.2). */
        if (!cb->passive || cb->wscale_ok) {
            h.opts.present |= MIRA_TCP_HAS_WSCALE;
            h.opts.wscale = cb->rcv_wscale;
        }
    }
    uint32_t off = data_len ? seq - cb->snd_buf_seq : 0;
    cb->output(cb->ctx, cb, &h, off, data_len);
}

static void send_rst(struct tcp_cb *cb, uint32_t seq)
{
    struct mira_tcp_hdr h = { .sport = cb->sport, .dport = cb->dport, .seq = seq,
                              .flags = MIRA_TCP_RST };
    cb->output(cb->ctx, cb, &h, 0, 0);
}

/* The state lets our FIN go (once the data before it has). */
static bool fin_state(const struct tcp_cb *cb)
{
    return cb->fin_queued && (cb->state == TCP_FIN_WAIT_1 || cb->state == TCP_CLOSING ||
                              cb->state == TCP_LAST_ACK);
}

static uint32_t fin_seq(const struct tcp_cb *cb)
{
    return cb->snd_buf_seq + cb->snd.len;
}

static bool fin_acked(const struct tcp_cb *cb)
{
    return cb->fin_queued && cb->snd.len == 0 && cb->snd_una == cb->snd_buf_seq + 1;
}

/* Sends the segment that starts at snd_nxt: a SYN in the SYN states,
 * else up to max_len data bytes (the send ring from snd_nxt) and the FIN
 * when it fits; advances snd_nxt and snd_max.  force: ignore Nagle and
 * SWS (retransmissions, probes).  Returns the sequence space sent. */
static uint32_t send_at_nxt(struct tcp_cb *cb, uint32_t max_len, bool force, mira_time_t now)
{
    if (cb->state == TCP_SYN_SENT || cb->state == TCP_SYN_RECEIVED) {
        if (cb->snd_nxt != cb->iss)
            return 0;
        emit(cb, cb->iss, cb->state == TCP_SYN_SENT ? MIRA_TCP_SYN : MIRA_TCP_SYN | MIRA_TCP_ACK, 0);
        if (cb->retries == 0 && !cb->rtt_timing) {
            cb->rtt_timing = true;
            cb->rtt_seq = cb->iss + 1;
            cb->rtt_start = now;
        }
        cb->snd_nxt = cb->iss + 1;
        if (tcp_seq_gt(cb->snd_nxt, cb->snd_max))
            cb->snd_max = cb->snd_nxt;
        return 1;
    }
    if (cb->state < TCP_ESTABLISHED || cb->state == TCP_TIME_WAIT || cb->state == TCP_FIN_WAIT_2)
        return 0;
    uint32_t off = cb->snd_nxt - cb->snd_buf_seq;
    if (tcp_seq_lt(cb->snd_nxt, cb->snd_buf_seq) || off > cb->snd.len)
        return 0; /* everything (FIN included) has been sent */
    uint32_t avail = cb->snd.len - off;
    uint32_t len = min32(min32(avail, cb->snd_mss), max_len);
    bool fin = fin_state(cb) && len == avail;
    if (len == 0 && !fin)
        return 0;
    if (!force && !fin && len < cb->snd_mss) {
        uint32_t in_flight = cb->snd_nxt - cb->snd_una;
        bool all = len == avail;
        /* 3.8.6.2.1 and Nagle (RFC 896): a short segment goes when it is
         * all there is and Nagle allows it, when it is half the largest
         * window seen, or when nothing is in flight (then no ACK would
         * come to clock it out: the window itself is what is short). */
        bool ok = (all && cb->cfg.nodelay) || in_flight == 0 ||
                  (cb->max_snd_wnd > 0 && len >= cb->max_snd_wnd / 2);
        if (!ok)
            return 0;
    }
    uint8_t flags = MIRA_TCP_ACK;
    if (len > 0 && len == avail)
        flags |= MIRA_TCP_PSH;
    if (fin)
        flags |= MIRA_TCP_FIN;
    bool new_data = cb->snd_nxt == cb->snd_max;
    emit(cb, cb->snd_nxt, flags, len);
    if (new_data && !cb->rtt_timing && len > 0) {
        cb->rtt_timing = true;
        cb->rtt_seq = cb->snd_nxt + len;
        cb->rtt_start = now;
    }
    uint32_t used = len + (fin ? 1 : 0);
    cb->snd_nxt += used;
    if (tcp_seq_gt(cb->snd_nxt, cb->snd_max))
        cb->snd_max = cb->snd_nxt;
    return used;
}

/* Sends what the windows, Nagle and the pending ACK call for. */
static void output(struct tcp_cb *cb, mira_time_t now)
{
    if (cb->state == TCP_CLOSED || cb->state == TCP_LISTEN)
        return;
    for (;;) {
        uint32_t wnd = min32(cb->snd_wnd, cb->cwnd);
        if (cb->state == TCP_SYN_SENT || cb->state == TCP_SYN_RECEIVED)
            wnd = 1;
        uint32_t in_flight = cb->snd_nxt - cb->snd_una;
        uint32_t usable = wnd > in_flight ? wnd - in_flight : 0;
        /* A FIN needs no window. */
        if (usable == 0 && !(fin_state(cb) && cb->snd_nxt == fin_seq(cb)))
            break;
        if (send_at_nxt(cb, usable, false, now) == 0)
            break;
    }
    /* A pure ACK carries SND.MAX, not SND.NXT (as BSD's tcp_output does):
     * while retransmitting, SND.NXT is back inside what the peer has
     * already received, and a peer that checks the sequence number of an
     * empty segment (Linux: older than its RCV.WUP) drops it, ACK field
     * and all - it would never learn what we received. */
    if (cb->ack_now && cb->state != TCP_SYN_SENT)
        emit(cb, cb->snd_max, MIRA_TCP_ACK, 0);
}

/* Arms or stops the retransmission and persist timers after any event:
 * retransmission while something sent is unacknowledged and the peer's
 * window is open (or only SYN/FIN is outstanding), persist while data
 * waits behind a zero window. */
static void timers_update(struct tcp_cb *cb, mira_time_t now)
{
    if (cb->state == TCP_CLOSED || cb->state == TCP_LISTEN || cb->state == TCP_TIME_WAIT) {
        cb->rtx_at = cb->persist_at = cb->delack_at = NEVER;
        if (cb->state != TCP_TIME_WAIT)
            cb->end_at = NEVER;
        return;
    }
    bool outstanding = cb->snd_max != cb->snd_una;
    bool synced = cb->state >= TCP_ESTABLISHED;
    if (synced && cb->snd_wnd == 0 && cb->snd.len > 0) {
        cb->rtx_at = NEVER;
        if (cb->persist_at == NEVER) {
            mira_time_t t = cb->rto;
            for (unsigned i = 0; i < cb->persist_shift && t < cb->cfg.rto_max; i++)
                t *= 2;
            if (t > cb->cfg.rto_max)
                t = cb->cfg.rto_max;
            cb->persist_at = mira_time_add(now, t);
        }
        return;
    }
    cb->persist_at = NEVER;
    if (!outstanding)
        cb->rtx_at = NEVER;
    else if (cb->rtx_at == NEVER)
        cb->rtx_at = mira_time_add(now, cb->rto);
}

/* --- the app's side --- */

void tcp_cb_connect(struct tcp_cb *cb, uint32_t iss, mira_time_t now)
{
    start_seq(cb, iss);
    cb->passive = false;
    cb->state = TCP_SYN_SENT;
    output(cb, now);
    timers_update(cb, now);
}

bool tcp_cb_can_write(const struct tcp_cb *cb)
{
    return !cb->fin_queued && cb->error == 0 &&
           (cb->state == TCP_SYN_SENT || cb->state == TCP_SYN_RECEIVED ||
            cb->state == TCP_ESTABLISHED || cb->state == TCP_CLOSE_WAIT);
}

long tcp_cb_write(struct tcp_cb *cb, const void *buf, size_t len, mira_time_t now)
{
    if (!tcp_cb_can_write(cb))
        return MIRA_ECLOSED;
    uint32_t n = (uint32_t)(len < tcp_cb_send_space(cb) ? len : tcp_cb_send_space(cb));
    ring_put(&cb->snd, cb->snd.len, buf, n);
    cb->snd.len += n;
    output(cb, now);
    timers_update(cb, now);
    return n;
}

size_t tcp_cb_read(struct tcp_cb *cb, void *buf, size_t len, mira_time_t now)
{
    uint32_t n = (uint32_t)(len < cb->rcv.len ? len : cb->rcv.len);
    if (n == 0)
        return 0;
    tcp_ring_copy_out(&cb->rcv, 0, buf, n);
    /* Out-of-order bytes sit at fixed distances from RCV.NXT, which a read
     * does not move: the ring's head moves, its end (RCV.NXT's slot) stays. */
    ring_consume(&cb->rcv, n);
    if (tcp_cb_synchronized(cb) && !cb->fin_received) {
        /* Tell the peer when the window opens by a useful amount (3.8.6.2.2). */
        uint32_t cur = tcp_seq_gt(cb->rcv_adv, cb->rcv_nxt) ? cb->rcv_adv - cb->rcv_nxt : 0;
        uint32_t space = cb->rcv.cap - cb->rcv.len;
        uint32_t step = min32(cb->rcv.cap / 2, cb->cfg.mss);
        if (space > cur && space - cur >= step) {
            cb->ack_now = true;
            output(cb, now);
            timers_update(cb, now);
        }
    }
    return n;
}

int tcp_cb_shutdown(struct tcp_cb *cb, mira_time_t now)
{
    if (cb->fin_queued || cb->error != 0 || cb->state == TCP_CLOSED || cb->state == TCP_LISTEN)
        return MIRA_ECLOSED;
    cb->fin_queued = true;
    if (cb->state == TCP_ESTABLISHED)
        cb->state = TCP_FIN_WAIT_1;
    else if (cb->state == TCP_CLOSE_WAIT)
        cb->state = TCP_LAST_ACK;
    /* SYN-SENT, SYN-RECEIVED: the FIN waits for ESTABLISHED (3.10.4). */
    output(cb, now);
    timers_update(cb, now);
    return 0;
}

static void enter_closed(struct tcp_cb *cb, int error)
{
    if (cb->state != TCP_CLOSED && cb->error == 0)
        cb->error = error;
    cb->state = TCP_CLOSED;
    cb->rtx_at = cb->persist_at = cb->delack_at = cb->end_at = NEVER;
    cb->wake |= TCP_WAKE_READ | TCP_WAKE_WRITE | TCP_WAKE_STATE;
}

void tcp_cb_drop(struct tcp_cb *cb, int error)
{
    enter_closed(cb, error);
}

void tcp_cb_abort(struct tcp_cb *cb)
{
    if (cb->state >= TCP_SYN_RECEIVED && cb->state != TCP_TIME_WAIT)
        send_rst(cb, cb->snd_max);
    enter_closed(cb, MIRA_ECLOSED);
}

void tcp_cb_close(struct tcp_cb *cb, mira_time_t now)
{
    cb->orphan = true;
    if (cb->rcv.len > 0) {
        tcp_cb_abort(cb);
        return;
    }
    switch (cb->state) {
    case TCP_LISTEN:
    case TCP_SYN_SENT:
        enter_closed(cb, MIRA_ECLOSED);
        return;
    case TCP_SYN_RECEIVED:
    case TCP_ESTABLISHED:
    case TCP_CLOSE_WAIT:
        if (!cb->fin_queued)
            tcp_cb_shutdown(cb, now);
        return;
    case TCP_FIN_WAIT_2:
        cb->end_at = mira_time_add(now, cb->cfg.fin_wait_2);
        return;
    default:
        return;
    }
}

/* --- timers --- */

mira_time_t tcp_cb_deadline(const struct tcp_cb *cb)
{
    mira_time_t t = cb->rtx_at;
    if (cb->persist_at < t)
        t = cb->persist_at;
    if (cb->delack_at < t)
        t = cb->delack_at;
    if (cb->end_at < t)
        t = cb->end_at;
    return t;
}

static mira_time_t backoff(const struct tcp_cb *cb)
{
    mira_time_t r = cb->rto * 2;
    return r > cb->cfg.rto_max ? cb->cfg.rto_max : r;
}

static uint32_t flight_half(const struct tcp_cb *cb)
{
    uint32_t flight = cb->snd_max - cb->snd_una;
    return max32(flight / 2, 2u * cb->snd_mss);
}

static void on_rto(struct tcp_cb *cb, mira_time_t now)
{
    bool syn = cb->state == TCP_SYN_SENT || cb->state == TCP_SYN_RECEIVED;
    if (++cb->retries > (syn ? cb->cfg.max_syn_retries : cb->cfg.max_retries)) {
        enter_closed(cb, MIRA_ETIMEDOUT);
        return;
    }
    cb->stat_rto++;
    cb->stat_rexmit++;
    cb->rto = backoff(cb);            /* RFC 6298 5.5 */
    cb->rtt_timing = false;           /* Karn: never time a retransmission */
    if (syn) {
        cb->snd_nxt = cb->iss;
    } else {
        /* RFC 5681 3.1 eq. 4, loss window of one segment; go back to SND.UNA. */
        cb->ssthresh = flight_half(cb);
        cb->cwnd = cb->snd_mss;
        cb->dupacks = 0;
        cb->in_recovery = false;
        cb->recover = cb->snd_max;
        cb->snd_nxt = cb->snd_una;
    }
    send_at_nxt(cb, syn ? 1 : cb->snd_mss, true, now);
    cb->rtx_at = mira_time_add(now, cb->rto);
}

static void on_persist(struct tcp_cb *cb, mira_time_t now)
{
    if (cb->snd_wnd != 0 || cb->snd.len == 0 || cb->state < TCP_ESTABLISHED)
        return;
    if (++cb->persist_probes > cb->cfg.max_retries) {
        enter_closed(cb, MIRA_ETIMEDOUT);
        return;
    }
    if (cb->persist_shift < 16)
        cb->persist_shift++;
    /* One byte past the window (3.8.6.1); the same byte again each time. */
    cb->snd_nxt = cb->snd_una;
    if (tcp_seq_lt(cb->snd_nxt, cb->snd_buf_seq))
        return;
    send_at_nxt(cb, 1, true, now);
}

void tcp_cb_timer(struct tcp_cb *cb, mira_time_t now)
{
    if (cb->end_at <= now) {
        enter_closed(cb, 0);
        return;
    }
    if (cb->delack_at <= now) {
        cb->delack_at = NEVER;
        cb->ack_now = true;
    }
    if (cb->rtx_at <= now) {
        cb->rtx_at = NEVER;
        on_rto(cb, now);
        if (cb->state == TCP_CLOSED)
            return;
    }
    if (cb->persist_at <= now) {
        cb->persist_at = NEVER;
        on_persist(cb, now);
        if (cb->state == TCP_CLOSED)
            return;
    }
    output(cb, now);
    timers_update(cb, now);
}

/* --- receiving --- */

bool tcp_rst_reply(const struct mira_tcp_hdr *h, struct mira_tcp_hdr *rst)
{
    if (h->flags & MIRA_TCP_RST)
        return false;
    *rst = (struct mira_tcp_hdr){ .sport = h->dport, .dport = h->sport };
    if (h->flags & MIRA_TCP_ACK) {
        rst->seq = h->ack;
        rst->flags = MIRA_TCP_RST;
    } else {
        rst->seq = 0;
        rst->ack = h->seq + (uint32_t)h->data_len + ((h->flags & MIRA_TCP_SYN) ? 1 : 0) +
                   ((h->flags & MIRA_TCP_FIN) ? 1 : 0);
        rst->flags = MIRA_TCP_RST | MIRA_TCP_ACK;
    }
    return true;
}

/* RFC 5961 3.2, 4.2, 5.2: answer with an ACK that tells a blind attacker
 * nothing and a real peer where we are. */
static void challenge_ack(struct tcp_cb *cb)
{
    cb->stat_challenge_acks++;
    cb->ack_now = true;
}

/* The SYN's options: MSS and window scale (3.7.1, RFC 7323 2.2). */
static void take_syn_options(struct tcp_cb *cb, const struct mira_tcp_hdr *h)
{
    uint16_t mss = (h->opts.present & MIRA_TCP_HAS_MSS) ? h->opts.mss : 536;
    if (mss < 64)
        mss = 64; /* a tiny MSS would make us send a flood of tiny segments */
    cb->snd_mss = (uint16_t)min32(mss, cb->cfg.mss_max_send);
    if (h->opts.present & MIRA_TCP_HAS_WSCALE) {
        cb->wscale_ok = true;
        cb->snd_wscale = h->opts.wscale;
    } else {
        cb->wscale_ok = false;
        cb->snd_wscale = 0;
        cb->rcv_wscale = 0;
    }
    cb->irs = h->seq;
    cb->rcv_nxt = h->seq + 1;
    cb->rcv_adv = cb->rcv_nxt;
    /* RFC 6928's initial window, as Linux. */
    cb->cwnd = 10u * cb->snd_mss;
}

static void set_window(struct tcp_cb *cb, const struct mira_tcp_hdr *h)
{
    uint32_t w = (h->flags & MIRA_TCP_SYN) ? h->window : (uint32_t)h->window << cb->snd_wscale;
    cb->snd_wnd = w;
    cb->snd_wl1 = h->seq;
    cb->snd_wl2 = h->ack;
    if (w > cb->max_snd_wnd)
        cb->max_snd_wnd = w;
    if (w > 0)
        cb->persist_shift = 0;
}

static void rtt_sample(struct tcp_cb *cb, mira_time_t now)
{
    mira_time_t r = now - cb->rtt_start;
    if (r < 0)
        r = 0;
    if (!cb->have_rtt) { /* RFC 6298 2.2 */
        cb->srtt = r;
        cb->rttvar = r / 2;
        cb->have_rtt = true;
    } else {             /* 2.3, alpha 1/8, beta 1/4 */
        mira_time_t d = cb->srtt > r ? cb->srtt - r : r - cb->srtt;
        cb->rttvar = (3 * cb->rttvar + d) / 4;
        cb->srtt = (7 * cb->srtt + r) / 8;
    }
    mira_time_t rto = cb->srtt + (4 * cb->rttvar > MIRA_MILLISECONDS(1) ? 4 * cb->rttvar
                                                                      : MIRA_MILLISECONDS(1));
    if (rto < cb->cfg.rto_min)
        rto = cb->cfg.rto_min;
    if (rto > cb->cfg.rto_max)
        rto = cb->cfg.rto_max;
    cb->rto = rto;
    cb->rtt_timing = false;
}

/* SND.UNA moves to ack (SND.UNA < ack <= SND.MAX): the send ring lets go of
 * what it acknowledges, the round trip and congestion window learn. */
static void new_ack(struct tcp_cb *cb, uint32_t ack, mira_time_t now)
{
    uint32_t acked = ack - cb->snd_una;
    if (tcp_seq_gt(ack, cb->snd_buf_seq)) {
        uint32_t n = min32(ack - cb->snd_buf_seq, cb->snd.len);
        ring_consume(&cb->snd, n);
        cb->snd_buf_seq += n;
        if (n > 0)
            cb->wake |= TCP_WAKE_WRITE;
    }
    cb->snd_una = ack;
    if (tcp_seq_lt(cb->snd_nxt, ack))
        cb->snd_nxt = ack;
    if (cb->rtt_timing && tcp_seq_ge(ack, cb->rtt_seq))
        rtt_sample(cb, now);
    cb->retries = 0;
    if (cb->in_recovery) {
        if (tcp_seq_ge(ack, cb->recover)) {
            /* RFC 6582 3.2 step 3, full acknowledgment. */
            uint32_t flight = cb->snd_max - cb->snd_una;
            cb->cwnd = min32(cb->ssthresh, max32(flight, cb->snd_mss) + cb->snd_mss);
            cb->in_recovery = false;
            cb->dupacks = 0;
        } else {
            /* Partial acknowledgment: the next hole goes now, the window
             * deflates by what was acknowledged (step 3, partial). */
            uint32_t save = cb->snd_nxt;
            cb->snd_nxt = cb->snd_una;
            send_at_nxt(cb, cb->snd_mss, true, now);
            cb->stat_rexmit++;
            if (tcp_seq_gt(save, cb->snd_nxt))
                cb->snd_nxt = save;
            cb->cwnd = (cb->cwnd > acked ? cb->cwnd - acked : 0) + cb->snd_mss;
            cb->rtx_at = mira_time_add(now, cb->rto);
            return;
        }
    } else {
        cb->dupacks = 0;
        if (cb->cwnd < cb->ssthresh)
            cb->cwnd += min32(acked, cb->snd_mss);                    /* slow start */
        else
            cb->cwnd += max32(1, (uint32_t)((uint64_t)cb->snd_mss * cb->snd_mss / cb->cwnd));
    }
    /* RFC 6298 5.2, 5.3. */
    cb->rtx_at = cb->snd_una == cb->snd_max ? NEVER : mira_time_add(now, cb->rto);
}

/* A duplicate ACK (RFC 5681 2): fast retransmit at the third, NewReno's
 * recovery from there (RFC 6582 3.2). */
static void dup_ack(struct tcp_cb *cb, mira_time_t now)
{
    cb->dupacks++;
    if (cb->in_recovery) {
        cb->cwnd += cb->snd_mss;
        return;
    }
    /* Step 2: only when the ACK covers more than recover (not a loss
     * from the window the last recovery or timeout already handled). */
    if (cb->dupacks != 3 || !tcp_seq_gt(cb->snd_una, cb->recover))
        return;
    cb->ssthresh = flight_half(cb);
    cb->recover = cb->snd_max;
    cb->in_recovery = true;
    uint32_t save = cb->snd_nxt;
    cb->snd_nxt = cb->snd_una;
    cb->rtt_timing = false;
    send_at_nxt(cb, cb->snd_mss, true, now);
    cb->stat_rexmit++;
    cb->stat_fast_rexmit++;
    if (tcp_seq_gt(save, cb->snd_nxt))
        cb->snd_nxt = save;
    cb->cwnd = cb->ssthresh + 3u * cb->snd_mss;
    cb->rtx_at = mira_time_add(now, cb->rto);
}

static void ooo_remove(struct tcp_cb *cb, unsigned i)
{
    memmove(&cb->ooo[i], &cb->ooo[i + 1], (cb->ooo_count - i - 1) * sizeof(cb->ooo[0]));
    cb->ooo_count--;
}

/* Records [left, right) as held out of order; false when it would need a
 * range more than TCP_OOO_MAX (the bytes are then not kept). */
static bool ooo_add(struct tcp_cb *cb, uint32_t left, uint32_t right)
{
    unsigned i = 0;
    while (i < cb->ooo_count && tcp_seq_lt(cb->ooo[i].right, left))
        i++;
    /* Ranges from i on start at or after... merge those that touch. */
    if (i < cb->ooo_count && tcp_seq_le(cb->ooo[i].left, right)) {
        if (tcp_seq_lt(left, cb->ooo[i].left))
            cb->ooo[i].left = left;
        if (tcp_seq_gt(right, cb->ooo[i].right))
            cb->ooo[i].right = right;
        while (i + 1 < cb->ooo_count && tcp_seq_le(cb->ooo[i + 1].left, cb->ooo[i].right)) {
            if (tcp_seq_gt(cb->ooo[i + 1].right, cb->ooo[i].right))
                cb->ooo[i].right = cb->ooo[i + 1].right;
            ooo_remove(cb, i + 1);
        }
        return true;
    }
    if (cb->ooo_count == TCP_OOO_MAX)
        return false;
    memmove(&cb->ooo[i + 1], &cb->ooo[i], (cb->ooo_count - i) * sizeof(cb->ooo[0]));
    cb->ooo[i] = (struct tcp_range){ left, right };
    cb->ooo_count++;
    return true;
}

/* The peer's FIN, in order (3.10.7.4 eighth). */
static void take_fin(struct tcp_cb *cb, mira_time_t now)
{
    if (cb->fin_received)
        return;
    cb->fin_received = true;
    cb->rcv_nxt++;
    /* Nothing lies beyond the end of the stream: bytes a broken peer sent
     * past its FIN are forgotten. */
    cb->ooo_count = 0;
    cb->ooo_fin = false;
    if (tcp_seq_lt(cb->rcv_adv, cb->rcv_nxt))
        cb->rcv_adv = cb->rcv_nxt;
    cb->ack_now = true;
    cb->wake |= TCP_WAKE_READ;
    switch (cb->state) {
    case TCP_SYN_RECEIVED:
    case TCP_ESTABLISHED:
        cb->state = TCP_CLOSE_WAIT;
        break;
    case TCP_FIN_WAIT_1:
        cb->state = TCP_CLOSING;
        break;
    case TCP_FIN_WAIT_2:
        cb->state = TCP_TIME_WAIT;
        cb->end_at = mira_time_add(now, 2 * cb->cfg.msl);
        break;
    default:
        break;
    }
}

/* Data (and FIN) of an acceptable segment, trimmed to start at or after
 * RCV.NXT and end within the advertised window. */
static void take_data(struct tcp_cb *cb, uint32_t seq, const uint8_t *data, uint32_t len, bool fin,
                      mira_time_t now)
{
    if (cb->fin_received)
        return;
    uint32_t off = seq - cb->rcv_nxt;
    uint32_t space = cb->rcv.cap - cb->rcv.len;
    if (len > 0 && cb->orphan) {
        /* Nobody will read it: tell the peer (Linux, BSD). */
        tcp_cb_abort(cb);
        return;
    }
    if (off >= space && len > 0) {
        cb->ack_now = true;
        cb->stat_dropped++;
        return;
    }
    if (len > space - off) {
        len = space - off;
        fin = false;
    }
    if (off > 0) {
        /* Out of order: keep it where it belongs, ACK at once (a duplicate
         * ACK for the sender's fast retransmit, RFC 5681 4.2). */
        cb->ack_now = true;
        if (len > 0) {
            if (!ooo_add(cb, seq, seq + len)) {
                cb->stat_dropped++;
                return;
            }
            ring_put(&cb->rcv, cb->rcv.len + off, data, len);
        }
        if (fin) {
            cb->ooo_fin = true;
            cb->ooo_fin_seq = seq + len;
        }
        return;
    }
    if (len > 0) {
        ring_put(&cb->rcv, cb->rcv.len, data, len);
        cb->rcv.len += len;
        cb->rcv_nxt += len;
        cb->wake |= TCP_WAKE_READ;
        bool filled = false;
        while (cb->ooo_count > 0 && tcp_seq_le(cb->ooo[0].left, cb->rcv_nxt)) {
            if (tcp_seq_gt(cb->ooo[0].right, cb->rcv_nxt)) {
                cb->rcv.len += cb->ooo[0].right - cb->rcv_nxt;
                cb->rcv_nxt = cb->ooo[0].right;
            }
            ooo_remove(cb, 0);
            filled = true;
        }
        if (filled || cb->ooo_count > 0)
            cb->ack_now = true; /* RFC 5681 4.2: a hole filled, ACK now */
        else if (++cb->unacked_segs >= 2)
            cb->ack_now = true; /* every second segment (RFC 5681 4.2) */
        else if (!cb->ack_now && cb->delack_at == NEVER)
            cb->delack_at = mira_time_add(now, cb->cfg.delack);
    }
    if (cb->ooo_fin && cb->ooo_count == 0 && cb->ooo_fin_seq == cb->rcv_nxt)
        fin = true;
    if (fin)
        take_fin(cb, now);
}

/* The ACK field in a synchronized state (3.10.7.4 fifth, RFC 5961 5.2).
 * False: drop the rest of the segment. */
static bool take_ack(struct tcp_cb *cb, const struct mira_tcp_hdr *h, mira_time_t now)
{
    uint32_t ack = h->ack;
    if (tcp_seq_gt(ack, cb->snd_max) ||
        tcp_seq_lt(ack, cb->snd_una - cb->max_snd_wnd)) {
        challenge_ack(cb);
        return false;
    }
    if (tcp_seq_gt(ack, cb->snd_una)) {
        new_ack(cb, ack, now);
    } else if (ack == cb->snd_una && h->data_len == 0 &&
               !(h->flags & (MIRA_TCP_SYN | MIRA_TCP_FIN)) && cb->snd_max != cb->snd_una &&
               ((uint32_t)h->window << cb->snd_wscale) == cb->snd_wnd && cb->snd_wnd != 0) {
        dup_ack(cb, now);
    }
    /* Window update (3.10.7.4: SND.WL1 < SEG.SEQ, or equal and WL2 =< SEG.ACK). */
    if (tcp_seq_le(cb->snd_una, ack) &&
        (tcp_seq_lt(cb->snd_wl1, h->seq) ||
         (cb->snd_wl1 == h->seq && tcp_seq_le(cb->snd_wl2, ack)))) {
        set_window(cb, h);
    }
    cb->persist_probes = 0; /* the peer is there: probe on (3.8.6.1) */
    if (fin_acked(cb)) {
        switch (cb->state) {
        case TCP_FIN_WAIT_1:
            cb->state = TCP_FIN_WAIT_2;
            if (cb->orphan)
                cb->end_at = mira_time_add(now, cb->cfg.fin_wait_2);
            break;
        case TCP_CLOSING:
            cb->state = TCP_TIME_WAIT;
            cb->end_at = mira_time_add(now, 2 * cb->cfg.msl);
            break;
        case TCP_LAST_ACK:
            enter_closed(cb, 0);
            return false;
        default:
            break;
        }
    }
    return true;
}

static enum tcp_input_result input_listen(struct tcp_cb *cb, const struct mira_tcp_hdr *h,
                                          mira_time_t now)
{
    if (h->flags & MIRA_TCP_RST)
        return TCP_IN_DONE;
    if (h->flags & MIRA_TCP_ACK) {
        send_rst(cb, h->ack);
        enter_closed(cb, 0);
        return TCP_IN_DONE;
    }
    if (!(h->flags & MIRA_TCP_SYN)) {
        enter_closed(cb, 0);
        return TCP_IN_DONE;
    }
    take_syn_options(cb, h);
    cb->snd_wnd = h->window; /* unscaled in a SYN */
    cb->max_snd_wnd = h->window;
    cb->snd_wl1 = h->seq;
    cb->state = TCP_SYN_RECEIVED;
    /* Data on the SYN is not kept: the peer sends it again. */
    output(cb, now);
    timers_update(cb, now);
    return TCP_IN_DONE;
}

static enum tcp_input_result input_syn_sent(struct tcp_cb *cb, const struct mira_tcp_hdr *h,
                                            mira_time_t now)
{
    bool ack = (h->flags & MIRA_TCP_ACK) != 0;
    if (ack && (tcp_seq_le(h->ack, cb->iss) || tcp_seq_gt(h->ack, cb->snd_max))) {
        if (!(h->flags & MIRA_TCP_RST))
            send_rst(cb, h->ack);
        return TCP_IN_DONE;
    }
    if (h->flags & MIRA_TCP_RST) {
        if (ack)
            enter_closed(cb, MIRA_ECONNREFUSED);
        return TCP_IN_DONE;
    }
    if (!(h->flags & MIRA_TCP_SYN))
        return TCP_IN_DONE;
    take_syn_options(cb, h);
    if (!ack) {
        /* Simultaneous open (3.5 figure 7): our SYN again, now with ACK. */
        cb->state = TCP_SYN_RECEIVED;
        cb->snd_wnd = h->window;
        cb->max_snd_wnd = h->window;
        cb->snd_wl1 = h->seq;
        cb->snd_nxt = cb->iss;
        cb->rtt_timing = false;
        output(cb, now);
        timers_update(cb, now);
        return TCP_IN_DONE;
    }
    set_window(cb, h);
    cb->state = TCP_ESTABLISHED;
    cb->wake |= TCP_WAKE_STATE | TCP_WAKE_WRITE;
    new_ack(cb, h->ack, now);
    if (cb->fin_queued)
        cb->state = TCP_FIN_WAIT_1;
    cb->ack_now = true;
    if (h->data_len > 0 || (h->flags & MIRA_TCP_FIN)) {
        uint32_t len = (uint32_t)min32((uint32_t)h->data_len, cb->rcv_adv - cb->rcv_nxt);
        take_data(cb, h->seq + 1, h->data, len, (h->flags & MIRA_TCP_FIN) && len == h->data_len,
                  now);
    }
    output(cb, now);
    timers_update(cb, now);
    return TCP_IN_DONE;
}

enum tcp_input_result tcp_cb_input(struct tcp_cb *cb, const struct mira_tcp_hdr *h, mira_time_t now)
{
    switch (cb->state) {
    case TCP_CLOSED:
        return TCP_IN_DONE;
    case TCP_LISTEN:
        return input_listen(cb, h, now);
    case TCP_SYN_SENT:
        return input_syn_sent(cb, h, now);
    default:
        break;
    }
    uint8_t flags = h->flags;
    uint32_t seq = h->seq;
    const uint8_t *data = h->data;
    uint32_t len = (uint32_t)h->data_len;

    if (cb->state == TCP_TIME_WAIT && (flags & MIRA_TCP_SYN) &&
        !(flags & (MIRA_TCP_ACK | MIRA_TCP_RST)) && tcp_seq_gt(seq, cb->rcv_nxt))
        return TCP_IN_REOPEN;
    if (cb->state == TCP_SYN_RECEIVED && (flags & MIRA_TCP_SYN) && !(flags & MIRA_TCP_ACK) &&
        seq == cb->irs) {
        /* The peer did not get our SYN-ACK: send it again. */
        if (!(flags & MIRA_TCP_RST)) {
            cb->snd_nxt = cb->iss;
            output(cb, now);
            timers_update(cb, now);
        }
        return TCP_IN_DONE;
    }

    /* First: is the sequence number acceptable (3.10.7.4 table 6)? */
    uint32_t seglen = len + ((flags & MIRA_TCP_SYN) ? 1 : 0) + ((flags & MIRA_TCP_FIN) ? 1 : 0);
    uint32_t wnd = tcp_seq_gt(cb->rcv_adv, cb->rcv_nxt) ? cb->rcv_adv - cb->rcv_nxt : 0;
    bool ok;
    bool zero_window_probe = false;
    if (seglen == 0)
        /* An empty segment exactly at the right edge counts too (as in
         * Linux's tcp_sequence): a peer whose data filled our window and
         * was lost sends its ACKs with SEG.SEQ = its SND.NXT = our right
         * edge; refusing them (RFC 9293's strict RCV.NXT =< SEG.SEQ <
         * RCV.NXT+RCV.WND) also refuses their ACK field, and when that
         * peer in turn refuses our segments as old ones (after our RTO
         * went back to SND.UNA) neither side ever learns anything again. */
        ok = wnd == 0 ? seq == cb->rcv_nxt : (seq - cb->rcv_nxt) <= wnd;
    else if (wnd == 0) {
        ok = false;
        /* Special allowance: its ACK and RST still count (3.10.7.4). */
        if (seq == cb->rcv_nxt) {
            ok = zero_window_probe = true;
        }
    } else
        ok = (seq - cb->rcv_nxt) < wnd || (seq + seglen - 1 - cb->rcv_nxt) < wnd;
    if (!ok) {
        if (!(flags & MIRA_TCP_RST)) {
            cb->ack_now = true;
            if (cb->state == TCP_TIME_WAIT && (flags & MIRA_TCP_FIN))
                cb->end_at = mira_time_add(now, 2 * cb->cfg.msl);
            output(cb, now);
            timers_update(cb, now);
        }
        cb->stat_dropped++;
        return TCP_IN_DONE;
    }

    /* Second: RST (RFC 5961 3.2: exactly RCV.NXT, else a challenge ACK). */
    if (flags & MIRA_TCP_RST) {
        if (seq != cb->rcv_nxt) {
            challenge_ack(cb);
            output(cb, now);
            return TCP_IN_DONE;
        }
        int err = MIRA_ECLOSED;
        if (cb->state == TCP_SYN_RECEIVED && !cb->passive)
            err = MIRA_ECONNREFUSED;
        /* CLOSING, LAST-ACK, TIME-WAIT: our side was done anyway. */
        enter_closed(cb, cb->state >= TCP_CLOSING ? 0 : err);
        return TCP_IN_DONE;
    }

    /* Fourth: SYN in a synchronized state (RFC 5961 4.2): challenge ACK. */
    if (flags & MIRA_TCP_SYN) {
        challenge_ack(cb);
        output(cb, now);
        timers_update(cb, now);
        return TCP_IN_DONE;
    }

    /* Trim to what is new and inside the window. */
    if (zero_window_probe) {
        len = 0;
        flags &= (uint8_t)~MIRA_TCP_FIN;
        cb->ack_now = true;
    }
    if (tcp_seq_lt(seq, cb->rcv_nxt)) {
        uint32_t cut = cb->rcv_nxt - seq;
        if (cut >= len) {
            if (cut > len)
                flags &= (uint8_t)~MIRA_TCP_FIN; /* an old FIN */
            data += len;
            len = 0;
        } else {
            data += cut;
            len -= cut;
        }
        seq = cb->rcv_nxt;
        cb->ack_now = true; /* a retransmission: the peer lost our ACK */
    }
    if (len > 0 && (seq + len - cb->rcv_nxt) > wnd) {
        len = wnd - (seq - cb->rcv_nxt);
        flags &= (uint8_t)~MIRA_TCP_FIN;
        cb->ack_now = true;
    }

    /* Fifth: ACK. */
    if (!(flags & MIRA_TCP_ACK))
        return TCP_IN_DONE;
    if (cb->state == TCP_SYN_RECEIVED) {
        if (!tcp_seq_gt(h->ack, cb->snd_una) || tcp_seq_gt(h->ack, cb->snd_max)) {
            send_rst(cb, h->ack);
            return TCP_IN_DONE;
        }
        cb->state = TCP_ESTABLISHED;
        cb->wake |= TCP_WAKE_STATE | TCP_WAKE_WRITE;
        set_window(cb, h);
        new_ack(cb, h->ack, now);
        if (cb->fin_queued)
            cb->state = TCP_FIN_WAIT_1;
    } else if (!take_ack(cb, h, now)) {
        if (cb->state != TCP_CLOSED) {
            output(cb, now);
            timers_update(cb, now);
        }
        return TCP_IN_DONE;
    }
    if (cb->state == TCP_CLOSED)
        return TCP_IN_DONE;

    /* Seventh and eighth: data and FIN. */
    bool fin = (flags & MIRA_TCP_FIN) != 0;
    switch (cb->state) {
    case TCP_ESTABLISHED:
    case TCP_FIN_WAIT_1:
    case TCP_FIN_WAIT_2:
        if (len > 0 || fin)
            take_data(cb, seq, data, len, fin, now);
        break;
    case TCP_TIME_WAIT:
        if (fin) { /* the peer's FIN again: ACK it, wait 2 MSL more */
            cb->ack_now = true;
            cb->end_at = mira_time_add(now, 2 * cb->cfg.msl);
        }
        break;
    default:
        break;
    }
    if (cb->state == TCP_CLOSED)
        return TCP_IN_DONE;
    output(cb, now);
    timers_update(cb, now);
    return TCP_IN_DONE;
}

/* --- invariants --- */

const char *tcp_cb_check(const struct tcp_cb *cb)
{
    if ((unsigned)cb->state > TCP_TIME_WAIT)
        return "state";
    if (cb->snd.len > cb->snd.cap || cb->snd.head >= cb->snd.cap)
        return "send ring bounds";
    if (cb->rcv.len > cb->rcv.cap || cb->rcv.head >= cb->rcv.cap)
        return "receive ring bounds";
    if (cb->error != 0 && cb->state != TCP_CLOSED)
        return "error while open";
    if (cb->snd_wscale > MIRA_TCP_MAX_WSCALE || cb->rcv_wscale > MIRA_TCP_MAX_WSCALE)
        return "window scale";
    if (cb->state == TCP_CLOSED)
        return tcp_cb_deadline(cb) == NEVER ? NULL : "timer armed while closed";
    if (cb->state == TCP_LISTEN)
        return NULL;
    if (!tcp_seq_le(cb->snd_una, cb->snd_nxt) || !tcp_seq_le(cb->snd_nxt, cb->snd_max))
        return "SND.UNA <= SND.NXT <= SND.MAX";
    uint32_t end = cb->snd_buf_seq + cb->snd.len + (cb->fin_queued ? 1 : 0);
    if (tcp_seq_gt(cb->snd_max, end))
        return "sent beyond the data and FIN";
    int32_t d = (int32_t)(cb->snd_buf_seq - cb->snd_una);
    if (d < -1 || d > 1 || (d == 1 && cb->snd_una != cb->iss) || (d == -1 && !fin_acked(cb)))
        return "send ring start vs SND.UNA";
    if (cb->state == TCP_SYN_SENT)
        return NULL;
    if (tcp_seq_lt(cb->rcv_adv, cb->rcv_nxt))
        return "RCV.ADV behind RCV.NXT";
    uint32_t free_space = cb->rcv.cap - cb->rcv.len;
    if (!cb->fin_received && cb->rcv_adv - cb->rcv_nxt > free_space)
        return "window beyond the receive ring";
    if (cb->ooo_count > TCP_OOO_MAX)
        return "out-of-order count";
    for (unsigned i = 0; i < cb->ooo_count; i++) {
        const struct tcp_range *r = &cb->ooo[i];
        if (!tcp_seq_lt(r->left, r->right) || !tcp_seq_gt(r->left, cb->rcv_nxt))
            return "out-of-order range";
        if (r->right - cb->rcv_nxt > free_space)
            return "out-of-order range beyond the ring";
        if (i > 0 && !tcp_seq_gt(r->left, cb->ooo[i - 1].right))
            return "out-of-order ranges unsorted or touching";
    }
    if (cb->state == TCP_TIME_WAIT && (cb->end_at == NEVER || cb->rtx_at != NEVER))
        return "TIME-WAIT timers";
    if (cb->cwnd == 0 && cb->state >= TCP_ESTABLISHED)
        return "congestion window 0";
    return NULL;
}
