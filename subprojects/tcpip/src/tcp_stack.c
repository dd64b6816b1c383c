/* tcp_stack.c - the stack's TCP module: the mira/driver/stack.h TCP ops and
 * the hooks of stack_internal.h, around the pure per-connection state
 * machine of tcp_cb.c.  This file does what tcp_cb.c must not: packet
 * buffers in and out, one mira_timer per connection (armed for the
 * control block's earliest deadline), fibers waiting and waking, the
 * connection table, listeners with their bounded queues, ports and ISNs.
 *
 * A connection's memory (struct tcp_conn, and its two rings once they
 * hold something) lives until both the app has let go (never given to
 * it, or tcp_free) and its control block is CLOSED: a closed connection
 * still sends what was queued, its FIN, and waits in TIME-WAIT, on its
 * own.
 *
 * Hostile peers: a half-open connection (SYN-RECEIVED) holds only its
 * struct tcp_conn, no ring memory; each listener keeps at most its backlog
 * of them, and answers further SYNs with SYN cookies (tcp_cookie.h), which
 * cost nothing until a valid final ACK creates the connection.  Every
 * table is bounded: tcp-max-conns connections in all, tcp-backlog per
 * listener in the handshake and as many established and not accepted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mira/byteorder.h>
#include <mira/fiber.h>
#include <mira/log.h>
#include <mira/param.h>
#include <mira/random.h>
#include <mira/runtime.h>
#include <mira/timer.h>
#include <mira/tcpip/tcp.h>
#include <mira/tcpip/wire_ipv4.h>

#include "stack_internal.h"
#include "tcp_cb.h"
#include "tcp_cookie.h"
#include "tcp_isn.h"

#define DRIVER "tcpip"

MIRA_PARAM_DECLARE(tcp_sndbuf, "*-tcp-sndbuf", "131072",
                   "bytes a TCP connection queues for sending (1024..67108864)");
MIRA_PARAM_DECLARE(tcp_rcvbuf, "*-tcp-rcvbuf", "131072",
                   "bytes a TCP connection keeps received and unread: its largest window "
                   "(1024..67108864)");
MIRA_PARAM_DECLARE(tcp_buf_initial, "*-tcp-buf-initial", "4096",
                   "bytes each TCP ring starts with; it doubles with use up to tcp-sndbuf / "
                   "tcp-rcvbuf (1024..67108864)");
MIRA_PARAM_DECLARE(tcp_backlog, "*-tcp-backlog", "64",
                   "default per listener: connections in the handshake (beyond: SYN "
                   "cookies), and established ones not yet accepted (beyond: dropped)");
MIRA_PARAM_DECLARE(tcp_max_conns, "*-tcp-max-conns", "1024",
                   "TCP connections at once, TIME-WAIT and handshakes included");
MIRA_PARAM_DECLARE(tcp_retries, "*-tcp-retries", "12",
                   "retransmissions of one segment before the connection fails (ETIMEDOUT)");
MIRA_PARAM_DECLARE(tcp_syn_retries, "*-tcp-syn-retries", "6",
                   "SYN retransmissions before a connect fails (ETIMEDOUT)");
MIRA_PARAM_DECLARE(tcp_msl, "*-tcp-msl-ms", "30000",
                   "maximum segment lifetime, ms: TIME-WAIT lasts twice this");
MIRA_PARAM_DECLARE(tcp_cc, "*-tcp-cc", "cubic",
                   "congestion control of new TCP connections: cubic (RFC 9438) or newreno "
                   "(RFC 5681, 6582)");
MIRA_PARAM_DECLARE(tcp_sack, "*-tcp-sack", "true",
                   "SACK (RFC 2018): offer it, send blocks, recover by them (RFC 6675); "
                   "false: NewReno");
MIRA_PARAM_DECLARE(tcp_timestamps, "*-tcp-timestamps", "true",
                   "timestamps (RFC 7323): RTT from TSecr, PAWS");

/* The connection table's buckets: about tcp-max-conns / 4, a power of two. */
#define TCP_HASH_MIN 256u
#define TCP_HASH_MAX 65536u
#define EPHEMERAL_LOW 49152u
#define EPHEMERAL_COUNT 16384u
/* A segment's header and data must fit in one page piece (see conn_output). */
#define MSS_ONE_PIECE 3900u

struct tcp_listener;

struct tcp_conn {
    struct mira_tcp c;             /* first: what the runtime sees */
    struct tcpip_tcp *t;
    struct tcp_cb cb;
    struct tcp_conn *hnext;        /* in t->hash */
    struct tcp_listener *listener; /* until accepted: handshake or queue */
    struct tcp_conn *qnext;        /* in the listener's accept queue */
    bool queued;                   /* on that queue */
    bool app;                      /* the app holds it (until tcp_free) */
    int out_err;                   /* the last output error, for connect */
    uint32_t rcv_mark;             /* RCV.NXT when the receive ring last grew */
    struct tcp_conn *twprev, *twnext; /* in t's TIME-WAIT list, oldest first */
    bool in_tw;                    /* on that list */
    bool mute;                     /* output discarded (rebuilding from a cookie) */
    struct mira_timer timer;
    struct mira_waitq rq, wq, sq;  /* readers, writers, connect */
    uint32_t traced_segs;          /* cwnd / mss and ssthresh of the last */
    uint32_t traced_ssthresh;      /* congestion trace line (cc_trace) */
};

struct tcp_listener {
    struct mira_tcp_listener l;    /* first: what the runtime sees */
    struct tcpip_tcp *t;
    struct tcp_listener *next;     /* in t->listeners */
    struct tcp_conn *head, *tail;  /* established, not yet accepted */
    mira_time_t cookies_until;     /* SYN cookies sent recently: ACKs are checked */
    unsigned queued, half, backlog;
    struct mira_waitq aq;
};

