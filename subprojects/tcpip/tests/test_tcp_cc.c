/* test_tcp_cc.c - congestion control (src/tcp_cc*.c) against RFC 9438's
 * and RFC 5681's formulas, computed here in floating point from the RFC
 * text: CUBIC's K and W_cubic(t), the window a flow of ACKs makes after a
 * loss, the Reno-friendly region, fast convergence, beta 0.7, the
 * timeout; NewReno's additive increase and halving; slow start. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <cmocka.h>

#include <mira/error.h>

#include "../src/tcp_cc.h"

#define MSS 1460u
#define MS(n) ((mira_time_t)(n) * 1000000)

/* RFC 9438 section 4.1's constants, and its equations 1 and 2 with windows
 * in segments and time in seconds. */
static const double C = 0.4, BETA = 0.7;

static double rfc_k(double w_max, double cwnd_epoch)
{
    return cbrt((w_max - cwnd_epoch) / C);
}

static double rfc_w_cubic(double t, double k, double w_max)
{
    return C * pow(t - k, 3) + w_max;
}

/* The ACKs of rtts round trips of a window-limited flow: every round trip
 * acknowledges the window that was open at its start, one segment per
 * ACK, the ACKs evenly spread over it. */
static uint32_t run(struct tcp_cc *cc, uint32_t cwnd, uint32_t ssthresh, mira_time_t rtt,
                    mira_time_t *now, unsigned rtts)
{
    for (unsigned r = 0; r < rtts; r++) {
        uint32_t n = cwnd / MSS;
        mira_time_t start = *now;
        for (uint32_t i = 1; i <= n; i++)
            cwnd = tcp_cc_ack(cc, cwnd, ssthresh, MSS, cwnd, MSS, rtt, start + rtt * i / n);
        *now = start + rtt;
    }
    return cwnd;
}

static void test_names(void **state)
{
    (void)state;
    enum tcp_cc_algo a = TCP_CC_NEWRENO;
    assert_int_equal(tcp_cc_from_name("cubic", &a), 0);
    assert_int_equal(a, TCP_CC_CUBIC);
    assert_int_equal(tcp_cc_from_name("newreno", &a), 0);
    assert_int_equal(a, TCP_CC_NEWRENO);
    assert_int_equal(tcp_cc_from_name("reno", &a), MIRA_EINVAL);
    assert_int_equal(tcp_cc_from_name("", &a), MIRA_EINVAL);
    assert_int_equal(a, TCP_CC_NEWRENO); /* unchanged on error */
    assert_string_equal(tcp_cc_name(TCP_CC_CUBIC), "cubic");
    assert_string_equal(tcp_cc_name(TCP_CC_NEWRENO), "newreno");
}

static void test_cbrt(void **state)
{
    (void)state;
    assert_int_equal(tcp_cc_cbrt(0), 0);
    assert_int_equal(tcp_cc_cbrt(1), 1);
    assert_int_equal(tcp_cc_cbrt(7), 1);
    assert_int_equal(tcp_cc_cbrt(8), 2);
    assert_int_equal(tcp_cc_cbrt(26), 2);
    assert_int_equal(tcp_cc_cbrt(27), 3);
    assert_int_equal(tcp_cc_cbrt(UINT64_MAX), 2642245); /* 2642245^3 < 2^64 < 2642246^3 */
    /* Around cubes and at scattered values: the floor of the root. */
    uint64_t x = 12345;
    for (int i = 0; i < 20000; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t v = x >> (i % 64);
        uint64_t r = tcp_cc_cbrt(v);
        assert_true(r * r * r <= v);
        assert_true(r == 2642245 || (r + 1) * (r + 1) * (r + 1) > v);
    }
    for (uint64_t r = 2; r < 2642245; r += 9973) {
        assert_int_equal(tcp_cc_cbrt(r * r * r), r);
        assert_int_equal(tcp_cc_cbrt(r * r * r - 1), r - 1);
    }
}

/* K (eq. 2) against the formula: W_max 100 segments, reduced by beta to
 * 70: K = cbrt(30 / 0.4) = 4.217 s. */
