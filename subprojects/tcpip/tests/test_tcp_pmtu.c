/* test_tcp_pmtu.c - path MTU discovery in the TCP state machine
 * (tcp_cb_path_mtu, RFC 1191 with RFC 5927's checks) between two control
 * blocks over the simulated network of tcp_harness.h, with a router in
 * the middle whose next hop takes at most `mtu` bytes: a bigger segment is
 * dropped and its sender told so, as Linux's forwarding does with DF set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include <mira/byteorder.h>

#include "tcp_harness.h"

#define A 0
#define B 1
#define SEC(n) MIRA_SECONDS(n)
#define MS(n) MIRA_MILLISECONDS(n)
#define IP_HDR 20u

struct router {
    uint32_t mtu;       /* of the next hop, IPv4 header included */
    unsigned too_big;   /* segments dropped */
    unsigned taken;     /* "fragmentation needed" messages the sender took */
};

/* As h_step, with the router: a segment bigger than its MTU goes no
 * further, and its sender gets the ICMP message (the quoted sequence
 * number, the next hop's MTU). */
static bool r_step(struct h_net *n, struct router *r, mira_time_t until)
{
    while (n->queue != NULL && n->queue->at <= until && n->queue->len + IP_HDR > r->mtu) {
        struct h_pkt *p = n->queue;
        n->queue = p->next;
        if (p->at > n->now)
            n->now = p->at;
        r->too_big++;
        uint32_t seq = mira_load_be32(p->bytes + 4);
        if (tcp_cb_path_mtu(&n->cb[1 - p->to], seq, r->mtu, n->now))
            r->taken++;
        assert_null(tcp_cb_check(&n->cb[1 - p->to]));
        free(p);
    }
    return h_step(n, until);
}

static void open_pair(struct h_net *n)
{
    tcp_cb_listen(&n->cb[B], 5000);
    tcp_cb_connect(&n->cb[A], 1000, n->now);
    h_run(n, n->now + MS(100));
    assert_int_equal(n->cb[A].state, TCP_ESTABLISHED);
    assert_int_equal(n->cb[B].state, TCP_ESTABLISHED);
}

static uint8_t pat(uint64_t i)
{
    return (uint8_t)(((i + 7) * 0x9e3779b97f4a7c15ull) >> 56);
}

/* A sends total bytes to B through the router; every byte checked. */
static void send_through(struct h_net *n, struct router *r, uint64_t total, mira_time_t limit)
{
    uint64_t wr = 0, rd = 0;
    uint8_t buf[4096];
    mira_time_t end = n->now + limit;
    while (rd < total) {
        while (wr < total && tcp_cb_send_space(&n->cb[A]) > 0) {
            size_t k = total - wr < sizeof(buf) ? (size_t)(total - wr) : sizeof(buf);
            for (size_t i = 0; i < k; i++)
                buf[i] = pat(wr + i);
            long w = tcp_cb_write(&n->cb[A], buf, k, n->now);
            assert_true(w > 0);
            wr += (uint64_t)w;
        }
        size_t got;
        while ((got = tcp_cb_read(&n->cb[B], buf, sizeof(buf), n->now)) > 0) {
            for (size_t i = 0; i < got; i++)
                if (buf[i] != pat(rd + i))
                    fail_msg("byte %llu differs", (unsigned long long)(rd + i));
            rd += got;
        }
        if (!r_step(n, r, end))
            fail_msg("stalled at %llu of %llu bytes (MSS %u)", (unsigned long long)rd,
                     (unsigned long long)total, n->cb[A].snd_mss);
    }
}

/* A 1280-byte hop behind 1500-byte links: the first full segments die
 * there, the MSS drops to 1240 at the first message, what was in flight is
 * sent again at once (no retransmission timeout), and 1 MB arrives whole. */
static void test_pmtu_lowers_mss(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c;
    tcp_config_default(&c);
    h_init(&n, &c, 64 * 1024, 64 * 1024, 5);
    open_pair(&n);
    /* the timestamps (negotiated by default) take 12 bytes of each */
    uint16_t ts = n.cb[A].ts_ok ? 12 : 0;
    assert_int_equal(n.cb[A].snd_mss, 1460 - ts);
    struct router r = { .mtu = 1280 };
    send_through(&n, &r, 1 << 20, SEC(600));
    assert_int_equal(n.cb[A].snd_mss, 1240 - ts);
    assert_int_equal(r.taken, 1);
    assert_true(r.too_big >= 1);
    assert_int_equal(n.cb[A].stat_rto, 0);
    /* every segment A sent since fits */
    for (unsigned k = 0; k < H_LOG && k < n.sent[A]; k++)
        assert_true(n.log_len[A][(n.sent[A] - 1 - k) % H_LOG] <= 1240);
    h_fini(&n);
}

/* RFC 5927 4.1: a message quoting a sequence number not in flight (already
 * acknowledged, or never sent) changes nothing; nor does an MTU not below
 * the path's, nor 0 (no MTU given). */