struct tcpip_tcp {
    struct tcpip_stack *s;
    struct tcp_conn **hash;
    unsigned hash_size;            /* a power of two */
    unsigned conns;
    struct tcp_listener *listeners;
    uint8_t isn_key[16];
    struct tcp_config cfg;
    unsigned long sndbuf, rcvbuf, buf_initial, backlog, max_conns;
    /* counters, logged at close */
    uint64_t cookies_sent, cookies_ok, cookies_bad, drop_accept_full, drop_table_full;
    uint64_t tw_reclaimed;
    struct tcp_conn *tw_head, *tw_tail; /* connections in TIME-WAIT, oldest first */
    /* Loss recovery's counters of the connections gone, logged at close
     * (what a run against a lossy link shows from the stack's side). */
    uint64_t loss_stats[7];
};

/* Adds cb's loss-recovery counters to t's. */
static void loss_stats_add(struct tcpip_tcp *t, const struct tcp_cb *cb)
{
    const uint64_t v[7] = { cb->stat_rexmit, cb->stat_rto, cb->stat_sack_recoveries,
                            cb->stat_sack_rexmit, cb->stat_sack_ignored, cb->stat_paws_dropped,
                            cb->stat_ts_rtt };
    for (int i = 0; i < 7; i++)
        t->loss_stats[i] += v[i];
}

/* One line with the non-zero ones, at the stack's close. */
static void loss_stats_log(const struct tcpip_tcp *t, const char *name)
{
    static const char *const names[7] = { "rexmit", "rto", "sack-recoveries", "sack-rexmit",
                                          "sack-ignored", "paws-dropped", "ts-rtt-samples" };
    char line[256];
    size_t k = 0;
    for (int i = 0; i < 7; i++)
        if (t->loss_stats[i] && k < sizeof(line) - 64)
            k += (size_t)snprintf(line + k, sizeof(line) - k, " %s %llu", names[i],
                                  (unsigned long long)t->loss_stats[i]);
    if (k > 0)
        mira_log(MIRA_LOG_INFO, DRIVER, "%s: tcp:%s", name, line);
}

static struct tcpip_tcp *tcp_of(struct tcpip_stack *s)
{
    return tcpip_tcp_state(s);
}

static mira_time_t now(void)
{
    return mira_clock_monotonic();
}

/* --- parameters --- */

static int uint_param(const char *name, const char *key, const char *dflt, unsigned long min,
                      unsigned long max, unsigned long *out)
{
    char full[128];
    int n = snprintf(full, sizeof(full), "%s-%s", name, key);
    if (n < 0 || (size_t)n >= sizeof(full))
        mira_panic("tcpip: device name '%s' too long", name);
    const char *v = mira_param(full, dflt);
    char *end;
    unsigned long x = strtoul(v, &end, 10);
    if (v[0] < '0' || v[0] > '9' || *end != '\0' || x < min || x > max) {
        mira_connect_error(name, DRIVER, "--%s=%s is not a number from %lu to %lu", full, v, min,
                           max);
        return MIRA_EINVAL;
    }
    *out = x;
    return MIRA_OK;
}

/* The "<name>-tcp-cc" parameter: a congestion control's name. */
static int cc_param(const char *name, enum tcp_cc_algo *out)
{
    char full[128];
    int n = snprintf(full, sizeof(full), "%s-tcp-cc", name);
    if (n < 0 || (size_t)n >= sizeof(full))
        mira_panic("tcpip: device name '%s' too long", name);
    const char *v = mira_param(full, "cubic");
    if (tcp_cc_from_name(v, out) < 0) {
        mira_connect_error(name, DRIVER, "--%s=%s is neither cubic nor newreno", full, v);
        return MIRA_EINVAL;
    }
    return MIRA_OK;
}

static int bool_param(const char *name, const char *key, const char *dflt, bool *out)
{
    char full[128];
    int n = snprintf(full, sizeof(full), "%s-%s", name, key);
    if (n < 0 || (size_t)n >= sizeof(full))
        mira_panic("tcpip: device name '%s' too long", name);
    const char *v = mira_param(full, dflt);
    if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
        mira_connect_error(name, DRIVER, "--%s=%s is neither true nor false", full, v);
        return MIRA_EINVAL;
    }
    *out = strcmp(v, "true") == 0;
    return MIRA_OK;
}

/* --- the connection table --- */

/* SipHash-2-4 under the stack's secret key: a peer cannot choose
 * addresses and ports that all land in one bucket. */
static unsigned hash_of(const struct tcpip_tcp *t, mira_ipv4_t laddr, uint16_t lport,
                        mira_ipv4_t raddr, uint16_t rport)
{
    uint8_t tuple[12];
    mira_store_be32(tuple, laddr);
    mira_store_be16(tuple + 4, lport);
    mira_store_be32(tuple + 6, raddr);
    mira_store_be16(tuple + 10, rport);
    return (unsigned)tcp_siphash(t->isn_key, tuple, sizeof(tuple)) & (t->hash_size - 1);
}

static struct tcp_conn **slot_of(struct tcpip_tcp *t, const struct tcp_conn *c)
{
    return &t->hash[hash_of(t, c->c.local.addr, c->c.local.port, c->c.peer.addr,
                            c->c.peer.port)];
}

static struct tcp_conn *conn_find(struct tcpip_tcp *t, mira_ipv4_t laddr, uint16_t lport,
                                  mira_ipv4_t raddr, uint16_t rport)
{
    for (struct tcp_conn *c = t->hash[hash_of(t, laddr, lport, raddr, rport)]; c; c = c->hnext)
        if (c->c.local.port == lport && c->c.peer.port == rport && c->c.peer.addr == raddr &&
            c->c.local.addr == laddr)
            return c;
    return NULL;
}

