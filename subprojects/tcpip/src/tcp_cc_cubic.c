/* tcp_cc_cubic.c - CUBIC (RFC 9438): after a reduction the window grows
 * along W_cubic(t) = C * (t - K)^3 + W_max, concave up to the window
 * where the loss happened and convex beyond, never slower than an
 * estimate of Reno's window (the Reno-friendly region); the reduction
 * is by beta_cubic = 0.7, with fast convergence.  HyStart is not done:
 * slow start is RFC 5681's (tcp_cc.c).
 *
 * Integer arithmetic only: time in units of 2^-10 s (about a
 * millisecond), windows in bytes; RFC 9438's segment-counted formulas
 * are multiplied through by mss.  Fractions of a byte of growth carry
 * over from ACK to ACK, so slow growth on a large window is not lost to
 * rounding.  See tcp_cc.h. */
#include "tcp_cc.h"

#define SHIFT TCP_CC_CUBIC_TIME_SHIFT

/* |t - K| beyond this (256 s) gives a window past TCP_CC_CWND_MAX for
 * any mss, so the cube is taken of at most 2^18: 2^54 fits 64 bits. */
#define D_MAX (1u << 18)

static uint32_t cap(uint64_t w) { return (uint32_t)(w < TCP_CC_CWND_MAX ? w : TCP_CC_CWND_MAX); }

uint32_t tcp_cc_cbrt(uint64_t x)
{
    if (x == 0)
        return 0;
    /* Newton's iteration r' = (2r + x / r^2) / 3 from above: 2^ceil(bits /
     * 3) is at least the root, and from above the iteration decreases
     * until it reaches floor(cbrt(x)). */
    unsigned bits = 64 - (unsigned)__builtin_clzll(x);
    uint64_t r = (uint64_t)1 << ((bits + 2) / 3);
    for (;;) {
        uint64_t next = (2 * r + x / (r * r)) / 3;
        if (next >= r)
            break;
        r = next;
    }
    /* Guard the floor against the iteration stopping one off (2642245 is
     * the largest cube root in 64 bits: one more would wrap). */
    while (r * r * r > x)
        r--;
    while (r < 2642245 && (r + 1) * (r + 1) * (r + 1) <= x)
        r++;
    return (uint32_t)r;
}

uint32_t tcp_cc_cubic_k(uint32_t origin, uint32_t cwnd_epoch, uint32_t mss)
{
    if (origin <= cwnd_epoch)
        return 0;
    /* Eq. 2, K = cbrt((W_max - cwnd_epoch) / C) seconds with windows in
     * segments; in 2^-10 s that is the cube root of
     * (W_max - cwnd_epoch) / mss / C * 2^30.  With the difference at
     * most TCP_CC_CWND_MAX (2^30), * 5 << 30 stays below 2^63. */
    uint64_t diff = origin - cwnd_epoch;
    if (diff > TCP_CC_CWND_MAX)
        diff = TCP_CC_CWND_MAX;
    uint64_t x = (diff * TCP_CC_CUBIC_C_DEN << (3 * SHIFT)) /
                 ((uint64_t)TCP_CC_CUBIC_C_NUM * mss);
    return tcp_cc_cbrt(x);
}

uint32_t tcp_cc_cubic_window(const struct tcp_cc_cubic *c, uint64_t t, uint32_t mss)
{
    /* Eq. 1 in bytes: origin +- C * mss * d^3 / 2^30, d = |t - K| in
     * 2^-10 s. */
    uint64_t d = t > c->k ? t - c->k : c->k - t;
    if (d > D_MAX)
        d = D_MAX;
    uint64_t d3 = d * d * d;
    uint64_t delta;
    if (d3 <= UINT64_MAX / (TCP_CC_CUBIC_C_NUM * (uint64_t)mss))
        delta = d3 * TCP_CC_CUBIC_C_NUM * mss / ((uint64_t)TCP_CC_CUBIC_C_DEN << (3 * SHIFT));
    else /* d^3 above 2^46: its low 10 bits are below the result's precision */
        delta = (d3 >> SHIFT) * TCP_CC_CUBIC_C_NUM * mss /
                ((uint64_t)TCP_CC_CUBIC_C_DEN << (2 * SHIFT));
    if (t >= c->k)
        return cap((uint64_t)c->origin + delta);
    return delta < c->origin ? c->origin - (uint32_t)delta : 0;
}

/* Nanoseconds to CUBIC's 2^-10 s, for spans from 0 to about 18 minutes
 * (longer ones are cut there: the window is at its bound long before). */
static uint64_t to_units(mira_time_t ns)
{
    if (ns <= 0)
        return 0;
    if (ns > ((mira_time_t)1 << 40))
        ns = (mira_time_t)1 << 40;
    return ((uint64_t)ns << SHIFT) / 1000000000u;
}

/* A new congestion avoidance epoch (RFC 9438 4.2) at the first ACK after
 * a reduction, or when slow start ends. */
