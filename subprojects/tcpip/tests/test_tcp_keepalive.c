/* test_tcp_keepalive.c - keepalive and the no-delay switch of the TCP
 * state machine (src/tcp_cb.c) between two control blocks over the
 * simulated network of tcp_harness.h: off by default; probes after the
 * idle time that the peer answers; the connection failing with
 * MIRA_ETIMEDOUT after `count` unanswered ones, at idle + count *
 * interval; no probes while data is outstanding; Nagle held back and let
 * go by tcp_cb_set_nodelay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "tcp_harness.h"

#define A 0
#define B 1
#define SEC(n) MIRA_SECONDS(n)
#define MS(n) MIRA_MILLISECONDS(n)

static void open_pair(struct h_net *n)
{
    struct tcp_config c;
    tcp_config_default(&c);
    h_init(n, &c, 65536, 65536, 1);
    tcp_cb_listen(&n->cb[B], 5000);
    tcp_cb_connect(&n->cb[A], 1000, n->now);
    h_run(n, n->now + MS(100));
    assert_int_equal(n->cb[A].state, TCP_ESTABLISHED);
    assert_int_equal(n->cb[B].state, TCP_ESTABLISHED);
}

static void test_off_by_default(void **state)
{
    (void)state;
    struct h_net n;
    open_pair(&n);
    unsigned sent = n.sent[A];
    assert_int_equal(tcp_cb_deadline(&n.cb[A]), MIRA_TIME_NEVER);
    h_run(&n, n.now + SEC(3 * 3600));
    assert_int_equal(n.sent[A], sent);
    assert_int_equal(n.cb[A].state, TCP_ESTABLISHED);
    h_fini(&n);
}

static void test_probes_answered(void **state)
{
    (void)state;
    struct h_net n;
    open_pair(&n);
    mira_time_t t0 = n.now;
    tcp_cb_set_keepalive(&n.cb[A], true, SEC(10), SEC(2), 3, n.now);
    assert_int_equal(tcp_cb_deadline(&n.cb[A]), t0 + SEC(10));
    unsigned sent = n.sent[A];
    h_run(&n, t0 + SEC(10) - 1);
    assert_int_equal(n.sent[A], sent); /* quiet before the idle time */
    h_run(&n, t0 + SEC(10) + MS(100));
    assert_int_equal(n.sent[A], sent + 1);
    const struct mira_tcp_hdr *p = h_last(&n, A, 0);
    assert_int_equal(p->flags, MIRA_TCP_ACK);
    assert_int_equal(p->seq, n.cb[A].snd_nxt - 1);
    assert_int_equal(n.log_len[A][(n.sent[A] - 1) % H_LOG], 0);
    assert_int_equal(n.cb[A].stat_keepalive_probes, 1);
    /* B answered: A heard it, the next probe is an idle time on */
    assert_int_equal(n.cb[A].ka_probes, 0);
    assert_int_equal(tcp_cb_deadline(&n.cb[A]), t0 + SEC(10) + 2 * n.delay + SEC(10));
    /* an hour of answered probes: still established, one each 10 s */
    h_run(&n, t0 + SEC(3600));
    assert_int_equal(n.cb[A].state, TCP_ESTABLISHED);
    assert_true(n.cb[A].stat_keepalive_probes >= 300);
    /* data from the peer counts as heard too: the deadline moves */
    assert_int_equal(tcp_cb_write(&n.cb[B], "x", 1, n.now), 1);
    h_run(&n, n.now + MS(100));
    assert_true(tcp_cb_deadline(&n.cb[A]) > n.now + SEC(9));
    /* switched off: no probe any more */
    tcp_cb_set_keepalive(&n.cb[A], false, SEC(10), SEC(2), 3, n.now);
    uint64_t probes = n.cb[A].stat_keepalive_probes;
    h_run(&n, n.now + SEC(3600));
    assert_int_equal(n.cb[A].stat_keepalive_probes, probes);
    assert_int_equal(tcp_cb_deadline(&n.cb[A]), MIRA_TIME_NEVER);
    h_fini(&n);
}