static void test_cubic_k(void **state)
{
    (void)state;
    double want = rfc_k(100, 70) * 1024;
    uint32_t k = tcp_cc_cubic_k(100 * MSS, 70 * MSS, MSS);
    assert_true(fabs(k - want) <= 1.0);
    assert_true(k > 4300 && k < 4330);
    want = rfc_k(10000, 7000) * 1024;
    k = tcp_cc_cubic_k(10000 * MSS, 7000 * MSS, MSS);
    assert_true(fabs(k - want) <= 1.0);
    /* Another mss: K counts segments, not bytes. */
    want = rfc_k(100, 70) * 1024;
    assert_true(fabs(tcp_cc_cubic_k(100 * 536, 70 * 536, 536) - want) <= 1.0);
    assert_int_equal(tcp_cc_cubic_k(70 * MSS, 70 * MSS, MSS), 0);
    assert_int_equal(tcp_cc_cubic_k(60 * MSS, 70 * MSS, MSS), 0);
}

/* W_cubic(t) (eq. 1) against the formula, below K (concave), at K and
 * beyond (convex), in bytes within a byte and 0.1 %. */
static void test_cubic_window(void **state)
{
    (void)state;
    struct tcp_cc_cubic c = { .origin = 1000 * MSS };
    c.k = tcp_cc_cubic_k(c.origin, 700 * MSS, MSS);
    double k = c.k / 1024.0;
    for (uint64_t t = 0; t < 30 * 1024; t += 37) {
        double want = rfc_w_cubic(t / 1024.0, k, 1000) * MSS;
        double got = tcp_cc_cubic_window(&c, t, MSS);
        assert_true(fabs(got - want) <= 1.0 + want * 1e-3);
    }
    assert_int_equal(tcp_cc_cubic_window(&c, c.k, MSS), 1000 * MSS);
    /* t = 0 is the reduced window, cwnd_epoch (to K's rounding). */
    assert_true(fabs((double)tcp_cc_cubic_window(&c, 0, MSS) - 700.0 * MSS) < 0.01 * MSS * 10);
    /* Far out the window stops at the bound instead of wrapping. */
    assert_int_equal(tcp_cc_cubic_window(&c, 1u << 30, MSS), TCP_CC_CWND_MAX);
}

/* A loss at w_max segments (RTT 100 ms, window-limited): ssthresh is 0.7
 * of it, and the window the ACKs grow then stays between W_cubic(t) and
 * W_cubic(t + RTT), the RFC's target, with t counted from the first ACK
 * after recovery: concave up to W_max at K, convex beyond (to K + 5 s). */
static void follows_curve(uint32_t w_max)
{
    struct tcp_cc cc;
    tcp_cc_init(&cc, TCP_CC_CUBIC);
    mira_time_t rtt = MS(100), now = MS(5000);
    uint32_t cwnd = w_max * MSS;
    uint32_t ssthresh = tcp_cc_congestion(&cc, cwnd, cwnd, MSS, now);
    assert_int_equal(ssthresh, w_max * 7 / 10 * MSS);
    cwnd = tcp_cc_recovered(&cc, ssthresh, cwnd, MSS, now + rtt);
    assert_int_equal(cwnd, ssthresh);
    now += rtt;
    mira_time_t epoch = now + rtt / (cwnd / MSS); /* the first ACK */
    double k = rfc_k(w_max, w_max * 0.7);
    int concave = 0, convex = 0;
    for (int r = 0; r < (k + 5) * 10; r++) {
        cwnd = run(&cc, cwnd, ssthresh, rtt, &now, 1);
        double t = (double)(now - epoch) / 1e9;
        double lo = rfc_w_cubic(t, k, w_max), hi = rfc_w_cubic(t + 0.1, k, w_max);
        double w = (double)cwnd / MSS;
        if (w < lo - 1 || w > hi + 1)
            fail_msg("round trip %d, t %.2f s: cwnd %.1f segments, W_cubic %.1f..%.1f", r, t, w,
                     lo, hi);
        if (t < k)
            concave++;
        else
            convex++;
    }
    assert_true(concave > 30 && convex >= 50);
    assert_true(cwnd > w_max * MSS);
}

/* 1000 segments; and 10000, where beyond K each ACK adds a fraction of a
 * byte that must add up. */
static void test_cubic_follows_curve(void **state)
{
    (void)state;
    follows_curve(1000);
    follows_curve(10000);
}

/* A short round trip and a small window: Reno's estimate (eq. 4.3, alpha
 * 3 (1 - beta) / (1 + beta) until W_est reaches cwnd_prior, then 1)
 * grows faster than the cubic curve, and the window follows W_est. */