static struct tcp_listener *listener_find(struct tcpip_tcp *t, uint16_t port)
{
    for (struct tcp_listener *l = t->listeners; l; l = l->next)
        if (l->l.local.port == port)
            return l;
    return NULL;
}

/* --- output --- */

/* Sends one TCP segment (header h, data_len bytes of ring r from off)
 * from laddr to raddr.  A lost allocation is a lost segment: the
 * retransmission timer covers it. */
static int send_segment(struct tcpip_stack *s, mira_ipv4_t laddr, mira_ipv4_t raddr,
                        const struct mira_tcp_hdr *h, const struct tcp_ring *r, uint32_t off,
                        uint32_t data_len)
{
    int olen = mira_tcp_options_len(&h->opts);
    if (olen < 0)
        mira_panic("tcpip: TCP options that do not encode");
    size_t hlen = MIRA_TCP_HDR_LEN + (size_t)olen;
    struct mira_pbuf *p = mira_pbuf_alloc(hlen + data_len, MIRA_TCPIP_HEADROOM);
    if (p == NULL)
        return MIRA_ENOMEM;
    if (p->next != NULL) { /* cannot happen with the MSS clamped to one page */
        mira_pbuf_free(p);
        return MIRA_ENOMEM;
    }
    if (data_len > 0)
        tcp_ring_copy_out(r, off, p->data + hlen, data_len);
    if (mira_tcp_build(p->data, p->len, h, laddr, raddr, data_len) < 0)
        mira_panic("tcpip: a TCP segment that does not build");
    return tcpip_ipv4_output(s, laddr, raddr, MIRA_IPV4_PROTO_TCP, p);
}

static void conn_output(void *ctx, struct tcp_cb *cb, const struct mira_tcp_hdr *h, uint32_t off,
                        uint32_t len)
{
    struct tcp_conn *c = ctx;
    if (c->mute)
        return;
    int r = send_segment(c->t->s, c->c.local.addr, c->c.peer.addr, h, &cb->snd, off, len);
    if (r < 0)
        c->out_err = r;
}

/* The RST for a segment no connection takes (3.10.7.1). */
static void send_reset(struct tcpip_stack *s, mira_ipv4_t laddr, mira_ipv4_t raddr,
                       const struct mira_tcp_hdr *h)
{
    struct mira_tcp_hdr rst;
    if (tcp_rst_reply(h, &rst))
        send_segment(s, laddr, raddr, &rst, NULL, 0, 0);
}

/* Our MSS towards raddr: the route's, within one page piece. */
static uint16_t mss_towards(struct tcpip_tcp *t, mira_ipv4_t raddr)
{
    uint32_t mss = tcpip_mss_for(t->s, raddr);
    if (mss > MSS_ONE_PIECE)
        mss = MSS_ONE_PIECE;
    if (mss < 64)
        mss = 64;
    return (uint16_t)mss;
}

/* --- a connection's life --- */

static void listener_unlink_conn(struct tcp_conn *c)
{
    struct tcp_listener *l = c->listener;
    if (c->queued) {
        struct tcp_conn **pp = &l->head;
        while (*pp != c)
            pp = &(*pp)->qnext;
        *pp = c->qnext;
        if (l->tail == c) {
            l->tail = NULL;
            for (struct tcp_conn *q = l->head; q; q = q->qnext)
                l->tail = q;
        }
        c->queued = false;
        l->queued--;
    } else {
        l->half--;
    }
    c->listener = NULL;
}

static void conn_free_buffers(struct tcp_conn *c)
{
    free(c->cb.snd.buf);
    free(c->cb.rcv.buf);
}

static void conn_release(struct tcp_conn *c)
{
    struct tcpip_tcp *t = c->t;
    struct tcp_conn **pp = slot_of(t, c);
    while (*pp != c)
        pp = &(*pp)->hnext;
    *pp = c->hnext;
    t->conns--;
    loss_stats_add(t, &c->cb);
    mira_timer_fini(&c->timer);
    conn_free_buffers(c);
    free(c);
}

/* Keeps c on t's TIME-WAIT list while it is in TIME-WAIT, in the order
 * connections entered it (tw_reclaim). */
static void tw_track(struct tcp_conn *c)
{
    struct tcpip_tcp *t = c->t;
    bool tw = c->cb.state == TCP_TIME_WAIT;
    if (tw == c->in_tw)
        return;
    if (tw) {
        c->twprev = t->tw_tail;
        c->twnext = NULL;
        if (t->tw_tail)
            t->tw_tail->twnext = c;
        else
            t->tw_head = c;
        t->tw_tail = c;
    } else {
        if (c->twprev)
            c->twprev->twnext = c->twnext;
        else
            t->tw_head = c->twnext;
        if (c->twnext)
            c->twnext->twprev = c->twprev;
        else
            t->tw_tail = c->twprev;
    }
    c->in_tw = tw;
}

/* At log level debug, a line whenever c's congestion window moves by a
 * segment or its ssthresh changes, with CUBIC's W_max and K: the trace
 * tests/integration/tcpip_cc.py reads to set the window against RFC 9438's
 * curve. */
