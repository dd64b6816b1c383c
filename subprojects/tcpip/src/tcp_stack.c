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
 * own; and then until the last packet that points into its send ring is
 * gone (segments are not copied out of the ring).
 *
 * Ring memory: none until a ring holds something (ring_alloc), then
 * tcp-buf-initial bytes, grown with use toward the bandwidth-delay
 * product (rcv_tune, snd_tune) up to tcp-rcvbuf / tcp-sndbuf, and the
 * growth of all connections together bounded by tcp-mem (mem_grant).
 *
 * Hostile peers: a half-open connection (SYN-RECEIVED) holds only its
 * struct tcp_conn, no ring memory; each listener keeps at most its backlog
 * of them, and answers further SYNs with SYN cookies (tcp_cookie.h), which
 * cost nothing until a valid final ACK creates the connection.  Every
 * table is bounded: tcp-max-conns connections in all, tcp-backlog per
 * listener in the handshake and as many established and not accepted.
 *
 * The fast path (docs/architecture.md, "tcpip: the fast path"): checksums
 * and TSO left to a netif that offers them, coalesced received segments
 * taken piece by piece straight from the packet, a waiting reader's buffer
 * filled directly, and the rings grown with the windows. */
#include <limits.h>
#include <stddef.h>
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
#include <mira/tcpip/csum.h>
#include <mira/tcpip/tcp.h>
#include <mira/tcpip/wire_ipv4.h>
#include <mira/tcpip/wire_tcp.h>

#include "stack_internal.h"
#include "tcp_cb.h"
#include "tcp_cookie.h"
#include "tcp_isn.h"

#define DRIVER "tcpip"

MIRA_PARAM_DECLARE(tcp_sndbuf, "*-tcp-sndbuf", "4194304",
                   "the most a TCP connection's send ring grows to, with the congestion "
                   "window (1024..67108864)");
MIRA_PARAM_DECLARE(tcp_rcvbuf, "*-tcp-rcvbuf", "4194304",
                   "the most a TCP connection's receive ring grows to, toward the "
                   "bandwidth-delay product: its largest window (1024..67108864)");
MIRA_PARAM_DECLARE(tcp_buf_initial, "*-tcp-buf-initial", "4096",
                   "bytes each TCP ring starts with (allocated when it first holds "
                   "something); it grows with use up to tcp-sndbuf / tcp-rcvbuf "
                   "(1024..67108864)");
MIRA_PARAM_DECLARE(tcp_mem, "*-tcp-mem", "134217728",
                   "bytes all TCP rings may grow to together (Linux's tcp_mem): no ring "
                   "grows past it; a ring's first tcp-buf-initial bytes are never refused");
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
/* The most data in one segment: what an IPv4 datagram carries after a TCP
 * header with 40 bytes of options (a TSO frame too). */
#define SEG_DATA_MAX (65535u - 20u - 60u)

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
    /* Zero-copy output: segments point into the send ring (tx_release). */
    unsigned lent;                 /* packets still pointing into a send ring of c */
    uint32_t rcv_mark;             /* RCV.NXT when the receive ring last grew (grow_receive) */
    bool rcv_marked;               /* rcv_mark set (the receive ring had memory once) */
    struct tcp_conn *twprev, *twnext; /* in t's TIME-WAIT list, oldest first */
    bool in_tw;                    /* on that list */
    bool mute;                     /* output discarded (rebuilding from a cookie) */
    bool dead;                     /* released while lent: the last packet frees it */
    /* Receive-buffer auto-tuning (rcv_tune): bytes the app took since tune_at. */
    uint32_t tune_bytes;
    mira_time_t tune_at;
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
    /* Ring memory: the sizes of all rings that have memory (a replaced
     * send ring stops counting though its memory lives on until its
     * packets are gone), and tcp-mem, which their growth stays within. */
    uint64_t mem_used, mem_max, mem_peak;
    bool tx_csum;                  /* the netif finishes our checksums */
    bool tso;                      /* ... and cuts our TSO frames */
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

/* The value of the parameter "<name>-<key>" (dflt when not given); full
 * receives that key for error messages. */
static const char *dev_param(const char *name, const char *key, const char *dflt,
                             char (*full)[128])
{
    int n = snprintf(*full, sizeof(*full), "%s-%s", name, key);
    if (n < 0 || (size_t)n >= sizeof(*full))
        mira_panic("tcpip: device name '%s' too long", name);
    return mira_param(*full, dflt);
}