static void test_cubic_reno_friendly(void **state)
{
    (void)state;
    struct tcp_cc cc;
    tcp_cc_init(&cc, TCP_CC_CUBIC);
    mira_time_t rtt = MS(1), now = MS(1000);
    uint32_t cwnd = 20 * MSS;
    uint32_t ssthresh = tcp_cc_congestion(&cc, cwnd, cwnd, MSS, now);
    cwnd = ssthresh; /* 14 segments */
    double w_est = 14, model = 14, alpha = 3 * (1 - BETA) / (1 + BETA);
    double k = rfc_k(20, 14);
    mira_time_t epoch = now + rtt / 14;
    for (int r = 0; r < 60; r++) {
        uint32_t n = cwnd / MSS;
        /* the model: n ACKs of one segment each, W_est growing by alpha /
         * cwnd segments per ACK, cwnd following W_est */
        for (uint32_t i = 0; i < n; i++) {
            w_est += (w_est >= 20 ? 1.0 : alpha) / model;
            model = w_est > model ? w_est : model;
        }
        cwnd = run(&cc, cwnd, ssthresh, rtt, &now, 1);
        double t = (double)(now - epoch) / 1e9;
        double w = (double)cwnd / MSS;
        if (fabs(w - w_est) > 0.5)
            fail_msg("round trip %d: cwnd %.2f segments, W_est %.2f", r, w, w_est);
        assert_true(w > rfc_w_cubic(t, k, 20) + 0.5 || t > k);
    }
    /* 60 round trips: about 11 at alpha 0.53 to reach 20, then one per RTT. */
    assert_true(cwnd >= 60 * MSS && cwnd <= 72 * MSS);
}

/* Fast convergence (4.7): a loss below the last W_max remembers (1 + beta)
 * / 2 of the window; one above remembers the window itself. */
static void test_cubic_fast_convergence(void **state)
{
    (void)state;
    struct tcp_cc cc;
    tcp_cc_init(&cc, TCP_CC_CUBIC);
    mira_time_t now = MS(1000);
    tcp_cc_congestion(&cc, 100 * MSS, 100 * MSS, MSS, now);
    assert_int_equal(cc.cubic.w_max, 100 * MSS);
    assert_int_equal(tcp_cc_congestion(&cc, 80 * MSS, 80 * MSS, MSS, now), 56 * MSS);
    assert_int_equal(cc.cubic.w_max, (uint32_t)(80 * MSS * (1 + BETA) / 2));
    /* The next curve's plateau is that reduced W_max: K from 56 to 68. */
    uint32_t cwnd = tcp_cc_ack(&cc, 56 * MSS, 56 * MSS, MSS, 56 * MSS, MSS, MS(100), now);
    (void)cwnd;
    assert_int_equal(cc.cubic.origin, 68 * MSS);
    assert_true(fabs(cc.cubic.k / 1024.0 - rfc_k(68, 56)) < 2e-3);
    tcp_cc_congestion(&cc, 120 * MSS, 120 * MSS, MSS, now);
    assert_int_equal(cc.cubic.w_max, 120 * MSS);
}

/* Multiplicative decrease (4.6): ssthresh = 0.7 flight, at least 2
 * segments; a timeout (4.8) the same, and the next epoch starts at its
 * own window with K = 0 (convex at once). */
static void test_cubic_decrease_and_timeout(void **state)
{
    (void)state;
    struct tcp_cc cc;
    tcp_cc_init(&cc, TCP_CC_CUBIC);
    assert_int_equal(tcp_cc_congestion(&cc, 100 * MSS, 100 * MSS, MSS, 0), 70 * MSS);
    assert_int_equal(tcp_cc_congestion(&cc, 100 * MSS, 50 * MSS, MSS, 0), 35 * MSS);
    assert_int_equal(tcp_cc_congestion(&cc, 2 * MSS, 2 * MSS, MSS, 0), 2 * MSS);
    tcp_cc_congestion(&cc, 200 * MSS, 200 * MSS, MSS, 0); /* W_max 200 */
    assert_int_equal(tcp_cc_timeout(&cc, 100 * MSS, 100 * MSS, MSS, 0), 70 * MSS);
    /* slow start from one segment up to ssthresh, then the epoch */
    uint32_t cwnd = MSS;
    mira_time_t now = MS(100);
    while (cwnd < 70 * MSS)
        cwnd = tcp_cc_ack(&cc, cwnd, 70 * MSS, MSS, cwnd, MSS, MS(10), now);
    assert_int_equal(cwnd, 70 * MSS);
    cwnd = tcp_cc_ack(&cc, cwnd, 70 * MSS, MSS, cwnd, MSS, MS(10), now);
    assert_int_equal(cc.cubic.k, 0);
    assert_int_equal(cc.cubic.origin, 70 * MSS);
    assert_true(cwnd >= 70 * MSS);
}