static void cc_trace(struct tcp_conn *c)
{
    const struct tcp_cb *cb = &c->cb;
    if (!mira_log_enabled(MIRA_LOG_DEBUG) || cb->state < TCP_ESTABLISHED || cb->snd_mss == 0)
        return;
    uint32_t segs = cb->cwnd / cb->snd_mss;
    if (segs == c->traced_segs && cb->ssthresh == c->traced_ssthresh)
        return;
    c->traced_segs = segs;
    c->traced_ssthresh = cb->ssthresh;
    mira_time_t t = now();
    /* CUBIC's t: since its epoch began, less the spans the window went
     * unused (-1: no epoch) */
    const struct tcp_cc_cubic *cu = &cb->cc.cubic;
    long long epoch_ms = -1;
    if (cu->epoch_start != MIRA_TIME_NEVER)
        epoch_ms = (long long)((cu->unused_since != MIRA_TIME_NEVER ? cu->unused_since : t) -
                               cu->epoch_start) / 1000000;
    mira_log(MIRA_LOG_DEBUG, DRIVER,
             "tcp %u cc %s t_ms %lld cwnd %u ssthresh %u mss %u w_max %u k_ms %u recovery %d "
             "epoch_ms %lld",
             (unsigned)cb->sport, tcp_cc_name(cb->cc.algo), (long long)(t / 1000000), cb->cwnd,
             cb->ssthresh, (unsigned)cb->snd_mss, cu->w_max,
             (unsigned)((uint64_t)cu->k * 1000 >> TCP_CC_CUBIC_TIME_SHIFT),
             cb->in_recovery ? 1 : 0, epoch_ms);
}

/* After every event of c's control block: wake whoever it concerns, move
 * it along its listener's queues, re-arm its timer, and free it when
 * nobody needs it any more.  Returns true when c was freed. */
static bool conn_after(struct tcp_conn *c)
{
    tw_track(c);
    cc_trace(c);
    unsigned wake = c->cb.wake;
    c->cb.wake = 0;
    if (wake & TCP_WAKE_READ)
        mira_wake_all(&c->rq);
    if (wake & TCP_WAKE_WRITE)
        mira_wake_all(&c->wq);
    if (wake & TCP_WAKE_STATE)
        mira_wake_all(&c->sq);
    if (c->listener != NULL) {
        struct tcp_listener *l = c->listener;
        if (c->cb.state == TCP_CLOSED) {
            listener_unlink_conn(c);
        } else if (!c->queued && tcp_cb_synchronized(&c->cb)) {
            l->half--;
            l->queued++;
            c->queued = true;
            c->qnext = NULL;
            if (l->tail)
                l->tail->qnext = c;
            else
                l->head = c;
            l->tail = c;
            mira_wake_one(&l->aq);
        }
    }
    if (c->cb.state == TCP_CLOSED && !c->app && c->listener == NULL) {
        conn_release(c);
        return true;
    }
    mira_timer_arm(&c->timer, tcp_cb_deadline(&c->cb));
    return false;
}

static void conn_timer(void *arg)
{
    struct tcp_conn *c = arg;
    tcp_cb_timer(&c->cb, now());
    conn_after(c);
}

/* The table is full: the connection longest in TIME-WAIT that nobody
 * holds makes room (as Linux past tcp_max_tw_buckets): its peer has
 * closed, only a late duplicate could still find it.  False when there
 * is none. */
static bool tw_reclaim(struct tcpip_tcp *t)
{
    for (struct tcp_conn *c = t->tw_head; c != NULL; c = c->twnext) {
        if (!c->app && c->listener == NULL) {
            tcp_cb_drop(&c->cb, 0);
            conn_after(c); /* CLOSED and nobody's: freed */
            t->tw_reclaimed++;
            return true;
        }
    }
    return false;
}

/* Gives ring r of c its memory, at its first size, the first time
 * something is to be kept in it: the send ring at the app's first write,
 * the receive ring with the first segment that carries data.  A half-open
 * or an idle connection has none.  Not zeroed: a ring's bytes are written
 * before they are read.  False when memory runs out. */
static bool ring_alloc(struct tcp_conn *c, struct tcp_ring *r)
{
    if (r->buf != NULL)
        return true;
    r->buf = malloc(r->cap);
    if (r == &c->cb.rcv)
        c->rcv_mark = c->cb.rcv_nxt;
    return r->buf != NULL;
}

/* Gives ring r newcap (> r->cap) bytes, keeping every byte at its offset
 * from the head: the in-order bytes and, in a receive ring, the
 * out-of-order ones beyond.  False (r unchanged) without memory. */
static bool ring_grow(struct tcp_ring *r, uint32_t newcap)
{
    uint8_t *nb = malloc(newcap);
    if (nb == NULL)
        return false;
    memcpy(nb, r->buf + r->head, r->cap - r->head);
    memcpy(nb + (r->cap - r->head), r->buf, r->head);
    free(r->buf);
    *r = (struct tcp_ring){ .buf = nb, .cap = newcap, .head = 0, .len = r->len };
    return true;
}

/* Rings start at tcp-buf-initial bytes and double with use, up to
 * tcp-sndbuf and tcp-rcvbuf: an idle or chatty connection stays small,
 * a bulk one grows to its full window.  The send ring grows when the app
 * has more to queue than it holds; the receive ring when it is half full
 * or has taken twice its size since it last grew (the peer keeps the
 * window busy).  The window only ever opens by it (tcp_cb's invariants). */
static void grow_send(struct tcp_conn *c, size_t want)
{
    struct tcp_ring *r = &c->cb.snd;
    if (r->buf == NULL || r->cap >= c->t->sndbuf || r->cap - r->len >= want)
        return;
    uint64_t cap = (uint64_t)r->cap * 2;
    while (cap < c->t->sndbuf && cap - r->len < want)
        cap *= 2;
    ring_grow(r, (uint32_t)(cap < c->t->sndbuf ? cap : c->t->sndbuf));
}

static void grow_receive(struct tcp_conn *c)
{
    struct tcp_ring *r = &c->cb.rcv;
    if (r->buf == NULL || r->cap >= c->t->rcvbuf)
        return;
    if (r->len < r->cap / 2 && c->cb.rcv_nxt - c->rcv_mark < 2 * r->cap)
        return;
    uint64_t cap = (uint64_t)r->cap * 2;
    if (ring_grow(r, (uint32_t)(cap < c->t->rcvbuf ? cap : c->t->rcvbuf)))
        c->rcv_mark = c->cb.rcv_nxt;
}

