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
        .cc = TCP_CC_CUBIC,
        .sack = true,
        .timestamps = true,
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
    /* The smallest shift that lets the window cover the whole ring, as
     * large as it may grow. */
    uint32_t most = cfg->rcvbuf_max > rcvcap ? cfg->rcvbuf_max : rcvcap;
    while (cb->rcv_wscale < MIRA_TCP_MAX_WSCALE && ((uint32_t)65535 << cb->rcv_wscale) < most)
        cb->rcv_wscale++;
    cb->snd_mss = 536; /* RFC 9293 3.7.1: without the option */
    cb->rto = cfg->rto_initial;
    cb->ssthresh = UINT32_MAX / 2;
    tcp_cc_init(&cb->cc, cfg->cc);
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
    /* RFC 7323 5.4: a per-connection offset, here a scramble of the ISS
     * (itself keyed and secret), so TSvals tell nothing of our clock. */
    cb->ts_offset = iss * 2654435761u + 0x6a09e667u;
    cb->ts_rtt_next = iss;
}

/* The timestamp clock: 1 ms ticks (RFC 7323 5.4 asks 1 ms to 1 s) of the
 * time the caller hands in. */
static uint32_t ts_now(const struct tcp_cb *cb, mira_time_t now)
{
    return (uint32_t)(uint64_t)(now / MIRA_MILLISECONDS(1)) + cb->ts_offset;
}

/* Adds SACK blocks for the out-of-order ranges to h, the most recently
 * grown first (RFC 2018 4: the first block holds the segment that
 * triggered this ACK), as many as fit with h's other options and, on a
 * segment with data, within the peer's MSS: a TSO frame (data_len above
 * snd_mss) reaches the wire as snd_mss pieces, each with these options. */
