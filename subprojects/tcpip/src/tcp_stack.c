/* tcp_stack.c - the stack's TCP module: the mira/driver/stack.h TCP ops and
 * the hooks of stack_internal.h, around the pure per-connection state
 * machine of tcp_cb.c.  This file does what tcp_cb.c must not: packet
 * buffers in and out, one mira_timer per connection (armed for the
 * control block's earliest deadline), fibers waiting and waking, the
 * connection table, listeners with their bounded queues, ports and ISNs.
 *
 * A connection's memory (struct tcp_conn with its two rings) lives until
 * both the app has let go (never given to it, or tcp_free) and its control
 * block is CLOSED: a closed connection still sends what was queued, its
 * FIN, and waits in TIME-WAIT, on its own; and then until the last packet
 * that points into its send ring is gone (segments are not copied out of
 * the ring).
 *
 * The fast path (docs/architecture.md, "tcpip: the fast path"): checksums
 * and TSO left to a netif that offers them, coalesced received segments
 * taken piece by piece straight from the packet, a waiting reader's buffer
 * filled directly, and the receive ring grown toward the bandwidth-delay
 * product (rcv_tune). */
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
#include "tcp_isn.h"

#define DRIVER "tcpip"

MIRA_PARAM_DECLARE(tcp_sndbuf, "*-tcp-sndbuf", "131072",
                   "bytes a TCP connection queues for sending at first (1024..67108864)");
MIRA_PARAM_DECLARE(tcp_sndbuf_max, "*-tcp-sndbuf-max", "4194304",
                   "the send buffer grows with the congestion window up to this (bytes; at "
                   "most 67108864; below tcp-sndbuf: no growth)");
MIRA_PARAM_DECLARE(tcp_rcvbuf, "*-tcp-rcvbuf", "131072",
                   "bytes a TCP connection keeps received and unread at first: its first "
                   "window (1024..67108864)");
MIRA_PARAM_DECLARE(tcp_rcvbuf_max, "*-tcp-rcvbuf-max", "4194304",
                   "the receive buffer grows toward the bandwidth-delay product up to this "
                   "(bytes; at most 67108864; below tcp-rcvbuf: no growth)");
MIRA_PARAM_DECLARE(tcp_backlog, "*-tcp-backlog", "64",
                   "default per listener: connections in the handshake, and established "
                   "ones not yet accepted (each)");
MIRA_PARAM_DECLARE(tcp_max_conns, "*-tcp-max-conns", "1024",
                   "TCP connections at once, TIME-WAIT and handshakes included");
MIRA_PARAM_DECLARE(tcp_retries, "*-tcp-retries", "12",
                   "retransmissions of one segment before the connection fails (ETIMEDOUT)");
MIRA_PARAM_DECLARE(tcp_syn_retries, "*-tcp-syn-retries", "6",
                   "SYN retransmissions before a connect fails (ETIMEDOUT)");
MIRA_PARAM_DECLARE(tcp_msl, "*-tcp-msl-ms", "30000",
                   "maximum segment lifetime, ms: TIME-WAIT lasts twice this");

#define TCP_HASH_SIZE 256
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
    struct mira_timer timer;
    struct mira_waitq rq, wq, sq;  /* readers, writers, connect */
    /* Zero-copy output: segments point into the send ring (tx_release). */
    unsigned lent;                 /* packets still pointing into it */
    bool dead;                     /* released while lent: the last one frees it */
    uint8_t *rcv_mem;              /* a grown receive ring (malloc), else NULL */
    struct snd_mem *snd_mem;       /* a grown send ring, else NULL (in the block) */
    /* Receive-buffer auto-tuning (rcv_tune): bytes the app took since tune_at. */
    mira_time_t tune_at;
    uint32_t tune_bytes;
};

struct tcp_listener {
    struct mira_tcp_listener l;    /* first: what the runtime sees */
    struct tcpip_tcp *t;
    struct tcp_listener *next;     /* in t->listeners */
    struct tcp_conn *head, *tail;  /* established, not yet accepted */
    unsigned queued, half, backlog;
    struct mira_waitq aq;
};