/* A new connection in the table (CLOSED), its rings without memory yet
 * (ring_alloc), or NULL (MIRA_ENOMEM). */
static struct tcp_conn *conn_new(struct tcpip_tcp *t, mira_ipv4_t laddr, uint16_t lport,
                                 mira_ipv4_t raddr, uint16_t rport)
{
    if (t->conns >= t->max_conns && !tw_reclaim(t))
        return NULL;
    struct tcp_conn *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    if (mira_timer_init(&c->timer, conn_timer, c) < 0) {
        free(c);
        return NULL;
    }
    mira_sock_init(&c->c.sock, tcpip_dev(t->s));
    c->c.local = (struct mira_endpoint){ laddr, lport };
    c->c.peer = (struct mira_endpoint){ raddr, rport };
    c->t = t;
    mira_waitq_init(&c->rq, false);
    mira_waitq_init(&c->wq, false);
    mira_waitq_init(&c->sq, false);
    struct tcp_config cfg = t->cfg;
    cfg.mss = cfg.mss_max_send = mss_towards(t, raddr);
    /* The window scale for the largest the receive ring may grow to; the
     * rings' memory comes later, at their first size (ring_alloc). */
    tcp_cb_init(&c->cb, &cfg, lport, rport, NULL, (uint32_t)t->sndbuf, NULL, (uint32_t)t->rcvbuf,
                conn_output, c);
    c->cb.snd.cap = (uint32_t)(t->buf_initial < t->sndbuf ? t->buf_initial : t->sndbuf);
    c->cb.rcv.cap = (uint32_t)(t->buf_initial < t->rcvbuf ? t->buf_initial : t->rcvbuf);
    struct tcp_conn **slot = slot_of(t, c);
    c->hnext = *slot;
    *slot = c;
    t->conns++;
    return c;
}

/* --- SYN cookies (tcp_cookie.h) --- */

/* Answers SYN h (laddr <- raddr) to l with a cookie SYN-ACK: no state is
 * kept.  It offers our MSS only: no window scale, SACK or timestamps (the
 * cookie cannot carry them). */
static void cookie_send(struct tcpip_tcp *t, struct tcp_listener *l, mira_ipv4_t laddr,
                        mira_ipv4_t raddr, const struct mira_tcp_hdr *h, mira_time_t at)
{
    if (at >= l->cookies_until)
        mira_log(MIRA_LOG_WARN, DRIVER,
                 "%s: port %u: SYN backlog full (%u), sending SYN cookies",
                 mira_stack_name(tcpip_dev(t->s)), (unsigned)l->l.local.port, l->backlog);
    l->cookies_until = mira_time_add(at, 2 * TCP_COOKIE_TICK);
    struct tcp_cookie_conn cc = { laddr, raddr, h->dport, h->sport, h->seq };
    uint16_t peer_mss = (h->opts.present & MIRA_TCP_HAS_MSS) ? h->opts.mss : 536;
    struct mira_tcp_hdr sa = {
        .sport = h->dport, .dport = h->sport, .flags = MIRA_TCP_SYN | MIRA_TCP_ACK,
        .seq = tcp_cookie_make(t->isn_key, &cc, peer_mss, at), .ack = h->seq + 1,
    };
    /* As the connection's first window (conn_new, tcp_cb's SYN window). */
    unsigned long w = t->buf_initial < t->rcvbuf ? t->buf_initial : t->rcvbuf;
    sa.window = (uint16_t)(w < 65535 ? w : 65535);
    sa.opts.present = MIRA_TCP_HAS_MSS;
    sa.opts.mss = mss_towards(t, raddr);
    send_segment(t->s, laddr, raddr, &sa, NULL, 0, 0);
    t->cookies_sent++;
}

/* An ACK h (laddr <- raddr) to l with no connection: when it carries a
 * valid cookie, the connection it completes, rebuilt as the SYN-RECEIVED
 * one it would have been (the SYN replayed from the cookie's contents,
 * its SYN-ACK not sent again) and given h.  False: not a cookie. */
static bool cookie_accept(struct tcpip_tcp *t, struct tcp_listener *l, mira_ipv4_t laddr,
                          mira_ipv4_t raddr, const struct mira_tcp_hdr *h, mira_time_t at)
{
    struct tcp_cookie_conn cc = { laddr, raddr, h->dport, h->sport, h->seq - 1 };
    uint16_t mss;
    if (!tcp_cookie_check(t->isn_key, &cc, h->ack - 1, at, &mss)) {
        t->cookies_bad++;
        return false;
    }
    if (l->queued >= l->backlog) {
        t->drop_accept_full++; /* as Linux: the peer sends it again */
        return true;
    }
    struct tcp_conn *c = conn_new(t, laddr, h->dport, raddr, h->sport);
    if (c == NULL) {
        t->drop_table_full++;
        return true;
    }
    c->listener = l;
    l->half++;
    tcp_cb_listen(&c->cb, h->ack - 1);
    struct mira_tcp_hdr syn = { .sport = h->sport, .dport = h->dport, .seq = h->seq - 1,
                                .flags = MIRA_TCP_SYN, .window = h->window };
    syn.opts.present = MIRA_TCP_HAS_MSS;
    syn.opts.mss = mss;
    c->mute = true;
    tcp_cb_input(&c->cb, &syn, at);
    c->mute = false;
    c->cb.rtt_timing = false; /* the SYN-ACK's time is unknown: no RTT sample */
    if (h->data_len > 0 && !ring_alloc(c, &c->cb.rcv)) {
        tcp_cb_drop(&c->cb, 0);
        conn_after(c); /* CLOSED and nobody's: freed; the peer sends again */
        return true;
    }
    tcp_cb_input(&c->cb, h, at);
    t->cookies_ok++;
    conn_after(c);
    return true;
}

/* --- the module --- */