static void add_sack_blocks(struct tcp_cb *cb, struct mira_tcp_hdr *h, uint32_t data_len)
{
    bool used[TCP_OOO_MAX] = { false };
    data_len = min32(data_len, cb->snd_mss);
    h->opts.sack_count = 0;
    for (unsigned b = 0; b < MIRA_TCP_MAX_SACK_BLOCKS && b < cb->ooo_count; b++) {
        unsigned best = TCP_OOO_MAX;
        for (unsigned i = 0; i < cb->ooo_count; i++)
            if (!used[i] && (best == TCP_OOO_MAX ||
                             (int32_t)(cb->ooo_stamp[i] - cb->ooo_stamp[best]) > 0))
                best = i;
        struct mira_tcp_opts o = h->opts;
        o.present |= MIRA_TCP_HAS_SACK;
        o.sack[o.sack_count].left = cb->ooo[best].left;
        o.sack[o.sack_count].right = cb->ooo[best].right;
        o.sack_count++;
        int len = mira_tcp_options_len(&o);
        if (len < 0 || (data_len > 0 && data_len + (uint32_t)len > cb->peer_mss))
            break;
        used[best] = true;
        h->opts = o;
        cb->stat_sack_blocks_sent++;
    }
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
        cb->last_ack_sent = cb->rcv_nxt;
    }
    if (syn) {
        h.opts.present = MIRA_TCP_HAS_MSS;
        h.opts.mss = cb->cfg.mss;
        /* Active: always offer; passive: only when the peer did (7323 2.2,
         * RFC 2018 2). */
        if (!cb->passive || cb->wscale_ok) {
            h.opts.present |= MIRA_TCP_HAS_WSCALE;
            h.opts.wscale = cb->rcv_wscale;
        }
        if (cb->cfg.sack && (!cb->passive || cb->sack_ok))
            h.opts.present |= MIRA_TCP_HAS_SACK_PERM;
    }
    /* Timestamps: offered on our SYN, then on every segment once both
     * sides sent them (RFC 7323 3.2); TSecr is TS.Recent (4.3). */
    if ((syn && cb->cfg.timestamps && (!cb->passive || cb->ts_ok)) || (!syn && cb->ts_ok)) {
        h.opts.present |= MIRA_TCP_HAS_TS;
        h.opts.ts_val = ts_now(cb, cb->clock);
        h.opts.ts_ecr = (flags & MIRA_TCP_ACK) ? cb->ts_recent : 0;
    }
    if (!syn && (flags & MIRA_TCP_ACK) && cb->sack_ok && cb->ooo_count > 0)
        add_sack_blocks(cb, &h, data_len);
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
    /* With TSO, whole MSS multiples up to seg_max (a short tail only at
     * the end of what is queued, as one segment would be). */
    uint32_t len = min32(min32(avail, max32(cb->cfg.seg_max, cb->snd_mss)), max_len);
    if (len > cb->snd_mss && len < avail)
        len -= len % cb->snd_mss;
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
    if (new_data && !cb->rtt_timing && !cb->ts_ok && len > 0) { /* with TS: TSecr times */
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

/* Resends len bytes of sequence space from seq (SND.UNA <= seq, seq +
 * len <= SND.MAX): data, and the FIN when the range ends with it. */
static void resend(struct tcp_cb *cb, uint32_t seq, uint32_t len)
{
    uint8_t flags = MIRA_TCP_ACK;
    uint32_t data_end = cb->snd_buf_seq + cb->snd.len;
    if (cb->fin_queued && seq + len == cb->snd_max && cb->snd_max == data_end + 1) {
        flags |= MIRA_TCP_FIN;
        len--;
    }
    if (len > 0 && seq + len == data_end)
        flags |= MIRA_TCP_PSH;
    emit(cb, seq, flags, len);
    if (cb->rtt_timing && tcp_seq_lt(seq, cb->rtt_seq))
        cb->rtt_timing = false; /* Karn */
    cb->stat_rexmit++;
    cb->stat_sack_rexmit++;
}

/* RFC 6675 5 (C): while cwnd - pipe >= 1 SMSS, what NextSeg (4) picks:
 * (1) a lost hole above HighRxt, (2) new data, (3) a hole below the
 * highest SACKed byte, (4) once per recovery the rescue retransmission
 * of the highest unSACKed bytes.  SND.NXT stays SND.MAX throughout. */
static void sack_output(struct tcp_cb *cb, mira_time_t now)
{
    uint32_t mss = cb->snd_mss;
    for (;;) {
        uint32_t pipe = tcp_sack_pipe(&cb->sacked, cb->snd_una, cb->snd_max, cb->high_rxt, mss);
        if (cb->cwnd < pipe || cb->cwnd - pipe < mss)
            return;
        uint32_t from = tcp_seq_gt(cb->high_rxt, cb->snd_una) ? cb->high_rxt : cb->snd_una;
        uint32_t lost = tcp_sack_lost_edge(&cb->sacked, cb->snd_una, mss);
        uint32_t seq, len;
        if (tcp_sack_hole(&cb->sacked, from, lost, mss, &seq, &len)) {
            resend(cb, seq, len);
            cb->high_rxt = seq + len;
            continue;
        }
        if (cb->snd_nxt == cb->snd_max) {
            uint32_t edge = cb->snd_una + cb->snd_wnd;
            uint32_t room = tcp_seq_gt(edge, cb->snd_nxt) ? edge - cb->snd_nxt : 0;
            if ((room > 0 || (fin_state(cb) && cb->snd_nxt == fin_seq(cb))) &&
                send_at_nxt(cb, min32(room, mss), false, now) > 0)
                continue;
        }
        uint32_t top = tcp_sack_highest(&cb->sacked, cb->snd_una);
        if (tcp_sack_hole(&cb->sacked, from, top, mss, &seq, &len)) {
            resend(cb, seq, len);
            cb->high_rxt = seq + len;
            continue;
        }
        if (!cb->rescue_sent &&
            tcp_sack_rescue(&cb->sacked, cb->snd_una, cb->snd_max, mss, &seq, &len)) {
            cb->rescue_sent = true; /* HighRxt stays (rule 4) */
            resend(cb, seq, len);
            continue;
        }
        return;
    }
}

/* Sends what the windows, Nagle and the pending ACK call for. */
static void output(struct tcp_cb *cb, mira_time_t now)
{
    if (cb->state == TCP_CLOSED || cb->state == TCP_LISTEN)
        return;
    if (cb->in_recovery && cb->sack_ok) {
        sack_output(cb, now); /* RFC 6675: the pipe, not the flight, clocks sending */
    } else {
        for (;;) {
            /* Limited transmit (RFC 3042): a new segment for each of the
             * first two duplicate ACKs, so a small window still makes
             * the three that start recovery instead of a timeout. */
            uint32_t limited = cb->dupacks <= 2 ? cb->dupacks * cb->snd_mss : 0;
            uint32_t wnd = min32(cb->snd_wnd, cb->cwnd + limited);
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
    }
    /* A bare ACK carries SND.MAX, not SND.NXT: after a timeout rewound
     * SND.NXT, the peer may hold everything up to SND.MAX already, and a
     * sequence number below its RCV.NXT makes the segment unacceptable
     * (3.10.7.4): its ACK field would never be read, and two sides both
     * retransmitting would each drop the other's ACKs for good (as BSD's
     * tcp_output does). */
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
    cb->clock = now;
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
    cb->clock = now;
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
    cb->clock = now;
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

void tcp_cb_rcv_grow(struct tcp_cb *cb, uint8_t *newbuf, uint32_t newcap)
{
    /* Everything from the ring's head to the furthest out-of-order byte
     * keeps its distance from the head. */
    uint32_t used = cb->rcv.len;
    if (cb->ooo_count > 0)
        used += cb->ooo[cb->ooo_count - 1].right - cb->rcv_nxt;
    tcp_ring_copy_out(&cb->rcv, 0, newbuf, used);
    cb->rcv.buf = newbuf;
    cb->rcv.cap = newcap;
    cb->rcv.head = 0;
}

void tcp_cb_snd_grow(struct tcp_cb *cb, uint8_t *newbuf, uint32_t newcap)
{
    tcp_ring_copy_out(&cb->snd, 0, newbuf, cb->snd.len);
    cb->snd.buf = newbuf;
    cb->snd.cap = newcap;
    cb->snd.head = 0;
}

int tcp_cb_shutdown(struct tcp_cb *cb, mira_time_t now)
{
    cb->clock = now;
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
    cb->clock = now;
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

/* --- per-connection switches: no-delay, keepalive (RFC 9293 3.8.4, RFC 1122 4.2.3.6) --- */

void tcp_cb_set_nodelay(struct tcp_cb *cb, bool on, mira_time_t now)
{
    cb->cfg.nodelay = on;
    if (on && tcp_cb_synchronized(cb)) {
        output(cb, now);
        timers_update(cb, now);
    }
}

void tcp_cb_set_keepalive(struct tcp_cb *cb, bool on, mira_time_t idle, mira_time_t intvl,
                          unsigned count, mira_time_t now)
{
    cb->ka_on = on && idle > 0 && intvl > 0 && count > 0;
    cb->ka_idle = idle;
    cb->ka_intvl = intvl;
    cb->ka_count = count;
    cb->ka_probes = 0;
    if (cb->ka_heard < now)
        cb->ka_heard = now;
}

/* When the next probe (or the verdict) is due: only while synchronized
 * with nothing outstanding and nothing queued (else retransmission or the
 * persist timer already watches the peer, as in Linux). */
static mira_time_t keepalive_at(const struct tcp_cb *cb)
{
    if (!cb->ka_on || !tcp_cb_synchronized(cb) || cb->state == TCP_TIME_WAIT ||
        cb->snd_max != cb->snd_una || cb->snd.len > 0)
        return NEVER;
    return cb->ka_probes == 0 ? mira_time_add(cb->ka_heard, cb->ka_idle)
                              : mira_time_add(cb->ka_sent, cb->ka_intvl);
}

/* The peer sent an acceptable segment: it is alive. */
static void keepalive_heard(struct tcp_cb *cb, mira_time_t now)
{
    cb->ka_heard = now;
    cb->ka_probes = 0;
}

/* A probe is due: fail after ka_count unanswered ones, else send one: an
 * ACK for SEG.SEQ = SND.NXT - 1, outside the peer's window, which it must
 * answer with an ACK (RFC 1122 4.2.3.6; no garbage byte). */
static void on_keepalive(struct tcp_cb *cb, mira_time_t now)
{
    if (cb->ka_probes >= cb->ka_count) {
        enter_closed(cb, MIRA_ETIMEDOUT);
        return;
    }
    cb->ka_probes++;
    cb->ka_sent = now;
    cb->stat_keepalive_probes++;
    emit(cb, cb->snd_nxt - 1, MIRA_TCP_ACK, 0);
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
    if (keepalive_at(cb) < t)
        t = keepalive_at(cb);
    return t;
}

static mira_time_t backoff(const struct tcp_cb *cb)
{
    mira_time_t r = cb->rto * 2;
    return r > cb->cfg.rto_max ? cb->cfg.rto_max : r;
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
        /* RFC 5681 3.1 eq. 4, loss window of one segment; go back to SND.UNA.
         * ssthresh only at a segment's first timeout: held on the next ones
         * (3.1's note), whose flight says nothing new. */
        if (cb->retries == 1)
            cb->ssthresh = tcp_cc_timeout(&cb->cc, cb->cwnd, cb->snd_max - cb->snd_una,
                                          cb->snd_mss, now);
        cb->cwnd = cb->snd_mss;
        cb->dupacks = 0;
        cb->in_recovery = false;
        cb->recover = cb->snd_max;
        cb->snd_nxt = cb->snd_una;
        tcp_sack_clear(&cb->sacked); /* RFC 2018 8: the peer may have reneged */
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
    cb->clock = now;
    if (cb->end_at <= now) {
        enter_closed(cb, 0);
        return;
    }
    if (keepalive_at(cb) <= now) {
        on_keepalive(cb, now);
        if (cb->state == TCP_CLOSED)
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

/* The SYN's options: MSS, window scale, timestamps (3.7.1, RFC 7323 2.2,
 * 3.2) and SACK-permitted (RFC 2018 2). */
static void take_syn_options(struct tcp_cb *cb, const struct mira_tcp_hdr *h)
{
    uint16_t mss = (h->opts.present & MIRA_TCP_HAS_MSS) ? h->opts.mss : 536;
    if (mss < 64)
        mss = 64; /* a tiny MSS would make us send a flood of tiny segments */
    cb->peer_mss = (uint16_t)min32(mss, cb->cfg.mss_max_send);
    cb->sack_ok = cb->cfg.sack && (h->opts.present & MIRA_TCP_HAS_SACK_PERM);
    cb->ts_ok = cb->cfg.timestamps && (h->opts.present & MIRA_TCP_HAS_TS);
    if (cb->ts_ok) {
        cb->ts_recent = h->opts.ts_val;
        cb->ts_recent_at = cb->clock;
    }
    /* The MSS counts data after a bare header (3.7.1): every segment now
     * carries 12 bytes of timestamps, which come out of the data. */
    cb->snd_mss = (uint16_t)(cb->peer_mss - (cb->ts_ok ? 2 + MIRA_TCP_OPT_TS_LEN : 0));
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

/* One round-trip sample r into SRTT, RTTVAR and RTO (RFC 6298 2). */
static void rtt_update(struct tcp_cb *cb, mira_time_t r)
{
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

/* The sample of the segment timed from rtt_start (without timestamps). */
static void rtt_sample(struct tcp_cb *cb, mira_time_t now)
{
    mira_time_t r = now - cb->rtt_start;
    rtt_update(cb, r < 0 ? 0 : r);
}

/* RFC 7323 4: an ACK of new data echoes in TSecr the TSval of the segment
 * that made the peer ACK: now minus that is a round trip, retransmission
 * or not (no Karn needed).  One sample a flight (ts_rtt_next), so RFC
 * 6298's gains keep their meaning (7323 appendix G). */
static void ts_sample(struct tcp_cb *cb, const struct mira_tcp_hdr *h, mira_time_t now)
{
    if (!cb->ts_ok || !(h->opts.present & MIRA_TCP_HAS_TS) || h->opts.ts_ecr == 0 ||
        !tcp_seq_gt(h->ack, cb->snd_una) || !tcp_seq_ge(h->ack, cb->ts_rtt_next))
        return;
    uint32_t ms = ts_now(cb, now) - h->opts.ts_ecr;
    if ((int32_t)ms < 0 || ms > 3600u * 1000)
        return; /* an echo we never sent */
    rtt_update(cb, MIRA_MILLISECONDS(ms));
    cb->stat_ts_rtt++;
    cb->ts_rtt_next = cb->snd_max;
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
    tcp_sack_trim(&cb->sacked, ack);
    if (cb->rtt_timing && tcp_seq_ge(ack, cb->rtt_seq))
        rtt_sample(cb, now);
    cb->retries = 0;
    if (cb->in_recovery) {
        if (tcp_seq_ge(ack, cb->recover)) {
            /* RFC 6582 3.2 step 3, full acknowledgment. */
            uint32_t flight = cb->snd_max - cb->snd_una;
            cb->cwnd = tcp_cc_recovered(&cb->cc, cb->ssthresh, flight, cb->snd_mss, now);
            cb->in_recovery = false;
            cb->dupacks = 0;
        } else if (cb->sack_ok) {
            /* RFC 6675: no deflation; output() sends by the pipe. */
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
        cb->cwnd = tcp_cc_ack(&cb->cc, cb->cwnd, cb->ssthresh, acked,
                              cb->snd_max - cb->snd_una + acked, cb->snd_mss,
                              cb->have_rtt ? cb->srtt : 0, now);
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
        /* RFC 6675 does not inflate: the pipe shrinks instead.  NewReno's
         * inflation is capped: a peer repeating duplicate ACKs must not
         * wrap the window. */
        if (!cb->sack_ok && cb->cwnd <= TCP_CC_CWND_MAX - cb->snd_mss)
            cb->cwnd += cb->snd_mss;
        return;
    }
    /* Step 2: only when the ACK covers more than recover (not a loss
     * from the window the last recovery or timeout already handled;
     * with SACK once recover is acknowledged: the scoreboard tells new
     * losses from old ones).  With SACK also when the scoreboard says
     * SND.UNA's segment is lost (RFC 6675 5 step 2, IsLost(HighACK + 1)). */
    bool lost = cb->sack_ok &&
                tcp_sack_lost_edge(&cb->sacked, cb->snd_una, cb->snd_mss) != cb->snd_una;
    bool past = cb->sack_ok ? tcp_seq_ge(cb->snd_una, cb->recover) /* 6675 5.1 */
                            : tcp_seq_gt(cb->snd_una, cb->recover);
    if ((cb->dupacks != 3 && !lost) || !past)
        return;
    cb->ssthresh = tcp_cc_congestion(&cb->cc, cb->cwnd, cb->snd_max - cb->snd_una, cb->snd_mss,
                                     now);
    cb->recover = cb->snd_max;
    cb->in_recovery = true;
    cb->rtt_timing = false;
    cb->stat_fast_rexmit++;
    if (cb->sack_ok) {
        /* RFC 6675 5 (4.2, 4.3): cwnd = ssthresh, the first hole now. */
        cb->stat_sack_recoveries++;
        cb->rescue_sent = false;
        uint32_t seq, len;
        if (tcp_sack_hole(&cb->sacked, cb->snd_una, cb->snd_max, cb->snd_mss, &seq, &len)) {
            resend(cb, seq, len);
            cb->high_rxt = seq + len;
        } else {
            cb->high_rxt = cb->snd_una;
        }
        cb->cwnd = cb->ssthresh;
        cb->rtx_at = mira_time_add(now, cb->rto);
        return;
    }
    uint32_t save = cb->snd_nxt;
    cb->snd_nxt = cb->snd_una;
    send_at_nxt(cb, cb->snd_mss, true, now);
    cb->stat_rexmit++;
    if (tcp_seq_gt(save, cb->snd_nxt))
        cb->snd_nxt = save;
    cb->cwnd = cb->ssthresh + 3u * cb->snd_mss;
    cb->rtx_at = mira_time_add(now, cb->rto);
}

/* The SACK blocks of an ACK into the scoreboard (RFC 2018 4, RFC 6675 4).
 * A block must lie within [SND.UNA, SND.MAX] and not be empty; others
 * (D-SACKs below SND.UNA too, RFC 2883 is not used) are counted and
 * ignored, so no peer can make the scoreboard claim data never sent.
 * True when a block told something new. */
static bool take_sack(struct tcp_cb *cb, const struct mira_tcp_hdr *h)
{
    if (!cb->sack_ok || !(h->opts.present & MIRA_TCP_HAS_SACK))
        return false;
    bool news = false;
    for (unsigned i = 0; i < h->opts.sack_count && i < MIRA_TCP_MAX_SACK_BLOCKS; i++) {
        uint32_t l = h->opts.sack[i].left, r = h->opts.sack[i].right;
        if (!tcp_seq_lt(l, r) || tcp_seq_lt(l, cb->snd_una) || tcp_seq_gt(r, cb->snd_max)) {
            cb->stat_sack_ignored++;
            continue;
        }
        if (tcp_sack_add(&cb->sacked, l, r))
            news = true;
    }
    return news;
}

static void ooo_remove(struct tcp_cb *cb, unsigned i)
{
    memmove(&cb->ooo[i], &cb->ooo[i + 1], (cb->ooo_count - i - 1) * sizeof(cb->ooo[0]));
    memmove(&cb->ooo_stamp[i], &cb->ooo_stamp[i + 1],
            (cb->ooo_count - i - 1) * sizeof(cb->ooo_stamp[0]));
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
        cb->ooo_stamp[i] = ++cb->ooo_clock;
        return true;
    }
    if (cb->ooo_count == TCP_OOO_MAX)
        return false;
    memmove(&cb->ooo[i + 1], &cb->ooo[i], (cb->ooo_count - i) * sizeof(cb->ooo[0]));
    memmove(&cb->ooo_stamp[i + 1], &cb->ooo_stamp[i], (cb->ooo_count - i) * sizeof(cb->ooo_stamp[0]));
    cb->ooo[i] = (struct tcp_range){ left, right };
    cb->ooo_stamp[i] = ++cb->ooo_clock;
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
        uint32_t direct = 0;
        if (cb->rd_buf != NULL && cb->rcv.len == 0 && cb->ooo_count == 0) {
            /* Straight to the waiting reader: nothing unread is before it. */
            direct = min32(len, cb->rd_len - cb->rd_done);
            memcpy(cb->rd_buf + cb->rd_done, data, direct);
            cb->rd_done += direct;
        }
        ring_put(&cb->rcv, cb->rcv.len, data + direct, len - direct);
        cb->rcv.len += len - direct;
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
        else if (++cb->unacked_segs >= 2 && !cb->more_follows)
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
    bool advanced = tcp_seq_gt(ack, cb->snd_una);
    if (advanced) {
        ts_sample(cb, h, now);
        new_ack(cb, ack, now);
    }
    bool sack_news = take_sack(cb, h);
    if (!advanced && ack == cb->snd_una && cb->snd_max != cb->snd_una &&
        ((h->data_len == 0 && !(h->flags & (MIRA_TCP_SYN | MIRA_TCP_FIN)) &&
          ((uint32_t)h->window << cb->snd_wscale) == cb->snd_wnd && cb->snd_wnd != 0) ||
         sack_news)) {
        /* RFC 6675 2: with SACK, an ACK that SACKs new data is a duplicate
         * whatever else it carries. */
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
    ts_sample(cb, h, now);
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
    cb->clock = now;
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

    /* PAWS (RFC 7323 5.3 R1): a TSval older than TS.Recent is an old
     * duplicate (or forged): ACK and drop.  TS.Recent idle for 24 days
     * is no longer valid (5.5). */
    if (cb->ts_ok && (h->opts.present & MIRA_TCP_HAS_TS) && !(flags & MIRA_TCP_RST) &&
        tcp_seq_lt(h->opts.ts_val, cb->ts_recent) &&
        now - cb->ts_recent_at < (mira_time_t)24 * 24 * 3600 * MIRA_SECONDS(1)) {
        cb->stat_paws_dropped++;
        cb->stat_dropped++;
        cb->ack_now = true;
        output(cb, now);
        timers_update(cb, now);
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
    keepalive_heard(cb, now);

    /* RFC 7323 4.3 (2), 5.3 R3: TS.Recent follows the TSval of the
     * segment that our last ACK asked for, so TSecr times the whole path
     * including our delayed ACKs. */
    if (cb->ts_ok && (h->opts.present & MIRA_TCP_HAS_TS) &&
        tcp_seq_ge(h->opts.ts_val, cb->ts_recent) && tcp_seq_le(seq, cb->last_ack_sent)) {
        cb->ts_recent = h->opts.ts_val;
        cb->ts_recent_at = now;
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
        ts_sample(cb, h, now);
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
    if (!cb->sack_ok && cb->sacked.n != 0)
        return "scoreboard without SACK";
    const char *sb = tcp_sack_check(&cb->sacked, cb->snd_una, cb->snd_max);
    if (sb != NULL)
        return sb;
    if ((cb->sack_ok && !cb->cfg.sack) || (cb->ts_ok && !cb->cfg.timestamps))
        return "option used but not configured";
    if (cb->ts_ok && cb->snd_mss + 2 + MIRA_TCP_OPT_TS_LEN != cb->peer_mss)
        return "MSS not reduced by the timestamps";
    return NULL;
}

/* --- path MTU (RFC 1191, RFC 5927) --- */

bool tcp_cb_path_mtu(struct tcp_cb *cb, uint32_t seq, uint32_t mtu, mira_time_t now)
{
    if (cb->state < TCP_ESTABLISHED || cb->state == TCP_TIME_WAIT || mtu == 0)
        return false;
    /* RFC 5927 4.1: only a segment still in flight can have been too big. */
    if (tcp_seq_lt(seq, cb->snd_una) || !tcp_seq_lt(seq, cb->snd_max))
        return false;
    if (mtu < TCP_PMTU_MIN)
        mtu = TCP_PMTU_MIN;
    /* 20 bytes of IPv4 and 20 of TCP header: what is left is the data and
     * options a segment may carry (peer_mss's meaning), less the
     * timestamps every segment carries once negotiated. */
    uint32_t lim = mtu - 40;
    if (lim >= cb->peer_mss)
        return false; /* RFC 1191 6.3: never raised by an ICMP message */
    cb->peer_mss = (uint16_t)lim;
    cb->snd_mss = (uint16_t)(lim - (cb->ts_ok ? 2 + MIRA_TCP_OPT_TS_LEN : 0));
    /* Everything in flight was sent too big: go back and send it again
     * now, within the same window (RFC 1191 6.5). */
    cb->snd_nxt = cb->snd_una;
    cb->rtt_timing = false;
    cb->stat_rexmit++;
    output(cb, now);
    cb->rtx_at = cb->snd_una == cb->snd_max ? NEVER : mira_time_add(now, cb->rto);
    timers_update(cb, now);
    return true;
}