/* Convex growth is at most 1.5 cwnd per round trip (4.4's target bound),
 * however far t is beyond K. */
static void test_cubic_convex_bound(void **state)
{
    (void)state;
    struct tcp_cc cc;
    tcp_cc_init(&cc, TCP_CC_CUBIC);
    mira_time_t now = MS(1000), rtt = MS(100);
    uint32_t cwnd = 100 * MSS;
    uint32_t ssthresh = 50 * MSS;
    cwnd = run(&cc, cwnd, ssthresh, rtt, &now, 1); /* epoch begins: K = 0 */
    now += MIRA_SECONDS(60);                       /* far along the curve */
    uint32_t before = cwnd;
    cwnd = run(&cc, cwnd, ssthresh, rtt, &now, 1);
    assert_true(cwnd > before + before / 4);
    assert_true(cwnd <= before + before / 2);
}

/* NewReno: slow start one segment per ACK; additive increase of about one
 * segment per window of ACKs; ssthresh half the flight, at least two
 * segments, on loss and on timeout. */
static void test_newreno(void **state)
{
    (void)state;
    struct tcp_cc cc;
    tcp_cc_init(&cc, TCP_CC_NEWRENO);
    mira_time_t now = MS(1000), rtt = MS(50);
    assert_int_equal(tcp_cc_ack(&cc, 10 * MSS, 100 * MSS, 3 * MSS, 10 * MSS, MSS, rtt, now),
                     11 * MSS);
    assert_int_equal(tcp_cc_ack(&cc, 10 * MSS, 100 * MSS, 100, 10 * MSS, MSS, rtt, now),
                     10 * MSS + 100);
    for (uint32_t w = 20; w <= 1000; w *= 3) {
        tcp_cc_init(&cc, TCP_CC_NEWRENO);
        uint32_t cwnd = run(&cc, w * MSS, w * MSS, rtt, &now, 1);
        assert_int_equal(cwnd, (w + 1) * MSS);
        cwnd = run(&cc, cwnd, w * MSS, rtt, &now, 9);
        assert_int_equal(cwnd, (w + 10) * MSS);
        /* delayed ACKs, two segments each: the same growth per window */
        tcp_cc_init(&cc, TCP_CC_NEWRENO);
        cwnd = w * MSS;
        for (uint32_t i = 0; i < w / 2; i++)
            cwnd = tcp_cc_ack(&cc, cwnd, w * MSS, 2 * MSS, cwnd, MSS, rtt, now);
        assert_int_equal(cwnd, (w + 1) * MSS);
    }
    assert_int_equal(tcp_cc_congestion(&cc, 100 * MSS, 100 * MSS, MSS, now), 50 * MSS);
    assert_int_equal(tcp_cc_congestion(&cc, 100 * MSS, 3 * MSS, MSS, now), 2 * MSS);
    assert_int_equal(tcp_cc_timeout(&cc, 100 * MSS, 64 * MSS, MSS, now), 32 * MSS);
    /* the end of recovery (RFC 6582 3.2 step 3) */
    assert_int_equal(tcp_cc_recovered(&cc, 50 * MSS, 80 * MSS, MSS, now), 50 * MSS);
    assert_int_equal(tcp_cc_recovered(&cc, 50 * MSS, 10 * MSS, MSS, now), 11 * MSS);
    assert_int_equal(tcp_cc_recovered(&cc, 50 * MSS, 0, MSS, now), 2 * MSS);
}

/* A window the flight does not use does not grow: in slow start unless
 * more than half of it is in flight, in avoidance unless all but a
 * segment is; CUBIC's t stands still meanwhile (RFC 9438 5.8), so the
 * curve resumes where it was, not where the clock has got to. */