static void test_unanswered_fails(void **state)
{
    (void)state;
    struct h_net n;
    open_pair(&n);
    mira_time_t t0 = n.now;
    tcp_cb_set_keepalive(&n.cb[A], true, SEC(10), SEC(2), 3, n.now);
    n.cut[B] = true; /* the peer's answers are lost */
    while (n.cb[A].state != TCP_CLOSED && h_step(&n, t0 + SEC(60)))
        ;
    assert_int_equal(n.cb[A].state, TCP_CLOSED);
    assert_int_equal(n.cb[A].error, MIRA_ETIMEDOUT);
    assert_int_equal(n.cb[A].stat_keepalive_probes, 3);
    /* probes at idle, idle + interval, idle + 2 intervals; the verdict one
     * interval after the last (the simulated clock, not wall time) */
    assert_int_equal(n.now, t0 + SEC(10) + 3 * SEC(2));
    assert_true((n.cb[A].wake & TCP_WAKE_READ) != 0);
    h_fini(&n);
}

static void test_answer_resets_count(void **state)
{
    (void)state;
    struct h_net n;
    open_pair(&n);
    mira_time_t t0 = n.now;
    tcp_cb_set_keepalive(&n.cb[A], true, SEC(10), SEC(2), 3, n.now);
    n.cut[B] = true;
    h_run(&n, t0 + SEC(10) + SEC(2) + MS(1)); /* two probes lost */
    assert_int_equal(n.cb[A].ka_probes, 2);
    n.cut[B] = false;
    h_run(&n, t0 + SEC(10) + SEC(4) + MS(100)); /* the third answered */
    assert_int_equal(n.cb[A].ka_probes, 0);
    assert_int_equal(n.cb[A].state, TCP_ESTABLISHED);
    h_fini(&n);
}

static void test_not_while_outstanding(void **state)
{
    (void)state;
    struct h_net n;
    open_pair(&n);
    tcp_cb_set_keepalive(&n.cb[A], true, SEC(1), SEC(1), 2, n.now);
    n.cut[B] = true;
    assert_int_equal(tcp_cb_write(&n.cb[A], "abc", 3, n.now), 3);
    /* retransmission watches the peer: no probe, and it gives up on its
     * own terms (max_retries), not after 2 probes */
    h_run(&n, n.now + SEC(30));
    assert_int_equal(n.cb[A].stat_keepalive_probes, 0);
    assert_int_equal(n.cb[A].state, TCP_ESTABLISHED);
    h_fini(&n);
}

static void test_nodelay(void **state)
{
    (void)state;
    struct h_net n;
    open_pair(&n);
    n.delay = MS(50);
    assert_int_equal(tcp_cb_write(&n.cb[A], "a", 1, n.now), 1); /* nothing in flight: goes */
    unsigned sent = n.sent[A];
    assert_int_equal(tcp_cb_write(&n.cb[A], "b", 1, n.now), 1); /* Nagle holds it */
    assert_int_equal(n.sent[A], sent);
    tcp_cb_set_nodelay(&n.cb[A], true, n.now);                   /* let go at once */
    assert_int_equal(n.sent[A], sent + 1);
    assert_int_equal(n.log_len[A][(n.sent[A] - 1) % H_LOG], 1);
    assert_int_equal(tcp_cb_write(&n.cb[A], "c", 1, n.now), 1); /* and from now on */
    assert_int_equal(n.sent[A], sent + 2);
    tcp_cb_set_nodelay(&n.cb[A], false, n.now);
    assert_int_equal(tcp_cb_write(&n.cb[A], "d", 1, n.now), 1); /* Nagle again */
    assert_int_equal(n.sent[A], sent + 2);
    h_run(&n, n.now + SEC(1));
    assert_int_equal(n.cb[B].rcv.len, 4);
    h_fini(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_off_by_default),
        cmocka_unit_test(test_probes_answered),
        cmocka_unit_test(test_unanswered_fails),
        cmocka_unit_test(test_answer_resets_count),
        cmocka_unit_test(test_not_while_outstanding),
        cmocka_unit_test(test_nodelay),
    };
    return cmocka_run_group_tests_name("tcpip-tcp-keepalive", tests, NULL, NULL);
}
