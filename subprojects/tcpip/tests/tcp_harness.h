/*
 * tcp_harness.h - two TCP control blocks (tcp_cb.h) joined by a simulated
 * network with a fake clock: every segment goes through the wire layer
 * (mira_tcp_build, then mira_tcp_parse), and may be lost, duplicated or
 * delayed (reordered) on the way, from a seeded generator so a run
 * repeats exactly.  For test_tcp_cb.c.
 */
#ifndef TCP_HARNESS_H
#define TCP_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/tcp_cb.h"

#define H_ADDR_A 0x0a000001u
#define H_ADDR_B 0x0a000002u
#define H_PORT_A 40000
#define H_PORT_B 80
#define H_LOG 64

struct h_pkt {
    struct h_pkt *next;
    mira_time_t at;
    int to;                 /* 0: A, 1: B */
    size_t len;
    uint8_t bytes[1600];    /* the segment as built on the wire */
};

struct h_net {
    struct tcp_cb cb[2];
    uint8_t *sbuf[2], *rbuf[2];
    struct h_pkt *queue;    /* sorted by delivery time */
    mira_time_t now;
    mira_time_t delay;      /* one-way */
    uint64_t rng;
    unsigned loss_pct, dup_pct, reorder_pct;
    bool cut[2];            /* drop everything sent by side i */
    bool drop_next[2];      /* drop the next segment sent by side i */
    /* what each side sent (all segments, lost ones too) */
    unsigned sent[2];
    struct mira_tcp_hdr log[2][H_LOG];
    mira_time_t log_at[2][H_LOG];
    size_t log_len[2][H_LOG];
    uint32_t edge[2];       /* the right edge each side advertised last */
    bool edge_set[2];
    /* the first sending of the data segments starting at these sequence
     * numbers is lost (drop_seq_n[i] of them, from side i) */
    uint32_t drop_seq[2][16];
    unsigned drop_seq_n[2];
    /* the first new segment from recovery's recovery point on is lost */
    bool drop_at_recover[2];
    /* data segments sent again (starting before the highest byte sent) */
    uint32_t hi_sent[2];
    bool hi_set[2];
    unsigned resent_n[2];
    uint32_t resent_seq[2][64];
    uint32_t resent_len[2][64];
};

static inline uint32_t h_rand(struct h_net *n)
{
    n->rng ^= n->rng << 13;
    n->rng ^= n->rng >> 7;
    n->rng ^= n->rng << 17;
    return (uint32_t)(n->rng >> 11);
}

static inline int h_side(struct h_net *n, const struct tcp_cb *cb)
{
    return cb == &n->cb[0] ? 0 : 1;
}

static inline void h_enqueue(struct h_net *n, struct h_pkt *p)
{
    struct h_pkt **pp = &n->queue;
    while (*pp != NULL && (*pp)->at <= p->at)
        pp = &(*pp)->next;
    p->next = *pp;
    *pp = p;
}

static inline void h_output(void *ctx, struct tcp_cb *cb, const struct mira_tcp_hdr *h,
                            uint32_t off, uint32_t len)
{
    struct h_net *n = ctx;
    int from = h_side(n, cb);
    unsigned i = n->sent[from]++ % H_LOG;
    n->log[from][i] = *h;
    n->log_at[from][i] = n->now;
    n->log_len[from][i] = len;
    if (off + len > cb->snd.len)
        abort(); /* the core sent bytes it does not hold */
    if ((h->flags & MIRA_TCP_ACK) && !(h->flags & MIRA_TCP_SYN)) {
        /* The right edge a side advertises never moves left (RFC 9293
         * 3.8.6.2.2) but by less than the scale's rounding (RFC 7323 2.4). */
        uint8_t shift = cb->wscale_ok ? cb->rcv_wscale : 0;
        uint32_t edge = h->ack + ((uint32_t)h->window << shift);
        if (n->edge_set[from] && tcp_seq_lt(edge + (1u << shift) - 1, n->edge[from])) {
            fprintf(stderr, "side %d retracted its window's right edge: %u < %u (ack %u win %u flags %x state %s)\n", from, edge, n->edge[from], h->ack, h->window, h->flags, tcp_state_name(cb->state));
            abort();
        }
        if (!n->edge_set[from] || tcp_seq_gt(edge, n->edge[from]))
            n->edge[from] = edge;
        n->edge_set[from] = true;
    }
    struct h_pkt *p = calloc(1, sizeof(*p));
    int olen = mira_tcp_options_len(&h->opts);
    if (p == NULL || olen < 0)
        abort();
    tcp_ring_copy_out(&cb->snd, off, p->bytes + MIRA_TCP_HDR_LEN + olen, len);
    uint32_t src = from == 0 ? H_ADDR_A : H_ADDR_B, dst = from == 0 ? H_ADDR_B : H_ADDR_A;
    int hl = mira_tcp_build(p->bytes, sizeof(p->bytes), h, src, dst, len);
    if (hl < 0)
        abort();
    p->len = (size_t)hl + len;
    p->to = 1 - from;
    p->at = n->now + n->delay;
    bool lost = n->cut[from] || n->drop_next[from] ||
                (n->loss_pct && h_rand(n) % 100 < n->loss_pct);
    n->drop_next[from] = false;
    if (len > 0) {
        if (n->hi_set[from] && tcp_seq_lt(h->seq, n->hi_sent[from])) {
            if (n->resent_n[from] < 64) {
                n->resent_seq[from][n->resent_n[from]] = h->seq;
                n->resent_len[from][n->resent_n[from]] = len;
            }
            n->resent_n[from]++;
        } else {
            for (unsigned k = 0; k < n->drop_seq_n[from]; k++)
                if (n->drop_seq[from][k] == h->seq)
                    lost = true;
            if (n->drop_at_recover[from] && cb->in_recovery && h->seq == cb->recover) {
                n->drop_at_recover[from] = false;
                lost = true;
            }
        }
        if (!n->hi_set[from] || tcp_seq_gt(h->seq + len, n->hi_sent[from]))
            n->hi_sent[from] = h->seq + len;
        n->hi_set[from] = true;
    }
    if (lost) {
        free(p);
        return;
    }
    if (n->reorder_pct && h_rand(n) % 100 < n->reorder_pct)
        p->at += n->delay / 2 + (mira_time_t)(h_rand(n) % 1000) * (n->delay / 500 + 1);
    if (n->dup_pct && h_rand(n) % 100 < n->dup_pct) {
        struct h_pkt *d = malloc(sizeof(*d));
        if (d == NULL)
            abort();
        *d = *p;
        d->at += 1000;
        h_enqueue(n, d);
    }
    h_enqueue(n, p);
}