struct tcpip_tcp {
    struct tcpip_stack *s;
    struct tcp_conn *hash[TCP_HASH_SIZE];
    unsigned conns;
    struct tcp_listener *listeners;
    uint8_t isn_key[16];
    struct tcp_config cfg;
    unsigned long sndbuf, sndbuf_max, rcvbuf, rcvbuf_max, backlog, max_conns;
    bool tx_csum;                  /* the netif finishes our checksums */
    bool tso;                      /* ... and cuts our TSO frames */
};

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

/* --- the connection table --- */

static unsigned hash_of(mira_ipv4_t laddr, uint16_t lport, mira_ipv4_t raddr, uint16_t rport)
{
    uint32_t h = laddr * 2654435761u ^ raddr * 2246822519u ^ ((uint32_t)lport << 16 | rport);
    h ^= h >> 15;
    h *= 2654435761u;
    return (h >> 16) % TCP_HASH_SIZE;
}

static struct tcp_conn **slot_of(struct tcpip_tcp *t, const struct tcp_conn *c)
{
    return &t->hash[hash_of(c->c.local.addr, c->c.local.port, c->c.peer.addr, c->c.peer.port)];
}

static struct tcp_conn *conn_find(struct tcpip_tcp *t, mira_ipv4_t laddr, uint16_t lport,
                                  mira_ipv4_t raddr, uint16_t rport)
{
    for (struct tcp_conn *c = t->hash[hash_of(laddr, lport, raddr, rport)]; c; c = c->hnext)
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

/* A grown send ring: kept, once replaced, until the last packet that
 * points into it is gone. */
struct snd_mem {
    unsigned lent;   /* packets pointing into bytes[] */
    bool retired;    /* no longer the ring: freed at lent 0 */
    uint8_t bytes[];
};

/* The memory of c (the block with its rings), once nothing needs it. */
static void conn_memory_free(struct tcp_conn *c)
{
    free(c->rcv_mem);
    free(c->snd_mem);
    free(c);
}

/* The snd_mem whose bytes[] are at base, or NULL: the ring in c's block. */
static struct snd_mem *snd_mem_of(struct tcp_conn *c, void *base)
{
    if ((uint8_t *)base == (uint8_t *)(c + 1))
        return NULL;
    return (struct snd_mem *)((uint8_t *)base - offsetof(struct snd_mem, bytes));
}

/* A packet that pointed into c's send ring (at base) is gone
 * (mira_pbuf_wrap's release). */
static void tx_release(void *base, void *arg)
{
    struct tcp_conn *c = arg;
    struct snd_mem *m = snd_mem_of(c, base);
    if (m != NULL && --m->lent == 0 && m->retired)
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
            struct snd_mem *m = snd_mem_of(c, r->buf);
            if (m != NULL)
                m->lent++;
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

static void conn_release(struct tcp_conn *c)
{
    struct tcpip_tcp *t = c->t;
    struct tcp_conn **pp = slot_of(t, c);
    while (*pp != c)
        pp = &(*pp)->hnext;
    *pp = c->hnext;
    t->conns--;
    mira_timer_fini(&c->timer);
    if (c->lent > 0)
        c->dead = true;
    else
        conn_memory_free(c);
}

/* After every event of c's control block: wake whoever it concerns, move
 * it along its listener's queues, re-arm its timer, and free it when
 * nobody needs it any more.  Returns true when c was freed. */
static bool conn_after(struct tcp_conn *c)
{
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

/* A new connection in the table (CLOSED), or NULL (MIRA_ENOMEM). */
static struct tcp_conn *conn_new(struct tcpip_tcp *t, mira_ipv4_t laddr, uint16_t lport,
                                 mira_ipv4_t raddr, uint16_t rport)
{
    if (t->conns >= t->max_conns)
        return NULL;
    struct tcp_conn *c = calloc(1, sizeof(*c) + t->sndbuf + t->rcvbuf);
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
    uint32_t mss = tcpip_mss_for(t->s, raddr);
    if (mss > SEG_DATA_MAX)
        mss = SEG_DATA_MAX;
    if (mss < 64)
        mss = 64;
    cfg.mss = cfg.mss_max_send = (uint16_t)mss;
    uint8_t *bufs = (uint8_t *)(c + 1);
    tcp_cb_init(&c->cb, &cfg, lport, rport, bufs, (uint32_t)t->sndbuf, bufs + t->sndbuf,
                (uint32_t)t->rcvbuf, conn_output, c);
    struct tcp_conn **slot = slot_of(t, c);
    c->hnext = *slot;
    *slot = c;
    t->conns++;
    return c;
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
        uint_param(name, "tcp-sndbuf-max", "4194304", 0, 64ul << 20, &t->sndbuf_max) < 0 ||
        uint_param(name, "tcp-rcvbuf", "131072", 1024, 64ul << 20, &t->rcvbuf) < 0 ||
        uint_param(name, "tcp-rcvbuf-max", "4194304", 0, 64ul << 20, &t->rcvbuf_max) < 0 ||
        uint_param(name, "tcp-backlog", "64", 1, 65535, &t->backlog) < 0 ||
        uint_param(name, "tcp-max-conns", "1024", 1, 1000000, &t->max_conns) < 0 ||
        uint_param(name, "tcp-retries", "12", 1, 100, &retries) < 0 ||
        uint_param(name, "tcp-syn-retries", "6", 1, 100, &syn_retries) < 0 ||
        uint_param(name, "tcp-msl-ms", "30000", 1, 3600000, &msl) < 0) {
        free(t);
        return MIRA_EINVAL;
    }
    t->cfg.max_retries = (unsigned)retries;
    t->cfg.max_syn_retries = (unsigned)syn_retries;
    t->cfg.msl = MIRA_MILLISECONDS(msl);
    if (t->rcvbuf_max < t->rcvbuf)
        t->rcvbuf_max = t->rcvbuf;
    if (t->sndbuf_max < t->sndbuf)
        t->sndbuf_max = t->sndbuf;
    t->cfg.rcvbuf_max = (uint32_t)t->rcvbuf_max;
    /* The netif's offloads: checksums finished by the device, and TSO
     * (which needs them) for segments of up to SEG_DATA_MAX bytes. */
    const struct mira_netif_info *info = tcpip_netif_info(s);
    t->tx_csum = (info->offloads & MIRA_NETIF_TX_CSUM) != 0;
    t->tso = t->tx_csum && (info->offloads & MIRA_NETIF_TSO4) &&
             info->gso_max >= MIRA_ETH_HLEN + 20u + 60u + SEG_DATA_MAX;
    t->cfg.seg_max = t->tso ? SEG_DATA_MAX : 0;
    mira_random_bytes(t->isn_key, sizeof(t->isn_key));
    tcpip_set_tcp_state(s, t);
    return MIRA_OK;
}

void tcpip_tcp_fini(struct tcpip_stack *s)
{
    struct tcpip_tcp *t = tcp_of(s);
    if (t == NULL)
        return;
    for (unsigned i = 0; i < TCP_HASH_SIZE; i++) {
        while (t->hash[i] != NULL) {
            struct tcp_conn *c = t->hash[i];
            t->hash[i] = c->hnext;
            mira_timer_fini(&c->timer);
            if (c->lent > 0)
                c->dead = true; /* freed with the last packet that points into it */
            else
                conn_memory_free(c);
        }
    }
    while (t->listeners != NULL) {
        struct tcp_listener *l = t->listeners;
        t->listeners = l->next;
        free(l);
    }
    tcpip_set_tcp_state(s, NULL);
    free(t);
}

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
        if (conn_input(c, &h, seg, at) != TCP_IN_REOPEN) {
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
    if ((h.flags & (MIRA_TCP_SYN | MIRA_TCP_ACK | MIRA_TCP_RST)) != MIRA_TCP_SYN) {
        send_reset(t, dst, src, &h);
        goto out;
    }
    if (l->half >= l->backlog || l->queued >= l->backlog)
        goto out; /* full: the peer retries its SYN (SYN cookies: next issue) */
    c = conn_new(t, dst, h.dport, src, h.sport);
    if (c == NULL)
        goto out;
    c->listener = l;
    l->half++;
    tcp_cb_listen(&c->cb, tcp_isn(t->isn_key, dst, h.dport, src, h.sport, at));
    conn_input(c, &h, seg, at);
    conn_after(c);
out:
    mira_pbuf_free(seg);
}

void tcpip_tcp_icmp_error(struct tcpip_stack *s, mira_ipv4_t src, mira_ipv4_t dst, uint8_t type,
                          uint8_t code, const uint8_t *quoted_tcp, size_t len)
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
}

/* --- listeners --- */

static bool port_free(struct tcpip_tcp *t, uint16_t port)
{
    if (listener_find(t, port) != NULL)
        return false;
    for (unsigned i = 0; i < TCP_HASH_SIZE; i++)
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
    for (unsigned i = 0; i < TCP_HASH_SIZE; i++) {
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

/* Receive-buffer auto-tuning, after the app took n bytes (Linux's
 * tcp_rmem model, "dynamic right-sizing"): once per round trip (the
 * smoothed RTT, or 1 ms before there is one) look at what the app took in
 * it; when that is more than half the ring, the window was what held the
 * sender back: the ring doubles (at least to twice that amount), up to
 * --<dev>-tcp-rcvbuf-max.  The window then opens with the next ACK. */
static void rcv_tune(struct tcp_conn *c, size_t n)
{
    struct tcp_cb *cb = &c->cb;
    uint32_t cap = cb->rcv.cap, most = cb->cfg.rcvbuf_max;
    if (cap >= most)
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
    if (want > most)
        want = most;
    uint8_t *mem = malloc((size_t)want);
    if (mem == NULL)
        return; /* stays as it is */
    tcp_cb_rcv_grow(cb, mem, (uint32_t)want);
    free(c->rcv_mem);
    c->rcv_mem = mem;
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
         * meanwhile is copied into it straight from the packet. */
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

/* Send-buffer auto-tuning (Linux's tcp_wmem model), when a write finds
 * the send ring full: the ring is what holds the flight back once the
 * windows (the congestion window and the peer's) exceed half of it, so it
 * grows to twice the usable window (at least doubling), up to
 * --<dev>-tcp-sndbuf-max.  Returns true when it grew. */
static bool snd_tune(struct tcp_conn *c)
{
    struct tcp_cb *cb = &c->cb;
    uint32_t cap = cb->snd.cap;
    uint64_t most = c->t->sndbuf_max;
    uint32_t wnd = cb->cwnd < cb->snd_wnd ? cb->cwnd : cb->snd_wnd;
    if (cap >= most || wnd <= cap / 2 || tcp_cb_send_space(cb) > 0)
        return false;
    uint64_t want = (uint64_t)wnd * 2;
    if (want < (uint64_t)cap * 2)
        want = (uint64_t)cap * 2;
    if (want > most)
        want = most;
    struct snd_mem *m = malloc(sizeof(*m) + (size_t)want);
    if (m == NULL)
        return false; /* stays as it is */
    m->lent = 0;
    m->retired = false;
    tcp_cb_snd_grow(cb, m->bytes, (uint32_t)want);
    struct snd_mem *old = c->snd_mem;
    c->snd_mem = m;
    if (old != NULL) {
        old->retired = true;
        if (old->lent == 0)
            free(old);
    }
    return true;
}

long tcpip_tcp_write(struct mira_tcp *cc, const void *buf, size_t len, mira_time_t deadline)
{
    struct tcp_conn *c = (struct tcp_conn *)cc;
    size_t done = 0;
    bool timed_out = false;
    while (done < len) {
        if (cc->sock.closed)
            return MIRA_ECLOSED;
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