static int uint_param(const char *name, const char *key, const char *dflt, unsigned long min,
                      unsigned long max, unsigned long *out)
{
    char full[128];
    const char *v = dev_param(name, key, dflt, &full);
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
    const char *v = dev_param(name, "tcp-cc", "cubic", &full);
    if (tcp_cc_from_name(v, out) < 0) {
        mira_connect_error(name, DRIVER, "--%s=%s is neither cubic nor newreno", full, v);
        return MIRA_EINVAL;
    }
    return MIRA_OK;
}

static int bool_param(const char *name, const char *key, const char *dflt, bool *out)
{
    char full[128];
    const char *v = dev_param(name, key, dflt, &full);
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

/* A send ring's memory (its bytes[] are cb.snd.buf): kept, once replaced
 * by a larger one or once its connection is released, until the last
 * packet that points into it is gone. */
struct snd_mem {
    unsigned lent;   /* packets pointing into bytes[] */
    bool retired;    /* no longer the ring: freed at lent 0 */
    uint8_t bytes[];
};

/* The snd_mem whose bytes[] are at base. */
static struct snd_mem *snd_mem_of(void *base)
{
    return (struct snd_mem *)((uint8_t *)base - offsetof(struct snd_mem, bytes));
}

/* A send ring's memory is no longer the ring: freed now, or by the last
 * packet pointing into it. */
static void snd_mem_retire(struct snd_mem *m)
{
    m->retired = true;
    if (m->lent == 0)
        free(m);
}

/* c itself, once nothing needs it (its rings went at conn_free_buffers). */
static void conn_memory_free(struct tcp_conn *c)
{
    free(c);
}

/* A packet that pointed into c's send ring (at base) is gone
 * (mira_pbuf_wrap's release).  It touches only c and the ring's memory,
 * which outlive the stack's TCP state when packets do. */
static void tx_release(void *base, void *arg)
{
    struct tcp_conn *c = arg;
    struct snd_mem *m = snd_mem_of(base);
    if (--m->lent == 0 && m->retired)
        free(m);
    if (--c->lent == 0 && c->dead)
        conn_memory_free(c);
}

/* Sends one TCP segment (header h, data_len bytes of c's send ring from
 * off; c is NULL for a RST without a connection) from laddr to raddr.
 * The data is not copied: the packet's data pieces point into the ring,
 * where acknowledged bytes only are ever overwritten (a packet still held
 * then, in an ARP queue, carries stale bytes of a range the peer has, and
 * is dropped as old or as a bad sum).  The checksum is left to the device
 * when it offers to finish it; a segment longer than the MSS is a TSO
 * frame.  A lost allocation is a lost segment: the retransmission timer
 * covers it. */
static int send_segment(struct tcpip_tcp *t, struct tcp_conn *c, mira_ipv4_t laddr,
                        mira_ipv4_t raddr, const struct mira_tcp_hdr *h, uint32_t off,
                        uint32_t data_len)
{
    struct tcpip_stack *s = t->s;
    int olen = mira_tcp_options_len(&h->opts);
    if (olen < 0)
        mira_panic("tcpip: TCP options that do not encode");
    size_t hlen = MIRA_TCP_HDR_LEN + (size_t)olen;
    struct mira_pbuf *p = mira_pbuf_alloc(hlen, MIRA_TCPIP_HEADROOM);
    if (p == NULL)
        return MIRA_ENOMEM;
    if (mira_tcp_build(p->data, hlen, h, laddr, raddr, 0) < 0)
        mira_panic("tcpip: a TCP segment that does not build");
    uint32_t data_sum = 0;
    if (data_len > 0) {
        const struct tcp_ring *r = &c->cb.snd;
        uint32_t pos = (uint32_t)(((uint64_t)r->head + off) % r->cap);
        for (uint32_t done = 0; done < data_len;) {
            uint32_t n = data_len - done;
            if (n > r->cap - pos)
                n = r->cap - pos;
            struct mira_pbuf *d = mira_pbuf_wrap(r->buf, r->cap, pos, n, tx_release, c);
            if (d == NULL) {
                mira_pbuf_free(p);
                return MIRA_ENOMEM;
            }
            c->lent++;
            snd_mem_of(r->buf)->lent++;
            if (!t->tx_csum)
                data_sum = mira_csum_partial_at(r->buf + pos, n, done, data_sum);
            mira_pbuf_cat(p, d);
            done += n;
            pos = 0;
        }
    }
    uint32_t pseudo = mira_csum_pseudo_ipv4(laddr, raddr, MIRA_IPV4_PROTO_TCP,
                                            (uint16_t)(hlen + data_len));
    uint8_t *field = p->data + MIRA_TCP_OFF_CHECKSUM;
    mira_store_be16(field, 0);
    if (t->tx_csum) {
        /* The device sums from the TCP header on and adds to the field,
         * which holds the pseudo-header's sum (folded, not complemented). */
        mira_store_be16(field, (uint16_t)~mira_csum_finish(pseudo));
        p->offload.flags = MIRA_PBUF_CSUM_PARTIAL;
        p->offload.csum_start = 0;
        p->offload.csum_offset = MIRA_TCP_OFF_CHECKSUM;
        if (c != NULL && t->tso && data_len > c->cb.snd_mss) {
            p->offload.gso_type = MIRA_PBUF_GSO_TCPV4;
            p->offload.gso_size = c->cb.snd_mss;
            p->offload.hdr_len = (uint16_t)hlen;
        }
    } else {
        uint32_t sum = mira_csum_add(pseudo, mira_csum_partial(p->data, hlen, 0));
        mira_store_be16(field, mira_csum_finish(mira_csum_add(sum, data_sum)));
    }
    return tcpip_ipv4_output(s, laddr, raddr, MIRA_IPV4_PROTO_TCP, p);
}

static void conn_output(void *ctx, struct tcp_cb *cb, const struct mira_tcp_hdr *h, uint32_t off,
                        uint32_t len)
{
    struct tcp_conn *c = ctx;
    (void)cb;
    if (c->mute)
        return;
    int r = send_segment(c->t, c, c->c.local.addr, c->c.peer.addr, h, off, len);
    if (r < 0)
        c->out_err = r;
}

/* The RST for a segment no connection takes (3.10.7.1). */
static void send_reset(struct tcpip_tcp *t, mira_ipv4_t laddr, mira_ipv4_t raddr,
                       const struct mira_tcp_hdr *h)
{
    struct mira_tcp_hdr rst;
    if (tcp_rst_reply(h, &rst))
        send_segment(t, NULL, laddr, raddr, &rst, 0, 0);
}

/* Our MSS towards raddr: the route's, at most what one IPv4 datagram
 * carries. */
static uint16_t mss_towards(struct tcpip_tcp *t, mira_ipv4_t raddr)
{
    uint32_t mss = tcpip_mss_for(t->s, raddr);
    if (mss > SEG_DATA_MAX)
        mss = SEG_DATA_MAX;
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

/* c's rings go: the receive ring's memory now, the send ring's once no
 * packet points into it; they stop counting toward tcp-mem. */
static void conn_free_buffers(struct tcp_conn *c)
{
    struct tcpip_tcp *t = c->t;
    if (c->cb.snd.buf != NULL) {
        t->mem_used -= c->cb.snd.cap;
        snd_mem_retire(snd_mem_of(c->cb.snd.buf));
        c->cb.snd.buf = NULL;
    }
    if (c->cb.rcv.buf != NULL) {
        t->mem_used -= c->cb.rcv.cap;
        free(c->cb.rcv.buf);
        c->cb.rcv.buf = NULL;
    }
}

/* c's own memory: now, or (packets still pointing into its send ring)
 * by the last of them (tx_release). */
static void conn_drop_memory(struct tcp_conn *c)
{
    if (c->lent > 0)
        c->dead = true;
    else
        conn_memory_free(c);
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
    conn_drop_memory(c);
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

static void snd_trim(struct tcp_conn *c);

/* After every event of c's control block: wake whoever it concerns, move
 * it along its listener's queues, give back an empty send ring's memory
 * (snd_trim), re-arm its timer, and free it when nobody needs it any
 * more.  Returns true when c was freed. */
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
    snd_trim(c);
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

/* n more bytes of ring memory. */
static void mem_charge(struct tcpip_tcp *t, uint64_t n)
{
    t->mem_used += n;
    if (t->mem_used > t->mem_peak)
        t->mem_peak = t->mem_used;
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
    if (r == &c->cb.snd) {
        struct snd_mem *m = malloc(sizeof(*m) + r->cap);
        if (m == NULL)
            return false;
        m->lent = 0;
        m->retired = false;
        r->buf = m->bytes;
    } else {
        r->buf = malloc(r->cap);
        if (r->buf == NULL)
            return false;
        /* Growth by use counts from the ring's first memory, not from
         * each time an idle ring (rcv_trim) gets memory again: else a
         * reader that waits between segments would keep the ring at its
         * first size for good. */
        if (!c->rcv_marked) {
            c->rcv_mark = c->cb.rcv_nxt;
            c->rcv_marked = true;
        }
    }
    mem_charge(c->t, r->cap);
    return true;
}

/* An idle connection gives its rings' memory back (ring_alloc brings it
 * again, at the same cap, when something is to be kept): a ring still at
 * its first size (tcp-buf-initial; a grown ring is a busy connection's,
 * and its size the tuning) that holds nothing - the send ring when all
 * written was acknowledged (its memory stays until the packets still
 * pointing into it are gone: snd_mem_retire), the receive ring when
 * nothing is unread or out of order.  At most one free here and one malloc
 * at the next use: a thousand idle connections hold no ring memory. */
static void snd_trim(struct tcp_conn *c)
{
    struct tcp_ring *r = &c->cb.snd;
    if (r->buf == NULL || r->cap > c->t->buf_initial || !tcp_cb_snd_empty(&c->cb))
        return;
    c->t->mem_used -= r->cap;
    snd_mem_retire(snd_mem_of(r->buf));
    r->buf = NULL;
}

static void rcv_trim(struct tcp_conn *c)
{
    struct tcp_ring *r = &c->cb.rcv;
    if (r->buf == NULL || r->cap > c->t->buf_initial || !tcp_cb_rcv_empty(&c->cb))
        return;
    c->t->mem_used -= r->cap;
    free(r->buf);
    r->buf = NULL;
}

/* The size a ring of cap bytes may grow to when it wants want (> cap):
 * want within its own bound most and within what tcp-mem leaves of all
 * rings' memory; cap when nothing is left (it stays as it is). */
static uint32_t mem_grant(struct tcpip_tcp *t, uint32_t cap, uint64_t want, uint64_t most)
{
    if (want > most)
        want = most;
    uint64_t left = t->mem_used < t->mem_max ? t->mem_max - t->mem_used : 0;
    if (want > (uint64_t)cap + left)
        want = (uint64_t)cap + left;
    return want > cap ? (uint32_t)want : cap;
}

/* Moves c's receive ring into want bytes (as much of it as tcp-rcvbuf and
 * tcp-mem allow; nothing without memory): unread and out-of-order bytes
 * keep their distance from the head (tcp_cb_rcv_grow). */
static void rcv_grow_to(struct tcp_conn *c, uint64_t want)
{
    struct tcp_cb *cb = &c->cb;
    uint32_t cap = cb->rcv.cap;
    uint32_t size = mem_grant(c->t, cap, want, c->t->rcvbuf);
    if (size == cap)
        return; /* tcp-mem reached: stays as it is */
    uint8_t *mem = malloc(size);
    if (mem == NULL)
        return;
    uint8_t *old = cb->rcv.buf;
    tcp_cb_rcv_grow(cb, mem, size);
    free(old);
    mem_charge(c->t, size - cap);
    c->rcv_mark = cb->rcv_nxt;
}

/* Receive-buffer auto-tuning, after the app took n bytes (Linux's
 * tcp_rmem model, "dynamic right-sizing"): once per round trip (the
 * smoothed RTT, or 1 ms before there is one) look at what the app took in
 * it; when that is more than half the ring, the window was what held the
 * sender back: the ring doubles (at least to twice that amount), up to
 * tcp-rcvbuf and within tcp-mem.  An idle or chatty connection so keeps
 * its tcp-buf-initial bytes, a bulk one grows toward its bandwidth-delay
 * product.  The window then opens with the next ACK (it only ever opens
 * by the growth: tcp_cb's invariants). */
static void rcv_tune(struct tcp_conn *c, size_t n)
{
    struct tcp_cb *cb = &c->cb;
    uint32_t cap = cb->rcv.cap;
    if (cap >= c->t->rcvbuf || cb->rcv.buf == NULL)
        return;
    mira_time_t at = now();
    c->tune_bytes += (uint32_t)n;
    mira_time_t rtt = cb->have_rtt && cb->srtt > 0 ? cb->srtt : MIRA_MILLISECONDS(1);
    if (c->tune_at == 0)
        c->tune_at = at;
    if (at - c->tune_at < rtt)
        return;
    uint32_t took = c->tune_bytes;
    c->tune_at = at;
    c->tune_bytes = 0;
    if (took <= cap / 2)
        return;
    uint64_t want = (uint64_t)cap * 2;
    if (want < (uint64_t)took * 2)
        want = (uint64_t)took * 2;
    rcv_grow_to(c, want);
}

/* Receive-ring growth by use (at each segment with data): the ring
 * doubles when it is half full (the app lags behind the peer) or has
 * taken twice its size since it last grew (the peer keeps the window
 * busy), so that a long transfer reaches tcp-rcvbuf even while the app
 * keeps up. */
static void grow_receive(struct tcp_conn *c)
{
    struct tcp_ring *r = &c->cb.rcv;
    if (r->buf == NULL || r->cap >= c->t->rcvbuf)
        return;
    if (r->len < r->cap / 2 && c->cb.rcv_nxt - c->rcv_mark < 2 * r->cap)
        return;
    rcv_grow_to(c, (uint64_t)r->cap * 2);
}

/* Send-buffer auto-tuning (Linux's tcp_wmem model), when a write finds
 * the send ring full: the ring is what holds the flight back once the
 * windows (the congestion window and the peer's) exceed half of it, so it
 * grows to twice the usable window (at least doubling), up to tcp-sndbuf
 * and within tcp-mem.  The old memory stays until the packets pointing
 * into it are gone.  Returns true when it grew. */
static bool snd_tune(struct tcp_conn *c)
{
    struct tcp_cb *cb = &c->cb;
    uint32_t cap = cb->snd.cap;
    uint32_t wnd = cb->cwnd < cb->snd_wnd ? cb->cwnd : cb->snd_wnd;
    if (cb->snd.buf == NULL || cap >= c->t->sndbuf || wnd <= cap / 2 ||
        tcp_cb_send_space(cb) > 0)
        return false;
    uint64_t want = (uint64_t)wnd * 2;
    if (want < (uint64_t)cap * 2)
        want = (uint64_t)cap * 2;
    uint32_t size = mem_grant(c->t, cap, want, c->t->sndbuf);
    if (size == cap)
        return false; /* tcp-mem reached: stays as it is */
    struct snd_mem *m = malloc(sizeof(*m) + size);
    if (m == NULL)
        return false;
    m->lent = 0;
    m->retired = false;
    struct snd_mem *old = snd_mem_of(cb->snd.buf);
    tcp_cb_snd_grow(cb, m->bytes, size);
    snd_mem_retire(old);
    mem_charge(c->t, size - cap);
    return true;
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
    /* The rings at their first size, their memory to come (ring_alloc);
     * the window scale for the largest the receive ring may grow to
     * (cfg.rcvbuf_max). */
    tcp_cb_init(&c->cb, &cfg, lport, rport, NULL,
                (uint32_t)(t->buf_initial < t->sndbuf ? t->buf_initial : t->sndbuf), NULL,
                (uint32_t)(t->buf_initial < t->rcvbuf ? t->buf_initial : t->rcvbuf),
                conn_output, c);
    struct tcp_conn **slot = slot_of(t, c);
    c->hnext = *slot;
    *slot = c;
    t->conns++;
    return c;
}

/* --- input --- */

/* Sums len bytes of chain p from byte off on (pieces at odd offsets too). */
static uint32_t chain_sum(const struct mira_pbuf *p, size_t off, size_t len, uint32_t sum)
{
    size_t pos = 0;
    for (; p != NULL && len > 0; p = p->next) {
        if (off >= p->len) {
            off -= p->len;
            continue;
        }
        size_t n = p->len - off < len ? p->len - off : len;
        sum = mira_csum_partial_at(p->data + off, n, pos, sum);
        pos += n;
        len -= n;
        off = 0;
    }
    return sum;
}

/* Hands segment h (its header in seg's first piece, its data from there
 * on through seg's pieces) to c's control block.  Data in several pieces
 * (a coalesced 64 KiB segment read into pages) goes in as the consecutive
 * segments it is made of, one per piece, so that the control block copies
 * each straight from the packet (into the app's buffer or the ring). */
static enum tcp_input_result conn_input(struct tcp_conn *c, struct mira_tcp_hdr *h,
                                        const struct mira_pbuf *seg, mira_time_t at)
{
    size_t first = seg->len - h->hdr_len;
    if (h->data_len <= first)
        return tcp_cb_input(&c->cb, h, at);
    size_t total = h->data_len;
    uint8_t flags = h->flags;
    h->data_len = first;
    if (flags & MIRA_TCP_SYN) {
        /* Data on a SYN beyond the first piece: not taken (the peer sends
         * it again), and so not its FIN either. */
        h->flags = (uint8_t)(flags & ~MIRA_TCP_FIN);
        return tcp_cb_input(&c->cb, h, at);
    }
    struct mira_tcp_hdr part = *h;
    part.flags = (uint8_t)(flags & ~(MIRA_TCP_FIN | MIRA_TCP_PSH));
    c->cb.more_follows = true;
    enum tcp_input_result r = tcp_cb_input(&c->cb, &part, at);
    size_t done = first;
    for (const struct mira_pbuf *q = seg->next; q != NULL && r == TCP_IN_DONE && done < total;
         q = q->next) {
        if (c->cb.state == TCP_CLOSED)
            break;
        part.seq = h->seq + (uint32_t)done;
        part.data = q->data;
        part.data_len = q->len < total - done ? q->len : total - done;
        done += part.data_len;
        part.flags = (uint8_t)(done == total ? flags : flags & ~(MIRA_TCP_FIN | MIRA_TCP_PSH));
        c->cb.more_follows = done < total;
        r = tcp_cb_input(&c->cb, &part, at);
    }
    c->cb.more_follows = false;
    return r;
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
    send_segment(t, NULL, laddr, raddr, &sa, 0, 0);
    t->cookies_sent++;
}

/* An ACK h (laddr <- raddr) to l with no connection: when it carries a
 * valid cookie, the connection it completes, rebuilt as the SYN-RECEIVED
 * one it would have been (the SYN replayed from the cookie's contents,
 * its SYN-ACK not sent again) and given h (with its data in seg's pieces,
 * into a receive ring allocated for it).  False: not a cookie. */
static bool cookie_accept(struct tcpip_tcp *t, struct tcp_listener *l, mira_ipv4_t laddr,
                          mira_ipv4_t raddr, struct mira_tcp_hdr *h,
                          const struct mira_pbuf *seg, mira_time_t at)
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
    conn_input(c, h, seg, at);
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
    unsigned long retries, syn_retries, msl, mem_max;
    if (uint_param(name, "tcp-sndbuf", "4194304", 1024, 64ul << 20, &t->sndbuf) < 0 ||
        uint_param(name, "tcp-rcvbuf", "4194304", 1024, 64ul << 20, &t->rcvbuf) < 0 ||
        uint_param(name, "tcp-buf-initial", "4096", 1024, 64ul << 20, &t->buf_initial) < 0 ||
        uint_param(name, "tcp-mem", "134217728", 0, ULONG_MAX, &mem_max) < 0 ||
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
    t->mem_max = mem_max;
    t->cfg.rcvbuf_max = (uint32_t)t->rcvbuf;
    /* The netif's offloads: checksums finished by the device, and TSO
     * (which needs them) for segments of up to SEG_DATA_MAX bytes. */
    const struct mira_netif_info *info = tcpip_netif_info(s);
    t->tx_csum = (info->offloads & MIRA_NETIF_TX_CSUM) != 0;
    t->tso = t->tx_csum && (info->offloads & MIRA_NETIF_TSO4) &&
             info->gso_max >= MIRA_ETH_HLEN + 20u + 60u + SEG_DATA_MAX;
    t->cfg.seg_max = t->tso ? SEG_DATA_MAX : 0;
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
            conn_drop_memory(c); /* a packet still held: freed with the last */
        }
    }
    loss_stats_log(t, mira_stack_name(tcpip_dev(s)));
    if (t->mem_peak > 0)
        mira_log(MIRA_LOG_INFO, DRIVER, "%s: tcp rings: peak %llu bytes (tcp-mem %llu)",
                 mira_stack_name(tcpip_dev(s)), (unsigned long long)t->mem_peak,
                 (unsigned long long)t->mem_max);
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

/* Segments: check the header (and the sum unless the device did), find
 * its connection or listener, else answer with a RST.  The data stays in
 * the packet's pieces. */
/* Segments: check the header (and the sum unless the device did), find
 * its connection or listener, else answer with a RST.  The data stays in
 * the packet's pieces. */
void tcpip_tcp_input(struct tcpip_stack *s, mira_ipv4_t src, mira_ipv4_t dst,
                     struct mira_pbuf *seg)
{
    struct tcpip_tcp *t = tcp_of(s);
    size_t len = seg->tot_len;
    struct mira_tcp_hdr h;
    enum mira_tcpip_drop why = MIRA_DROP_TCP_SHORT;
    uint8_t *b = mira_pbuf_pullup(&seg, len < MIRA_TCP_HDR_LEN ? len : MIRA_TCP_HDR_LEN);
    if (b != NULL && len >= MIRA_TCP_HDR_LEN) {
        size_t hlen = (size_t)(b[MIRA_TCP_OFF_DOFF] >> 4) * 4;
        if (hlen > MIRA_TCP_HDR_LEN && hlen <= len)
            b = mira_pbuf_pullup(&seg, hlen);
    }
    if (t == NULL) {
        mira_pbuf_free(seg);
        return;
    }
    if (b == NULL) {
        tcpip_count_drop(s, why);
        mira_pbuf_free(seg);
        return;
    }
    if (!(seg->offload.flags & MIRA_PBUF_CSUM_VALID) && len >= MIRA_TCP_HDR_LEN &&
        len <= 65535u - 20u) {
        uint32_t sum = mira_csum_pseudo_ipv4(src, dst, MIRA_IPV4_PROTO_TCP, (uint16_t)len);
        if (mira_csum_finish(chain_sum(seg, 0, len, sum)) != 0) {
            tcpip_count_drop(s, MIRA_DROP_TCP_CHECKSUM);
            mira_pbuf_free(seg);
            return;
        }
    }
    if (mira_tcp_parse_header(b, seg->len, len, &h, &why) < 0) {
        tcpip_count_drop(s, why);
        mira_pbuf_free(seg);
        return;
    }
    mira_time_t at = now();
    struct tcp_conn *c = conn_find(t, dst, h.dport, src, h.sport);
    if (c != NULL) {
        /* Without memory for its data the segment is lost: the peer sends
         * it again. */
        if (h.data_len > 0 && !ring_alloc(c, &c->cb.rcv))
            goto out;
        if (conn_input(c, &h, seg, at) != TCP_IN_REOPEN) {
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
        send_reset(t, dst, src, &h);
        goto out;
    }
    uint8_t kind = h.flags & (MIRA_TCP_SYN | MIRA_TCP_ACK | MIRA_TCP_RST);
    if (kind == MIRA_TCP_ACK && at < l->cookies_until &&
        cookie_accept(t, l, dst, src, &h, seg, at))
        goto out;
    if (kind != MIRA_TCP_SYN) {
        send_reset(t, dst, src, &h);
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
    tcp_cb_input(&c->cb, &h, at); /* data on a SYN is not kept (tcp_cb) */
    conn_after(c);
out:
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
    for (bool timed_out = false;;) {
        if (cc->sock.closed)
            return MIRA_ECLOSED;
        size_t n = tcp_cb_read(&c->cb, buf, len, now());
        if (n > 0) {
            rcv_tune(c, n);
            conn_after(c);
            return (long)n;
        }
        if (c->cb.fin_received)
            return 0;
        if (c->cb.state == TCP_CLOSED)
            return dead(c);
        if (timed_out)
            return MIRA_ETIMEDOUT;
        /* Wait with the buffer lent to the control block: data arriving
         * meanwhile is copied into it straight from the packet.  The
         * ring, empty, gives its memory back meanwhile (rcv_trim). */
        rcv_trim(c);
        bool mine = c->cb.rd_buf == NULL && len > 0;
        if (mine)
            tcp_cb_reader(&c->cb, buf, len < UINT32_MAX ? (uint32_t)len : UINT32_MAX);
        timed_out = mira_wait_until(&c->rq, deadline) < 0;
        if (mine) {
            uint32_t got = c->cb.rd_done;
            tcp_cb_reader(&c->cb, NULL, 0);
            if (got > 0) {
                rcv_tune(c, got);
                return (long)got;
            }
        }
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
        long w = tcp_cb_write(&c->cb, (const uint8_t *)buf + done, len - done, now());
        if (w >= 0 && done + (size_t)w < len && snd_tune(c)) {
            done += (size_t)w;
            conn_after(c);
            continue; /* room again: write on */
        }
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