int tcpip_tcp_init(struct tcpip_stack *s)
{
    const char *name = mira_stack_name(tcpip_dev(s));
    struct tcpip_tcp *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return MIRA_ENOMEM;
    t->s = s;
    tcp_config_default(&t->cfg);
    unsigned long retries, syn_retries, msl;
    if (uint_param(name, "tcp-sndbuf", "131072", 1024, 64ul << 20, &t->sndbuf) < 0 ||
        uint_param(name, "tcp-rcvbuf", "131072", 1024, 64ul << 20, &t->rcvbuf) < 0 ||
        uint_param(name, "tcp-buf-initial", "4096", 1024, 64ul << 20, &t->buf_initial) < 0 ||
        uint_param(name, "tcp-backlog", "64", 1, 65535, &t->backlog) < 0 ||
        uint_param(name, "tcp-max-conns", "1024", 1, 1000000, &t->max_conns) < 0 ||
        uint_param(name, "tcp-retries", "12", 1, 100, &retries) < 0 ||
        uint_param(name, "tcp-syn-retries", "6", 1, 100, &syn_retries) < 0 ||
        uint_param(name, "tcp-msl-ms", "30000", 1, 3600000, &msl) < 0 ||
        bool_param(name, "tcp-sack", "true", &t->cfg.sack) < 0 ||
        bool_param(name, "tcp-timestamps", "true", &t->cfg.timestamps) < 0) {
        free(t);
        return MIRA_EINVAL;
    }
    t->cfg.max_retries = (unsigned)retries;
    t->cfg.max_syn_retries = (unsigned)syn_retries;
    t->cfg.msl = MIRA_MILLISECONDS(msl);
    t->hash_size = TCP_HASH_MIN;
    while (t->hash_size < TCP_HASH_MAX && t->hash_size < t->max_conns / 4)
        t->hash_size *= 2;
    t->hash = calloc(t->hash_size, sizeof(t->hash[0]));
    if (t->hash == NULL) {
        free(t);
        return MIRA_ENOMEM;
    }
    if (cc_param(name, &t->cfg.cc) < 0) {
        free(t->hash);
        free(t);
        return MIRA_EINVAL;
    }
    mira_random_bytes(t->isn_key, sizeof(t->isn_key));
    tcpip_set_tcp_state(s, t);
    return MIRA_OK;
}

void tcpip_tcp_fini(struct tcpip_stack *s)
{
    struct tcpip_tcp *t = tcp_of(s);
    if (t == NULL)
        return;
    for (unsigned i = 0; i < t->hash_size; i++) {
        while (t->hash[i] != NULL) {
            struct tcp_conn *c = t->hash[i];
            t->hash[i] = c->hnext;
            loss_stats_add(t, &c->cb);
            mira_timer_fini(&c->timer);
            conn_free_buffers(c);
            free(c);
        }
    }
    loss_stats_log(t, mira_stack_name(tcpip_dev(s)));
    if (t->cookies_sent || t->drop_accept_full || t->drop_table_full || t->tw_reclaimed)
        mira_log(MIRA_LOG_INFO, DRIVER,
                 "%s: SYN cookies: %llu sent, %llu connections opened by one, %llu bad; "
                 "SYNs dropped: %llu accept queue full, %llu table full; "
                 "%llu TIME-WAIT ended early for room",
                 mira_stack_name(tcpip_dev(s)), (unsigned long long)t->cookies_sent,
                 (unsigned long long)t->cookies_ok, (unsigned long long)t->cookies_bad,
                 (unsigned long long)t->drop_accept_full, (unsigned long long)t->drop_table_full,
                 (unsigned long long)t->tw_reclaimed);
    free(t->hash);
    while (t->listeners != NULL) {
        struct tcp_listener *l = t->listeners;
        t->listeners = l->next;
        free(l);
    }
    tcpip_set_tcp_state(s, NULL);
    free(t);
}

/* Segments: make it contiguous, check it, find its connection or
 * listener, else answer with a RST. */
void tcpip_tcp_input(struct tcpip_stack *s, mira_ipv4_t src, mira_ipv4_t dst,
                     struct mira_pbuf *seg)
{
    struct tcpip_tcp *t = tcp_of(s);
    size_t len = seg->tot_len;
    uint8_t *copy = NULL;
    const uint8_t *bytes;
    if (seg->len >= len) {
        bytes = seg->data;
    } else if (len <= MIRA_PBUF_HEADROOM_MAX && mira_pbuf_pullup(&seg, len) != NULL) {
        bytes = seg->data;
    } else {
        copy = malloc(len ? len : 1);
        if (copy == NULL) {
            mira_pbuf_free(seg);
            return;
        }
        mira_pbuf_copy_out(seg, 0, copy, len);
        bytes = copy;
    }
    struct mira_tcp_hdr h;
    enum mira_tcpip_drop why = MIRA_DROP_NONE;
    if (t == NULL || mira_tcp_parse(bytes, len, src, dst, &h, &why) < 0) {
        if (t != NULL)
            tcpip_count_drop(s, why);
        goto out;
    }
    mira_time_t at = now();
    struct tcp_conn *c = conn_find(t, dst, h.dport, src, h.sport);
    if (c != NULL) {
        /* Without memory for its data the segment is lost: the peer sends
         * it again. */
        if (h.data_len > 0 && !ring_alloc(c, &c->cb.rcv))
            goto out;
        if (tcp_cb_input(&c->cb, &h, at) != TCP_IN_REOPEN) {
            grow_receive(c);
            conn_after(c);
            goto out;
        }
        /* A new incarnation of a connection in TIME-WAIT (RFC 6191). */
        tcp_cb_drop(&c->cb, 0);
        conn_after(c);
    }
    struct tcp_listener *l = listener_find(t, h.dport);
    if (l == NULL || tcpip_addr(s) != dst) {
        send_reset(s, dst, src, &h);
        goto out;
    }
    uint8_t kind = h.flags & (MIRA_TCP_SYN | MIRA_TCP_ACK | MIRA_TCP_RST);
    if (kind == MIRA_TCP_ACK && at < l->cookies_until && cookie_accept(t, l, dst, src, &h, at))
        goto out;
    if (kind != MIRA_TCP_SYN) {
        send_reset(s, dst, src, &h);
        goto out;
    }
    /* Full: the peer retries its SYN. */
    if (l->queued >= l->backlog) {
        t->drop_accept_full++;
        goto out;
    }
    if (l->half >= l->backlog) {
        cookie_send(t, l, dst, src, &h, at);
        goto out;
    }
    c = conn_new(t, dst, h.dport, src, h.sport);
    if (c == NULL) {
        t->drop_table_full++;
        goto out;
    }
    c->listener = l;
    l->half++;
    tcp_cb_listen(&c->cb, tcp_isn(t->isn_key, dst, h.dport, src, h.sport, at));
    tcp_cb_input(&c->cb, &h, at);
    conn_after(c);
out:
    free(copy);
    mira_pbuf_free(seg);
}