static void start_epoch(struct tcp_cc_cubic *c, uint32_t cwnd, uint32_t mss, mira_time_t now)
{
    c->epoch_start = now;
    c->unused_since = MIRA_TIME_NEVER;
    c->cwnd_epoch = cwnd;
    c->w_est = cwnd;
    c->est_acc = c->cnt_acc = 0;
    if (c->w_max > cwnd) {
        c->origin = c->w_max;
        c->k = tcp_cc_cubic_k(c->origin, cwnd, mss);
    } else {
        /* Above the last W_max (or no loss yet, or the first epoch after
         * a timeout, 4.8): the curve starts here, convex at once. */
        c->w_max = c->origin = cwnd;
        c->k = 0;
    }
}

uint32_t tcp_cc_cubic_avoid(struct tcp_cc_cubic *c, uint32_t cwnd, uint32_t acked, uint32_t mss,
                            mira_time_t rtt, mira_time_t now)
{
    if (cwnd == 0)
        cwnd = mss;
    if (c->epoch_start == MIRA_TIME_NEVER)
        start_epoch(c, cwnd, mss, now);
    if (c->unused_since != MIRA_TIME_NEVER) {
        /* 5.8: the span the window went unused is not part of t. */
        if (now > c->unused_since)
            c->epoch_start += now - c->unused_since;
        c->unused_since = MIRA_TIME_NEVER;
    }
    uint64_t t = to_units(now - c->epoch_start);

    /* 4.3: W_est grows by alpha_cubic segments per window of ACKed
     * segments, alpha_cubic = 3 (1 - beta) / (1 + beta) = 9 / 17 until
     * W_est reaches cwnd_prior, then 1 (Reno's own pace).  In bytes:
     * alpha * acked * mss / cwnd. */
    uint64_t num = c->w_est >= c->cwnd_prior ? 17 : 9;
    c->est_acc += (uint64_t)acked * mss * num;
    uint64_t per = 17 * (uint64_t)cwnd;
    c->w_est = cap(c->w_est + c->est_acc / per);
    c->est_acc %= per;

    if (tcp_cc_cubic_window(c, t, mss) < c->w_est) {
        c->cnt_acc = 0;
        return c->w_est > cwnd ? c->w_est : cwnd; /* the Reno-friendly region */
    }
    /* 4.4, 4.5: aim at W_cubic one round trip ahead, between cwnd and
     * 1.5 cwnd, and close (target - cwnd) / cwnd of the gap per segment
     * ACKed. */
    uint64_t target = tcp_cc_cubic_window(c, t + to_units(rtt), mss);
    if (target < cwnd)
        target = cwnd;
    if (target > (uint64_t)cwnd * 3 / 2)
        target = (uint64_t)cwnd * 3 / 2;
    c->cnt_acc += (target - cwnd) * acked; /* < 2^31 * 2^32 */
    uint64_t inc = c->cnt_acc / cwnd;
    c->cnt_acc %= cwnd;
    return cap(cwnd + inc);
}

void tcp_cc_cubic_unused(struct tcp_cc_cubic *c, mira_time_t now)
{
    if (c->epoch_start != MIRA_TIME_NEVER && c->unused_since == MIRA_TIME_NEVER)
        c->unused_since = now;
}

uint32_t tcp_cc_cubic_congestion(struct tcp_cc_cubic *c, uint32_t cwnd, uint32_t flight,
                                 uint32_t mss)
{
    /* 4.7, fast convergence: a loss below the last W_max means another
     * flow has joined; give it room by remembering less than cwnd,
     * (1 + beta) / 2 = 0.85 of it. */
    if (cwnd < c->w_max)
        c->w_max = (uint32_t)((uint64_t)cwnd * (TCP_CC_CUBIC_BETA_DEN + TCP_CC_CUBIC_BETA_NUM) /
                              (2 * TCP_CC_CUBIC_BETA_DEN));
    else
        c->w_max = cwnd;
    c->cwnd_prior = cwnd;
    c->epoch_start = MIRA_TIME_NEVER;
    /* 4.6: ssthresh = flight_size * beta_cubic, at least 2 segments. */
    uint32_t s = (uint32_t)((uint64_t)flight * TCP_CC_CUBIC_BETA_NUM / TCP_CC_CUBIC_BETA_DEN);
    return s > 2u * mss ? s : 2u * mss;
}

uint32_t tcp_cc_cubic_timeout(struct tcp_cc_cubic *c, uint32_t cwnd, uint32_t flight,
                              uint32_t mss)
{
    /* 4.8: ssthresh as in 4.6; the first epoch after the timeout has K = 0
     * and W_max = its cwnd_epoch (start_epoch does that once w_max is no
     * more than that window). */
    c->cwnd_prior = cwnd;
    c->w_max = 0;
    c->epoch_start = MIRA_TIME_NEVER;
    uint32_t s = (uint32_t)((uint64_t)flight * TCP_CC_CUBIC_BETA_NUM / TCP_CC_CUBIC_BETA_DEN);
    return s > 2u * mss ? s : 2u * mss;
}