static void test_pmtu_checks(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c;
    tcp_config_default(&c);
    c.timestamps = false; /* segment sizes without the 12 bytes of TS */
    h_init(&n, &c, 64 * 1024, 64 * 1024, 6);
    open_pair(&n);
    static uint8_t buf[20000];
    memset(buf, 'p', sizeof(buf));
    assert_int_equal(tcp_cb_write(&n.cb[A], buf, 5000, n.now), 5000);
    h_run(&n, n.now + SEC(1)); /* acknowledged */
    struct tcp_cb *a = &n.cb[A];
    assert_int_equal(a->snd_una, a->snd_max);
    assert_false(tcp_cb_path_mtu(a, a->snd_una - 1460, 1280, n.now)); /* acked */
    assert_false(tcp_cb_path_mtu(a, a->snd_una, 1280, n.now));        /* not sent */
    assert_int_equal(tcp_cb_write(&n.cb[A], buf, sizeof(buf), n.now), sizeof(buf));
    uint32_t una = a->snd_una, max = a->snd_max;
    assert_true(tcp_seq_gt(max, una));
    assert_false(tcp_cb_path_mtu(a, max, 1280, n.now));               /* beyond */
    assert_false(tcp_cb_path_mtu(a, una - 1, 1280, n.now));           /* before */
    assert_false(tcp_cb_path_mtu(a, una, 1500, n.now));               /* not lower */
    assert_false(tcp_cb_path_mtu(a, una, 9000, n.now));
    assert_false(tcp_cb_path_mtu(a, una, 0, n.now));                  /* no MTU */
    assert_int_equal(a->snd_mss, 1460);
    assert_int_equal(a->stat_rexmit, 0);
    /* in flight, and lower: taken, and what was in flight goes again */
    unsigned sent = n.sent[A];
    assert_true(tcp_cb_path_mtu(a, una + 1460, 1400, n.now));
    assert_int_equal(a->snd_mss, 1360);
    assert_true(n.sent[A] > sent);
    assert_int_equal(n.log[A][sent % H_LOG].seq, una);
    assert_int_equal(n.log_len[A][sent % H_LOG], 1360);
    assert_null(tcp_cb_check(a));
    h_run(&n, n.now + SEC(5));
    assert_int_equal(tcp_cb_readable(&n.cb[B]), 5000 + sizeof(buf));
    h_fini(&n);
}

/* An MTU below RFC 1122's 576 is taken as 576: a forged message cannot
 * shrink segments to a few bytes. */
static void test_pmtu_floor(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c;
    tcp_config_default(&c);
    c.timestamps = false; /* segment sizes without the 12 bytes of TS */
    h_init(&n, &c, 64 * 1024, 64 * 1024, 7);
    open_pair(&n);
    static uint8_t buf[8000];
    memset(buf, 'f', sizeof(buf));
    assert_int_equal(tcp_cb_write(&n.cb[A], buf, sizeof(buf), n.now), sizeof(buf));
    assert_true(tcp_cb_path_mtu(&n.cb[A], n.cb[A].snd_una, 68, n.now));
    assert_int_equal(n.cb[A].snd_mss, TCP_PMTU_MIN - 40);
    assert_false(tcp_cb_path_mtu(&n.cb[A], n.cb[A].snd_una, 100, n.now));
    h_run(&n, n.now + SEC(5));
    assert_int_equal(tcp_cb_readable(&n.cb[B]), sizeof(buf));
    h_fini(&n);
}

/* Before the handshake is done (SYN-SENT, SYN-RECEIVED) and in LISTEN,
 * nothing is taken: a SYN is never too big. */
static void test_pmtu_unsynchronized(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c;
    tcp_config_default(&c);
    c.timestamps = false; /* segment sizes without the 12 bytes of TS */
    h_init(&n, &c, 64 * 1024, 64 * 1024, 8);
    tcp_cb_listen(&n.cb[B], 5000);
    assert_false(tcp_cb_path_mtu(&n.cb[B], 5000, 1280, n.now));
    tcp_cb_connect(&n.cb[A], 1000, n.now);
    assert_int_equal(n.cb[A].state, TCP_SYN_SENT);
    assert_false(tcp_cb_path_mtu(&n.cb[A], 1000, 1280, n.now));
    assert_true(h_step(&n, n.now + SEC(1))); /* the SYN reaches B */
    assert_int_equal(n.cb[B].state, TCP_SYN_RECEIVED);
    assert_int_equal(n.cb[B].snd_mss, 1460);
    assert_false(tcp_cb_path_mtu(&n.cb[B], 5000, 1280, n.now)); /* its SYN-ACK */
    assert_int_equal(n.cb[B].snd_mss, 1460);
    h_fini(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pmtu_lowers_mss),
        cmocka_unit_test(test_pmtu_checks),
        cmocka_unit_test(test_pmtu_floor),
        cmocka_unit_test(test_pmtu_unsynchronized),
    };
    return cmocka_run_group_tests_name("tcp_pmtu", tests, NULL, NULL);
}