static void test_unused_window(void **state)
{
    (void)state;
    struct tcp_cc cc;
    mira_time_t now = MS(1000), rtt = MS(100);
    for (int algo = TCP_CC_CUBIC; algo <= TCP_CC_NEWRENO; algo++) {
        tcp_cc_init(&cc, (enum tcp_cc_algo)algo);
        /* slow start */
        assert_int_equal(tcp_cc_ack(&cc, 10 * MSS, 100 * MSS, MSS, 5 * MSS, MSS, rtt, now),
                         10 * MSS);
        assert_int_equal(tcp_cc_ack(&cc, 10 * MSS, 100 * MSS, MSS, 6 * MSS, MSS, rtt, now),
                         11 * MSS);
        /* avoidance: a window's worth of ACKs with a segment too few in flight */
        uint32_t cwnd = 100 * MSS;
        for (int i = 0; i < 300; i++)
            cwnd = tcp_cc_ack(&cc, cwnd, 50 * MSS, MSS, 99 * MSS, MSS, rtt, now += MS(1));
        assert_int_equal(cwnd, 100 * MSS);
        cwnd = run(&cc, cwnd, 50 * MSS, rtt, &now, 3);
        assert_true(cwnd > 100 * MSS);
    }
    /* CUBIC after a loss at 1000 segments: 2 s used, 5 s unused, 1 RTT used. */
    tcp_cc_init(&cc, TCP_CC_CUBIC);
    uint32_t ssthresh = tcp_cc_congestion(&cc, 1000 * MSS, 1000 * MSS, MSS, now);
    uint32_t cwnd = ssthresh;
    mira_time_t epoch = now + rtt / (cwnd / MSS);
    cwnd = run(&cc, cwnd, ssthresh, rtt, &now, 20);
    mira_time_t used = now - epoch;
    uint32_t before = cwnd;
    for (int i = 0; i < 5000; i++)
        cwnd = tcp_cc_ack(&cc, cwnd, ssthresh, MSS, cwnd / 2, MSS, rtt, now += MS(1));
    assert_int_equal(cwnd, before);
    cwnd = run(&cc, cwnd, ssthresh, rtt, &now, 1);
    double t = (double)(used + rtt) / 1e9, k = rfc_k(1000, 700);
    double w = (double)cwnd / MSS;
    if (w < rfc_w_cubic(t, k, 1000) - 1 || w > rfc_w_cubic(t + 0.1, k, 1000) + 1)
        fail_msg("cwnd %.1f segments after %.1f s used of %.1f s: W_cubic %.1f..%.1f", w, t,
                 (double)(now - epoch) / 1e9, rfc_w_cubic(t, k, 1000),
                 rfc_w_cubic(t + 0.1, k, 1000));
}

/* Windows stop at TCP_CC_CWND_MAX rather than wrapping, in slow start
 * and in both algorithms' avoidance. */
static void test_bound(void **state)
{
    (void)state;
    struct tcp_cc cc;
    tcp_cc_init(&cc, TCP_CC_NEWRENO);
    uint32_t max = TCP_CC_CWND_MAX;
    assert_int_equal(tcp_cc_ack(&cc, max, UINT32_MAX / 2, MSS, max, MSS, 0, 0), max);
    assert_int_equal(tcp_cc_ack(&cc, max, 1000, MSS, max, MSS, 0, 0), max);
    tcp_cc_init(&cc, TCP_CC_CUBIC);
    uint32_t cwnd = TCP_CC_CWND_MAX - 10;
    for (int i = 0; i < 100; i++) {
        cwnd = tcp_cc_ack(&cc, cwnd, 1000, 1u << 30, cwnd, MSS, MS(100), MIRA_SECONDS(i * 100));
        assert_true(cwnd <= TCP_CC_CWND_MAX);
    }
    assert_int_equal(cwnd, TCP_CC_CWND_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_cbrt),
        cmocka_unit_test(test_cubic_k),
        cmocka_unit_test(test_cubic_window),
        cmocka_unit_test(test_cubic_follows_curve),
        cmocka_unit_test(test_cubic_reno_friendly),
        cmocka_unit_test(test_cubic_fast_convergence),
        cmocka_unit_test(test_cubic_decrease_and_timeout),
        cmocka_unit_test(test_cubic_convex_bound),
        cmocka_unit_test(test_newreno),
        cmocka_unit_test(test_unused_window),
        cmocka_unit_test(test_bound),
    };
    return cmocka_run_group_tests_name("tcpip-tcp-cc", tests, NULL, NULL);
}