void tcpip_tcp_icmp_error(struct tcpip_stack *s, mira_ipv4_t src, mira_ipv4_t dst, uint8_t type,
                          uint8_t code, uint16_t mtu, const uint8_t *quoted_tcp, size_t len)
{
    struct tcpip_tcp *t = tcp_of(s);
    if (t == NULL || len < 8)
        return;
    uint16_t sport = mira_load_be16(quoted_tcp), dport = mira_load_be16(quoted_tcp + 2);
    uint32_t seq = mira_load_be32(quoted_tcp + 4);
    struct tcp_conn *c = conn_find(t, src, sport, dst, dport);
    if (c == NULL)
        return;
    /* Only a connection still opening takes a hard error (protocol or port
     * unreachable) as final, and only for a sequence number it sent (RFC
     * 5927 4.1); others are soft: retransmission goes on. */
    if (type == 3 && (code == 2 || code == 3) && c->cb.state == TCP_SYN_SENT &&
        seq == c->cb.iss) {
        tcp_cb_drop(&c->cb, MIRA_ECONNREFUSED);
        conn_after(c);
    }
    /* Fragmentation needed: path MTU discovery (RFC 1191; the checks are
     * tcp_cb_path_mtu's). */
    if (type == 3 && code == 4 && tcp_cb_path_mtu(&c->cb, seq, mtu, now()))
        conn_after(c);
}

/* --- listeners --- */

static bool port_free(struct tcpip_tcp *t, uint16_t port)
{
    if (listener_find(t, port) != NULL)
        return false;
    for (unsigned i = 0; i < t->hash_size; i++)
        for (struct tcp_conn *c = t->hash[i]; c; c = c->hnext)
            if (c->c.local.port == port)
                return false;
    return true;
}

/* A random ephemeral port (RFC 6056 3.3.1) free for the peer to (any
 * peer when to is NULL); 0 when none is. */
static uint16_t ephemeral_port(struct tcpip_tcp *t, mira_ipv4_t laddr,
                               const struct mira_endpoint *to)
{
    uint32_t start = mira_random_u32() % EPHEMERAL_COUNT;
    for (uint32_t i = 0; i < EPHEMERAL_COUNT; i++) {
        uint16_t port = (uint16_t)(EPHEMERAL_LOW + (start + i) % EPHEMERAL_COUNT);
        if (to == NULL ? port_free(t, port)
                       : listener_find(t, port) == NULL &&
                             conn_find(t, laddr, port, to->addr, to->port) == NULL)
            return port;
    }
    return 0;
}

int tcpip_tcp_listen(struct mira_stack *dev, uint16_t port, int backlog,
                     struct mira_tcp_listener **out)
{
    struct tcpip_stack *s = tcpip_from_dev(dev);
    struct tcpip_tcp *t = tcp_of(s);
    if (port == 0)
        port = ephemeral_port(t, 0, NULL);
    if (port == 0 || listener_find(t, port) != NULL)
        return MIRA_EADDRINUSE;
    struct tcp_listener *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return MIRA_ENOMEM;
    mira_sock_init(&l->l.sock, dev);
    l->l.local = (struct mira_endpoint){ tcpip_addr(s), port };
    l->t = t;
    l->backlog = backlog > 0 ? (unsigned)backlog : (unsigned)t->backlog;
    if (l->backlog > t->max_conns)
        l->backlog = (unsigned)t->max_conns;
    mira_waitq_init(&l->aq, false);
    l->next = t->listeners;
    t->listeners = l;
    *out = &l->l;
    return MIRA_OK;
}

int tcpip_tcp_accept(struct mira_tcp_listener *ll, struct mira_tcp **out, mira_time_t deadline)
{
    struct tcp_listener *l = (struct tcp_listener *)ll;
    for (bool timed_out = false;; timed_out = mira_wait_until(&l->aq, deadline) < 0) {
        if (ll->sock.closed)
            return MIRA_ECLOSED;
        struct tcp_conn *c = l->head;
        if (c != NULL) {
            listener_unlink_conn(c);
            c->app = true;
            *out = &c->c;
            return MIRA_OK;
        }
        if (timed_out)
            return MIRA_ETIMEDOUT;
    }
}

void tcpip_tcp_listener_close(struct mira_tcp_listener *ll)
{
    struct tcp_listener *l = (struct tcp_listener *)ll;
    struct tcpip_tcp *t = l->t;
    struct tcp_listener **pp = &t->listeners;
    while (*pp != l)
        pp = &(*pp)->next;
    *pp = l->next;
    /* Connections not yet accepted are reset (mira/stack.h). */
    for (unsigned i = 0; i < t->hash_size; i++) {
        struct tcp_conn *c = t->hash[i];
        while (c != NULL) {
            struct tcp_conn *next = c->hnext;
            if (c->listener == l) {
                tcp_cb_abort(&c->cb);
                conn_after(c);
            }
            c = next;
        }
    }
    mira_wake_all(&l->aq);
}