/* The last header side i sent (k = 0), or the one before (k = 1) ... */
static inline const struct mira_tcp_hdr *h_last(struct h_net *n, int i, unsigned k)
{
    return &n->log[i][(n->sent[i] - 1 - k) % H_LOG];
}

static inline void h_init(struct h_net *n, const struct tcp_config *cfg, uint32_t sndcap,
                          uint32_t rcvcap, uint64_t seed)
{
    memset(n, 0, sizeof(*n));
    n->delay = MIRA_MILLISECONDS(10);
    n->rng = seed ? seed : 88172645463325252ull;
    n->now = MIRA_SECONDS(1000);
    for (int i = 0; i < 2; i++) {
        n->sbuf[i] = malloc(sndcap);
        n->rbuf[i] = malloc(rcvcap);
        if (n->sbuf[i] == NULL || n->rbuf[i] == NULL)
            abort();
        tcp_cb_init(&n->cb[i], cfg, i == 0 ? H_PORT_A : H_PORT_B, i == 0 ? H_PORT_B : H_PORT_A,
                    n->sbuf[i], sndcap, n->rbuf[i], rcvcap, h_output, n);
    }
}

static inline void h_fini(struct h_net *n)
{
    while (n->queue != NULL) {
        struct h_pkt *p = n->queue;
        n->queue = p->next;
        free(p);
    }
    for (int i = 0; i < 2; i++) {
        free(n->sbuf[i]);
        free(n->rbuf[i]);
    }
}

/* Delivers one segment to side p->to, through the parser. */
static inline void h_deliver(struct h_net *n, struct h_pkt *p)
{
    struct mira_tcp_hdr h;
    uint32_t src = p->to == 1 ? H_ADDR_A : H_ADDR_B, dst = p->to == 1 ? H_ADDR_B : H_ADDR_A;
    if (mira_tcp_parse(p->bytes, p->len, src, dst, &h, NULL) < 0)
        abort();
    tcp_cb_input(&n->cb[p->to], &h, n->now);
}

/* Runs the next event (a delivery or a timer), advancing the clock to it;
 * false when there is none before `until`. */
static inline bool h_step(struct h_net *n, mira_time_t until)
{
    mira_time_t t = MIRA_TIME_NEVER;
    int what = -1;
    if (n->queue != NULL) {
        t = n->queue->at;
        what = 2;
    }
    for (int i = 0; i < 2; i++) {
        mira_time_t d = tcp_cb_deadline(&n->cb[i]);
        if (d < t) {
            t = d;
            what = i;
        }
    }
    if (what < 0 || t > until)
        return false;
    if (t > n->now)
        n->now = t;
    if (what == 2) {
        struct h_pkt *p = n->queue;
        n->queue = p->next;
        h_deliver(n, p);
        free(p);
    } else {
        tcp_cb_timer(&n->cb[what], n->now);
    }
    for (int i = 0; i < 2; i++) {
        const char *bad = tcp_cb_check(&n->cb[i]);
        if (bad != NULL) {
            fprintf(stderr, "invariant broken on side %d: %s\n", i, bad);
            abort();
        }
    }
    return true;
}

/* Runs events until there are none, or until time `until`. */
static inline void h_run(struct h_net *n, mira_time_t until)
{
    while (h_step(n, until))
        ;
}

#endif