void tcpip_tcp_listener_free(struct mira_tcp_listener *ll)
{
    free(ll);
}

/* --- connections --- */

int tcpip_tcp_connect(struct mira_stack *dev, const struct mira_endpoint *to,
                      struct mira_tcp **out, mira_time_t deadline)
{
    struct tcpip_stack *s = tcpip_from_dev(dev);
    struct tcpip_tcp *t = tcp_of(s);
    mira_ipv4_t laddr = tcpip_addr(s);
    if (laddr == MIRA_IPV4_ANY)
        return MIRA_EIO; /* no address now (DHCP) */
    uint16_t port = ephemeral_port(t, laddr, to);
    if (port == 0)
        return MIRA_EADDRINUSE;
    struct tcp_conn *c = conn_new(t, laddr, port, to->addr, to->port);
    if (c == NULL)
        return MIRA_ENOMEM;
    /* Not the app's yet: nobody else can close it while we wait. */
    c->app = true;
    tcp_cb_connect(&c->cb, tcp_isn(t->isn_key, laddr, port, to->addr, to->port, now()), now());
    conn_after(c);
    int r = c->out_err == MIRA_EIO || c->out_err == MIRA_EAGAIN ? MIRA_EIO : MIRA_OK;
    for (bool timed_out = false; r == MIRA_OK && c->cb.state == TCP_SYN_SENT;
         timed_out = mira_wait_until(&c->sq, deadline) < 0) {
        if (timed_out)
            r = MIRA_ETIMEDOUT;
    }
    if (r == MIRA_OK && c->cb.state == TCP_CLOSED)
        r = c->cb.error != 0 ? c->cb.error : MIRA_ECLOSED;
    if (r < 0) {
        tcp_cb_abort(&c->cb);
        c->app = false;
        conn_after(c);
        return r;
    }
    *out = &c->c;
    return MIRA_OK;
}

/* What a call on a dead connection returns: ETIMEDOUT when retransmission
 * gave up, else ECLOSED (reset, aborted). */
static long dead(const struct tcp_conn *c)
{
    return c->cb.error == MIRA_ETIMEDOUT ? MIRA_ETIMEDOUT : MIRA_ECLOSED;
}

long tcpip_tcp_read(struct mira_tcp *cc, void *buf, size_t len, mira_time_t deadline)
{
    struct tcp_conn *c = (struct tcp_conn *)cc;
    for (bool timed_out = false;; timed_out = mira_wait_until(&c->rq, deadline) < 0) {
        if (cc->sock.closed)
            return MIRA_ECLOSED;
        size_t n = tcp_cb_read(&c->cb, buf, len, now());
        if (n > 0) {
            conn_after(c);
            return (long)n;
        }
        if (c->cb.fin_received)
            return 0;
        if (c->cb.state == TCP_CLOSED)
            return dead(c);
        if (timed_out)
            return MIRA_ETIMEDOUT;
    }
}

long tcpip_tcp_write(struct mira_tcp *cc, const void *buf, size_t len, mira_time_t deadline)
{
    struct tcp_conn *c = (struct tcp_conn *)cc;
    size_t done = 0;
    bool timed_out = false;
    while (done < len) {
        if (cc->sock.closed)
            return MIRA_ECLOSED;
        if (!ring_alloc(c, &c->cb.snd))
            return done > 0 ? (long)done : MIRA_ENOMEM;
        grow_send(c, len - done);
        long w = tcp_cb_write(&c->cb, (const uint8_t *)buf + done, len - done, now());
        conn_after(c);
        if (w < 0)
            return c->cb.state == TCP_CLOSED ? dead(c) : MIRA_ECLOSED;
        done += (size_t)w;
        if (done == len)
            break;
        if (w == 0 && timed_out)
            return done > 0 ? (long)done : MIRA_ETIMEDOUT;
        if (w == 0)
            timed_out = mira_wait_until(&c->wq, deadline) < 0;
    }
    return (long)done;
}

int tcpip_tcp_shutdown(struct mira_tcp *cc)
{
    struct tcp_conn *c = (struct tcp_conn *)cc;
    int r = tcp_cb_shutdown(&c->cb, now());
    conn_after(c);
    return r;
}

void tcpip_tcp_close(struct mira_tcp *cc)
{
    struct tcp_conn *c = (struct tcp_conn *)cc;
    tcp_cb_close(&c->cb, now());
    mira_wake_all(&c->rq);
    mira_wake_all(&c->wq);
    mira_wake_all(&c->sq);
    conn_after(c); /* still the app's until tcp_free */
}

void tcpip_tcp_free(struct mira_tcp *cc)
{
    struct tcp_conn *c = (struct tcp_conn *)cc;
    c->app = false;
    conn_after(c);
}

int tcpip_tcp_set_nodelay(struct mira_tcp *cc, bool on)
{
    struct tcp_conn *c = (struct tcp_conn *)cc;
    if (c->cb.state == TCP_CLOSED)
        return MIRA_ECLOSED;
    tcp_cb_set_nodelay(&c->cb, on, now());
    conn_after(c);
    return MIRA_OK;
}

int tcpip_tcp_set_keepalive(struct mira_tcp *cc, const struct mira_tcp_keepalive *ka)
{
    struct tcp_conn *c = (struct tcp_conn *)cc;
    if (c->cb.state == TCP_CLOSED)
        return MIRA_ECLOSED;
    tcp_cb_set_keepalive(&c->cb, ka->on, ka->idle, ka->interval, ka->count, now());
    conn_after(c);
    return MIRA_OK;
}
