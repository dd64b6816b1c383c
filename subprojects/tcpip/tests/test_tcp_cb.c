/* test_tcp_cb.c - the TCP state machine (src/tcp_cb.c) between two control
 * blocks over a simulated network (tcp_harness.h): handshakes, transfers
 * under loss, duplication and reordering, closes, RFC 5961 checks,
 * retransmission backoff and give-up, TIME-WAIT, zero windows. */
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

static struct tcp_config cfg_default(void)
{
    struct tcp_config c;
    tcp_config_default(&c);
    return c;
}

/* A's connect to B (listening), run until quiet. */
static void open_pair(struct h_net *n)
{
    tcp_cb_listen(&n->cb[B], 5000);
    tcp_cb_connect(&n->cb[A], 1000, n->now);
    h_run(n, n->now + MS(100));
}

/* Pattern byte i of a stream. */
static uint8_t pat(uint64_t i, unsigned salt)
{
    uint64_t x = (i + salt) * 0x9e3779b97f4a7c15ull;
    return (uint8_t)(x >> 56);
}

/* Moves total bytes each way (or one way) with the apps writing and reading
 * as fast as the rings allow; checks every byte.  Returns the end time. */
static void transfer(struct h_net *n, uint64_t total_ab, uint64_t total_ba, mira_time_t limit)
{
    uint64_t wr[2] = { 0, 0 }, rd[2] = { 0, 0 };
    uint64_t total[2] = { total_ab, total_ba };
    uint8_t buf[4096];
    mira_time_t end = n->now + limit;
    while (rd[B] < total_ab || rd[A] < total_ba) {
        for (int s = 0; s < 2; s++) {
            while (wr[s] < total[s] && tcp_cb_send_space(&n->cb[s]) > 0) {
                size_t k = (size_t)(total[s] - wr[s]);
                if (k > sizeof(buf))
                    k = sizeof(buf);
                for (size_t i = 0; i < k; i++)
                    buf[i] = pat(wr[s] + i, (unsigned)s);
                long w = tcp_cb_write(&n->cb[s], buf, k, n->now);
                assert_true(w > 0);
                wr[s] += (uint64_t)w;
            }
            int r = 1 - s; /* the reader of s's stream */
            size_t got;
            while ((got = tcp_cb_read(&n->cb[r], buf, sizeof(buf), n->now)) > 0) {
                for (size_t i = 0; i < got; i++)
                    if (buf[i] != pat(rd[r] + i, (unsigned)s))
                        fail_msg("byte %llu of stream %d differs",
                                 (unsigned long long)(rd[r] + i), s);
                rd[r] += got;
            }
        }
        if (!h_step(n, end)) {
            fail_msg("transfer stalled at %llu/%llu and %llu/%llu bytes (A %s, B %s)",
                     (unsigned long long)rd[B], (unsigned long long)total_ab,
                     (unsigned long long)rd[A], (unsigned long long)total_ba,
                     tcp_state_name(n->cb[A].state), tcp_state_name(n->cb[B].state));
        }
    }
    assert_int_equal(rd[B], total_ab);
    assert_int_equal(rd[A], total_ba);
}

/* A segment from B's side, injected into A as if from the network. */
static void inject(struct h_net *n, int to, uint8_t flags, uint32_t seq, uint32_t ack,
                   const void *data, size_t len)
{
    struct mira_tcp_hdr h = { .sport = n->cb[to].dport, .dport = n->cb[to].sport, .seq = seq,
                              .ack = ack, .flags = flags, .window = 65535,
                              .data = data, .data_len = len };
    tcp_cb_input(&n->cb[to], &h, n->now);
    assert_null(tcp_cb_check(&n->cb[to]));
}

/* --- handshakes --- */

static void test_handshake(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 65536, 1 << 20, 1);
    tcp_cb_listen(&n.cb[B], 5000);
    tcp_cb_connect(&n.cb[A], 1000, n.now);
    assert_int_equal(n.cb[A].state, TCP_SYN_SENT);
    const struct mira_tcp_hdr *syn = h_last(&n, A, 0);
    assert_int_equal(syn->flags, MIRA_TCP_SYN);
    assert_int_equal(syn->seq, 1000);
    assert_true(syn->opts.present & MIRA_TCP_HAS_MSS);
    assert_true(syn->opts.present & MIRA_TCP_HAS_WSCALE);
    assert_int_equal(syn->opts.wscale, 5); /* 1 MiB ring: 65535 << 5 covers it */
    h_step(&n, MIRA_TIME_NEVER);
    assert_int_equal(n.cb[B].state, TCP_SYN_RECEIVED);
    const struct mira_tcp_hdr *sa = h_last(&n, B, 0);
    assert_int_equal(sa->flags, MIRA_TCP_SYN | MIRA_TCP_ACK);
    assert_int_equal(sa->seq, 5000);
    assert_int_equal(sa->ack, 1001);
    h_run(&n, n.now + MS(100));
    assert_int_equal(n.cb[A].state, TCP_ESTABLISHED);
    assert_int_equal(n.cb[B].state, TCP_ESTABLISHED);
    assert_true(n.cb[A].wscale_ok && n.cb[B].wscale_ok);
    assert_int_equal(n.cb[B].snd_wscale, 5);
    /* SACK and timestamps both ways; the 12 bytes of timestamps every
     * segment carries come out of the MSS. */
    assert_true(syn->opts.present & MIRA_TCP_HAS_SACK_PERM);
    assert_true(syn->opts.present & MIRA_TCP_HAS_TS);
    assert_true(sa->opts.present & MIRA_TCP_HAS_SACK_PERM);
    assert_true(sa->opts.present & MIRA_TCP_HAS_TS);
    assert_true(n.cb[A].sack_ok && n.cb[B].sack_ok && n.cb[A].ts_ok && n.cb[B].ts_ok);
    assert_int_equal(n.cb[A].snd_mss, 1460 - 12);
    assert_true(n.cb[A].wake & TCP_WAKE_STATE);
    assert_true(n.cb[B].wake & TCP_WAKE_STATE);
    /* The handshake's round trip was measured (20 ms). */
    assert_true(n.cb[A].have_rtt);
    assert_int_equal(n.cb[A].srtt, MS(20));
    h_fini(&n);
}

/* A peer without options: MSS 536, no window scaling either way. */
static void test_handshake_no_options(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 65536, 1 << 20, 1);
    tcp_cb_listen(&n.cb[B], 5000);
    inject(&n, B, MIRA_TCP_SYN, 777, 0, NULL, 0);
    const struct mira_tcp_hdr *sa = h_last(&n, B, 0);
    assert_false(sa->opts.present & MIRA_TCP_HAS_WSCALE);
    assert_int_equal(sa->window, 65535);
    assert_int_equal(n.cb[B].snd_mss, 536);
    inject(&n, B, MIRA_TCP_ACK, 778, 5001, NULL, 0);
    assert_int_equal(n.cb[B].state, TCP_ESTABLISHED);
    assert_false(n.cb[B].wscale_ok);
    assert_int_equal(n.cb[B].rcv_wscale, 0);
    h_fini(&n);
}

static void test_simultaneous_open(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 65536, 65536, 1);
    tcp_cb_connect(&n.cb[A], 1000, n.now);
    tcp_cb_connect(&n.cb[B], 9000, n.now);
    h_run(&n, n.now + SEC(1));
    assert_int_equal(n.cb[A].state, TCP_ESTABLISHED);
    assert_int_equal(n.cb[B].state, TCP_ESTABLISHED);
    assert_int_equal(n.cb[A].rcv_nxt, 9001);
    assert_int_equal(n.cb[B].rcv_nxt, 1001);
    transfer(&n, 100000, 100000, SEC(10));
    h_fini(&n);
}

/* An ACK to a listener is answered with a RST (3.10.7.2); a RST is not. */
static void test_listen_refuses_ack(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 4096, 4096, 1);
    tcp_cb_listen(&n.cb[B], 5000);
    inject(&n, B, MIRA_TCP_ACK, 1, 4242, NULL, 0);
    assert_int_equal(n.sent[B], 1);
    assert_int_equal(h_last(&n, B, 0)->flags, MIRA_TCP_RST);
    assert_int_equal(h_last(&n, B, 0)->seq, 4242);
    assert_int_equal(n.cb[B].state, TCP_CLOSED);

    struct mira_tcp_hdr in = { .sport = 1, .dport = 2, .seq = 100, .flags = MIRA_TCP_SYN }, rst;
    assert_true(tcp_rst_reply(&in, &rst));
    assert_int_equal(rst.flags, MIRA_TCP_RST | MIRA_TCP_ACK);
    assert_int_equal(rst.ack, 101);
    assert_int_equal(rst.sport, 2);
    in.flags = MIRA_TCP_RST;
    assert_false(tcp_rst_reply(&in, &rst));
    h_fini(&n);
}

/* --- data --- */

static void test_transfer_lossless(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 64 * 1024, 128 * 1024, 7);
    open_pair(&n);
    transfer(&n, 1 << 20, 1 << 20, SEC(60));
    assert_int_equal(n.cb[A].stat_rexmit, 0);
    assert_int_equal(n.cb[B].stat_rexmit, 0);
    h_fini(&n);
}

/* 1 MB each way, exactly, while 10% of the segments are lost, 5%
 * duplicated and 10% reordered, both directions: with SACK and
 * timestamps, and without either (NewReno recovery, timer RTT samples). */
static void lossy_case(enum tcp_cc_algo algo, bool sack, bool timestamps, uint64_t seed)
{
    struct h_net n;
    struct tcp_config c = cfg_default();
    c.cc = algo;
    c.sack = sack;
    c.timestamps = timestamps;
    h_init(&n, &c, 64 * 1024, 64 * 1024, seed);
    open_pair(&n);
    n.loss_pct = 10;
    n.dup_pct = 5;
    n.reorder_pct = 10;
    transfer(&n, 1 << 20, 1 << 20, SEC(3600));
    assert_true(n.cb[A].stat_rexmit > 0);
    assert_true(n.cb[A].stat_fast_rexmit > 0);
    /* and both close in order through the losses */
    assert_int_equal(tcp_cb_shutdown(&n.cb[A], n.now), 0);
    assert_int_equal(tcp_cb_shutdown(&n.cb[B], n.now), 0);
    h_run(&n, n.now + SEC(600));
    assert_int_equal(n.cb[A].state, TCP_CLOSED);
    assert_int_equal(n.cb[B].state, TCP_CLOSED);
    assert_int_equal(n.cb[A].error, 0);
    assert_int_equal(n.cb[B].error, 0);
    assert_int_equal(n.cb[A].stat_sack_recoveries > 0, sack);
    assert_int_equal(n.cb[A].stat_ts_rtt > 0, timestamps);
    h_fini(&n);
}

/* Each combination of SACK and timestamps with each congestion control
 * (with NewReno and neither option, seed 12345 has both sides time out at
 * once: their bare ACKs must carry SND.MAX, or each drops the other's as
 * old). */
static void test_transfer_lossy(void **state)
{
    (void)state;
    for (int algo = TCP_CC_CUBIC; algo <= TCP_CC_NEWRENO; algo++) {
        lossy_case((enum tcp_cc_algo)algo, true, true, 12345);
        lossy_case((enum tcp_cc_algo)algo, false, false, 12345);
        lossy_case((enum tcp_cc_algo)algo, true, false, 777);
        lossy_case((enum tcp_cc_algo)algo, false, true, 4242);
    }
}

/* One segment lost in a full window is resent at the third duplicate ACK,
 * without waiting for the timeout (RFC 5681 3.2). */
static void test_fast_retransmit(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 256 * 1024, 256 * 1024, 3);
    open_pair(&n);
    transfer(&n, 200000, 0, SEC(10)); /* opens the congestion window */
    static uint8_t buf[100000];
    memset(buf, 'x', sizeof(buf));
    n.drop_next[A] = true;
    assert_int_equal(tcp_cb_write(&n.cb[A], buf, sizeof(buf), n.now), sizeof(buf));
    h_run(&n, n.now + SEC(5));
    assert_int_equal(n.cb[A].stat_fast_rexmit, 1);
    assert_int_equal(n.cb[A].stat_rto, 0);
    assert_int_equal(n.cb[A].snd_una, n.cb[A].snd_max);
    assert_int_equal(tcp_cb_readable(&n.cb[B]), sizeof(buf));
    h_fini(&n);
}

/* The congestion control the configuration names is the one tcp_cb uses
 * (tcp_cc.h): at the fast retransmit ssthresh is 0.7 of the flight with
 * CUBIC (RFC 9438 4.6), half of it with NewReno (RFC 5681 eq. 4); recovery
 * ends at no more than ssthresh; the ACKs after it grow the window along
 * CUBIC's curve toward the W_max of the loss; a timeout reduces by the
 * algorithm's factor too. */
static void test_congestion_control_used(void **state)
{
    (void)state;
    assert_int_equal(cfg_default().cc, TCP_CC_CUBIC); /* the default, as Linux's */
    for (int algo = TCP_CC_CUBIC; algo <= TCP_CC_NEWRENO; algo++) {
        struct h_net n;
        struct tcp_config c = cfg_default();
        c.cc = (enum tcp_cc_algo)algo;
        h_init(&n, &c, 256 * 1024, 256 * 1024, 3);
        n.delay = MS(10);
        open_pair(&n);
        transfer(&n, 200000, 0, SEC(10)); /* opens the congestion window */
        static uint8_t buf[200000];
        memset(buf, 'x', sizeof(buf));
        n.drop_next[A] = true;
        assert_int_equal(tcp_cb_write(&n.cb[A], buf, sizeof(buf), n.now), sizeof(buf));
        uint32_t cwnd = 0, flight = 0;
        while (n.cb[A].stat_fast_rexmit == 0) {
            cwnd = n.cb[A].cwnd;
            flight = n.cb[A].snd_max - n.cb[A].snd_una;
            assert_true(h_step(&n, n.now + SEC(5)));
        }
        uint32_t mss = n.cb[A].snd_mss;
        assert_true(flight > 10 * mss);
        uint32_t want = algo == TCP_CC_CUBIC ? (uint32_t)((uint64_t)flight * 7 / 10) : flight / 2;
        assert_int_equal(n.cb[A].ssthresh, want);
        assert_int_equal(n.cb[A].cc.algo, algo);
        if (algo == TCP_CC_CUBIC)
            assert_int_equal(n.cb[A].cc.cubic.w_max, cwnd);
        while (n.cb[A].in_recovery)
            assert_true(h_step(&n, n.now + SEC(5)));
        assert_true(n.cb[A].cwnd <= n.cb[A].ssthresh);
        h_run(&n, n.now + SEC(5));
        assert_int_equal(tcp_cb_readable(&n.cb[B]), sizeof(buf));
        assert_int_equal(n.cb[A].stat_rto, 0);
        while (tcp_cb_read(&n.cb[B], buf, sizeof(buf), n.now) > 0)
            ;
        transfer(&n, 400000, 0, SEC(20)); /* slow start to ssthresh, then avoidance */
        assert_true(n.cb[A].cwnd > n.cb[A].ssthresh);
        if (algo == TCP_CC_CUBIC) {
            /* an epoch began below the loss's W_max: K > 0 */
            assert_true(n.cb[A].cc.cubic.epoch_start != MIRA_TIME_NEVER);
            assert_true(n.cb[A].cc.cubic.k > 0);
            assert_int_equal(n.cb[A].cc.cubic.origin, n.cb[A].cc.cubic.w_max);
        }
        /* a timeout: B hears nothing for a while */
        n.cut[A] = true;
        assert_int_equal(tcp_cb_write(&n.cb[A], buf, 50000, n.now), 50000);
        while (n.cb[A].stat_rto == 0) {
            flight = n.cb[A].snd_max - n.cb[A].snd_una;
            assert_true(h_step(&n, n.now + SEC(5)));
        }
        want = algo == TCP_CC_CUBIC ? (uint32_t)((uint64_t)flight * 7 / 10) : flight / 2;
        assert_int_equal(n.cb[A].ssthresh, want > 2 * mss ? want : 2 * mss);
        assert_int_equal(n.cb[A].cwnd, mss);
        if (algo == TCP_CC_CUBIC) /* 4.8: the next epoch's curve starts at its window */
            assert_int_equal(n.cb[A].cc.cubic.w_max, 0);
        /* the same segment's next timeout holds ssthresh (RFC 5681 3.1) */
        uint32_t held = n.cb[A].ssthresh, prior = n.cb[A].cc.cubic.cwnd_prior;
        while (n.cb[A].stat_rto < 2)
            assert_true(h_step(&n, n.now + SEC(5)));
        assert_int_equal(n.cb[A].ssthresh, held);
        /* and CUBIC remembers the window before the first, not one segment */
        assert_int_equal(n.cb[A].cc.cubic.cwnd_prior, prior);
        assert_int_equal(n.cb[A].cwnd, mss);
        n.cut[A] = false;
        h_run(&n, n.now + SEC(30));
        assert_int_equal(n.cb[A].snd_una, n.cb[A].snd_max);
        h_fini(&n);
    }
}

/* A small segment is acknowledged after the delayed-ACK time, two full
 * ones at once (RFC 5681 4.2). */
static void test_delayed_ack(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 65536, 65536, 3);
    open_pair(&n);
    unsigned before = n.sent[B];
    tcp_cb_write(&n.cb[A], "hello", 5, n.now);
    h_step(&n, MIRA_TIME_NEVER); /* delivered */
    assert_int_equal(n.sent[B], before);
    assert_int_equal(tcp_cb_deadline(&n.cb[B]), n.now + c.delack);
    h_step(&n, MIRA_TIME_NEVER); /* the delayed-ACK timer */
    assert_int_equal(n.sent[B], before + 1);
    assert_int_equal(h_last(&n, B, 0)->ack, n.cb[A].snd_nxt);
    h_run(&n, n.now + SEC(1));
    static uint8_t big[2 * 1460];
    before = n.sent[B];
    tcp_cb_write(&n.cb[A], big, sizeof(big), n.now);
    h_step(&n, MIRA_TIME_NEVER);
    h_step(&n, MIRA_TIME_NEVER);
    assert_int_equal(n.sent[B], before + 1); /* the second one was ACKed at once */
    h_fini(&n);
}

/* Data beyond a hole is kept and delivered once the hole fills; a
 * duplicate ACK goes out at once for each such segment. */
static void test_out_of_order_kept(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 65536, 65536, 3);
    open_pair(&n);
    uint32_t rn = n.cb[A].rcv_nxt, una = n.cb[A].snd_una;
    unsigned before = n.sent[A];
    inject(&n, A, MIRA_TCP_ACK, rn + 3, una, "def", 3);
    inject(&n, A, MIRA_TCP_ACK, rn + 6, una, "ghi", 3);
    assert_int_equal(n.sent[A], before + 2);
    assert_int_equal(h_last(&n, A, 0)->ack, rn);
    assert_int_equal(tcp_cb_readable(&n.cb[A]), 0);
    inject(&n, A, MIRA_TCP_ACK, rn, una, "abc", 3);
    assert_int_equal(n.cb[A].rcv_nxt, rn + 9);
    assert_int_equal(h_last(&n, A, 0)->ack, rn + 9); /* the hole filled: ACK at once */
    char buf[16];
    assert_int_equal(tcp_cb_read(&n.cb[A], buf, sizeof(buf), n.now), 9);
    assert_memory_equal(buf, "abcdefghi", 9);
    h_fini(&n);
}

/* The rings tell when they hold nothing (the stack then frees their
 * memory, tcp_stack.c's ring_trim): the receive ring not while bytes are
 * unread or kept out of order, the send ring not while any is
 * unacknowledged. */
static void test_rings_empty(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 65536, 65536, 3);
    open_pair(&n);
    assert_true(tcp_cb_rcv_empty(&n.cb[A]));
    assert_true(tcp_cb_snd_empty(&n.cb[A]));
    /* A writes: not empty until B's ACK arrives. */
    char buf[16];
    assert_int_equal(tcp_cb_write(&n.cb[A], "hello", 5, n.now), 5);
    assert_false(tcp_cb_snd_empty(&n.cb[A]));
    h_run(&n, n.now + MS(500));
    assert_true(tcp_cb_snd_empty(&n.cb[A]));
    assert_int_equal(tcp_cb_read(&n.cb[B], buf, sizeof(buf), n.now), 5);
    /* B's data reaches A out of order first. */
    uint32_t rn = n.cb[A].rcv_nxt, una = n.cb[A].snd_una;
    inject(&n, A, MIRA_TCP_ACK, rn + 3, una, "def", 3);
    assert_int_equal(tcp_cb_readable(&n.cb[A]), 0);
    assert_false(tcp_cb_rcv_empty(&n.cb[A])); /* out of order only */
    inject(&n, A, MIRA_TCP_ACK, rn, una, "abc", 3);
    assert_false(tcp_cb_rcv_empty(&n.cb[A])); /* unread */
    assert_int_equal(tcp_cb_read(&n.cb[A], buf, 4, n.now), 4);
    assert_false(tcp_cb_rcv_empty(&n.cb[A]));
    assert_int_equal(tcp_cb_read(&n.cb[A], buf, sizeof(buf), n.now), 2);
    assert_true(tcp_cb_rcv_empty(&n.cb[A]));
    h_fini(&n);
}

/* An empty segment at exactly the right edge of our window is taken, its
 * ACK field too: Linux sends its ACKs at SND.NXT, which is our right edge
 * once its data filled the window and was lost; refusing them left both
 * sides retransmitting forever under loss (tests/integration/netbench_bulk.py). */
static void test_ack_at_right_edge_taken(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 65536, 65536, 5);
    open_pair(&n);
    static uint8_t data[3000];
    n.cut[A] = true; /* A's data never reaches B */
    tcp_cb_write(&n.cb[A], data, sizeof(data), n.now);
    h_run(&n, n.now + MS(1));
    n.cut[A] = false;
    uint32_t una = n.cb[A].snd_una, max = n.cb[A].snd_max;
    assert_true(tcp_seq_gt(max, una));
    uint32_t wnd = n.cb[A].rcv_adv - n.cb[A].rcv_nxt;
    assert_true(wnd > 0);
    inject(&n, A, MIRA_TCP_ACK, n.cb[A].rcv_nxt + wnd, max, NULL, 0);
    assert_int_equal(n.cb[A].snd_una, max);
    h_fini(&n);
}

/* While retransmitting after a timeout (SND.NXT back at SND.UNA), a pure
 * ACK carries SND.MAX: the peer already has everything up to there, and
 * Linux drops an empty segment older than that, ACK field and all
 * (tests/integration/netbench_bulk.py stalled for minutes on it). */
static void test_pure_ack_at_snd_max(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 65536, 65536, 6);
    open_pair(&n);
    static uint8_t data[3000];
    n.cut[B] = true; /* B gets the data; A never hears B's ACKs */
    tcp_cb_write(&n.cb[A], data, sizeof(data), n.now);
    h_run(&n, n.now + MS(2500));
    assert_true(n.cb[A].stat_rto >= 1);
    assert_true(tcp_seq_lt(n.cb[A].snd_nxt, n.cb[A].snd_max));
    /* Out-of-order data from B: A answers with an ACK at once. */
    unsigned before = n.sent[A];
    inject(&n, A, MIRA_TCP_ACK, n.cb[A].rcv_nxt + 1, n.cb[A].snd_una, "x", 1);
    assert_int_equal(n.sent[A], before + 1);
    const struct mira_tcp_hdr *ack = h_last(&n, A, 0);
    assert_int_equal(ack->data_len, 0);
    assert_int_equal(ack->seq, n.cb[A].snd_max);
    h_fini(&n);
}

/* --- closing --- */

static void test_orderly_close(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 65536, 65536, 3);
    open_pair(&n);
    tcp_cb_write(&n.cb[A], "bye", 3, n.now);
    assert_int_equal(tcp_cb_shutdown(&n.cb[A], n.now), 0);
    assert_int_equal(n.cb[A].state, TCP_FIN_WAIT_1);
    assert_int_equal(tcp_cb_write(&n.cb[A], "x", 1, n.now), MIRA_ECLOSED);
    assert_int_equal(tcp_cb_shutdown(&n.cb[A], n.now), MIRA_ECLOSED);
    h_run(&n, n.now + SEC(1));
    assert_int_equal(n.cb[A].state, TCP_FIN_WAIT_2);
    assert_int_equal(n.cb[B].state, TCP_CLOSE_WAIT);
    assert_true(n.cb[B].fin_received);
    char buf[8];
    assert_int_equal(tcp_cb_read(&n.cb[B], buf, sizeof(buf), n.now), 3);
    /* B still sends after A's FIN (half close) */
    assert_int_equal(tcp_cb_write(&n.cb[B], "ok", 2, n.now), 2);
    assert_int_equal(tcp_cb_shutdown(&n.cb[B], n.now), 0);
    assert_int_equal(n.cb[B].state, TCP_LAST_ACK);
    h_step(&n, MIRA_TIME_NEVER); /* B's data and FIN reach A */
    h_step(&n, MIRA_TIME_NEVER);
    assert_int_equal(n.cb[A].state, TCP_TIME_WAIT);
    mira_time_t tw_start = n.now;
    assert_int_equal(tcp_cb_read(&n.cb[A], buf, sizeof(buf), n.now), 2);
    h_run(&n, tw_start + 2 * c.msl - 1);
    assert_int_equal(n.cb[B].state, TCP_CLOSED);
    assert_int_equal(n.cb[B].error, 0);
    assert_int_equal(n.cb[A].state, TCP_TIME_WAIT); /* not a nanosecond early */
    h_run(&n, tw_start + 2 * c.msl);
    assert_int_equal(n.cb[A].state, TCP_CLOSED);
    assert_int_equal(n.cb[A].error, 0);
    assert_int_equal(tcp_cb_deadline(&n.cb[A]), MIRA_TIME_NEVER);
    h_fini(&n);
}

/* In TIME-WAIT a retransmitted FIN is acknowledged again and restarts
 * the 2 MSL wait (3.10.7.4). */
static void test_time_wait_refin(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 65536, 65536, 3);
    open_pair(&n);
    tcp_cb_shutdown(&n.cb[A], n.now);
    h_run(&n, n.now + SEC(1));
    n.cut[A] = true; /* A's last ACK is lost */
    tcp_cb_shutdown(&n.cb[B], n.now);
    h_step(&n, MIRA_TIME_NEVER);
    assert_int_equal(n.cb[A].state, TCP_TIME_WAIT);
    n.cut[A] = false;
    mira_time_t first_end = n.cb[A].end_at;
    h_run(&n, n.now + SEC(5)); /* B retransmits its FIN after its RTO */
    assert_int_equal(n.cb[B].state, TCP_CLOSED);
    assert_int_equal(n.cb[B].error, 0);
    assert_true(n.cb[A].end_at > first_end);
    h_fini(&n);
}

static void test_simultaneous_close(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 65536, 65536, 3);
    open_pair(&n);
    tcp_cb_shutdown(&n.cb[A], n.now);
    tcp_cb_shutdown(&n.cb[B], n.now);
    h_step(&n, MIRA_TIME_NEVER);
    h_step(&n, MIRA_TIME_NEVER);
    assert_int_equal(n.cb[A].state, TCP_CLOSING);
    assert_int_equal(n.cb[B].state, TCP_CLOSING);
    h_run(&n, n.now + SEC(1));
    assert_int_equal(n.cb[A].state, TCP_TIME_WAIT);
    assert_int_equal(n.cb[B].state, TCP_TIME_WAIT);
    h_run(&n, MIRA_TIME_NEVER);
    assert_int_equal(n.cb[A].state, TCP_CLOSED);
    assert_int_equal(n.cb[B].state, TCP_CLOSED);
    h_fini(&n);
}

/* Closing with unread data resets (the peer learns its data was lost);
 * data arriving after close resets too. */
static void test_close_unread_resets(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 65536, 65536, 3);
    open_pair(&n);
    tcp_cb_write(&n.cb[A], "data", 4, n.now);
    h_run(&n, n.now + SEC(1));
    tcp_cb_close(&n.cb[B], n.now);
    assert_int_equal(n.cb[B].state, TCP_CLOSED);
    assert_int_equal(h_last(&n, B, 0)->flags, MIRA_TCP_RST);
    h_run(&n, n.now + SEC(1));
    assert_int_equal(n.cb[A].state, TCP_CLOSED);
    assert_int_equal(n.cb[A].error, MIRA_ECLOSED);
    assert_true(n.cb[A].wake & TCP_WAKE_READ);
    h_fini(&n);
}

/* --- RST and SYN checks (RFC 5961) --- */

static void test_rst_exact(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 65536, 65536, 3);
    open_pair(&n);
    inject(&n, A, MIRA_TCP_RST, n.cb[A].rcv_nxt, 0, NULL, 0);
    assert_int_equal(n.cb[A].state, TCP_CLOSED);
    assert_int_equal(n.cb[A].error, MIRA_ECLOSED);
    assert_true(n.cb[A].wake & TCP_WAKE_READ);
    assert_true(n.cb[A].wake & TCP_WAKE_WRITE);
    assert_int_equal(tcp_cb_write(&n.cb[A], "x", 1, n.now), MIRA_ECLOSED);
    h_fini(&n);
}

/* In the window but not exactly RCV.NXT: a challenge ACK, no reset. */
static void test_rst_in_window_challenged(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 65536, 65536, 3);
    open_pair(&n);
    unsigned before = n.sent[A];
    inject(&n, A, MIRA_TCP_RST, n.cb[A].rcv_nxt + 1000, 0, NULL, 0);
    assert_int_equal(n.cb[A].state, TCP_ESTABLISHED);
    assert_int_equal(n.sent[A], before + 1);
    const struct mira_tcp_hdr *ch = h_last(&n, A, 0);
    assert_int_equal(ch->flags, MIRA_TCP_ACK);
    assert_int_equal(ch->ack, n.cb[A].rcv_nxt);
    assert_int_equal(ch->seq, n.cb[A].snd_nxt);
    assert_int_equal(n.cb[A].stat_challenge_acks, 1);
    /* RST|ACK in the window: the same */
    inject(&n, A, MIRA_TCP_RST | MIRA_TCP_ACK, n.cb[A].rcv_nxt + 1, n.cb[A].snd_una, NULL, 0);
    assert_int_equal(n.cb[A].state, TCP_ESTABLISHED);
    assert_int_equal(n.cb[A].stat_challenge_acks, 2);
    h_fini(&n);
}

/* Outside the window: dropped without a word. */
static void test_rst_out_of_window_ignored(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 65536, 65536, 3);
    open_pair(&n);
    unsigned before = n.sent[A];
    inject(&n, A, MIRA_TCP_RST, n.cb[A].rcv_nxt + 10000000, 0, NULL, 0);
    inject(&n, A, MIRA_TCP_RST, n.cb[A].rcv_nxt - 1, 0, NULL, 0);
    assert_int_equal(n.cb[A].state, TCP_ESTABLISHED);
    assert_int_equal(n.sent[A], before);
    h_fini(&n);
}

/* A SYN on an established connection: a challenge ACK (RFC 5961 4.2),
 * wherever its sequence number lies. */
static void test_syn_challenged(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 65536, 65536, 3);
    open_pair(&n);
    unsigned before = n.sent[A];
    inject(&n, A, MIRA_TCP_SYN, n.cb[A].rcv_nxt + 5, 0, NULL, 0);
    assert_int_equal(n.cb[A].state, TCP_ESTABLISHED);
    assert_int_equal(n.sent[A], before + 1);
    assert_int_equal(h_last(&n, A, 0)->flags, MIRA_TCP_ACK);
    assert_int_equal(n.cb[A].stat_challenge_acks, 1);
    h_fini(&n);
}

/* An ACK for data never sent, or older than the window allows, is
 * refused with an ACK and its data dropped (RFC 5961 5.2). */
static void test_ack_out_of_range(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 65536, 65536, 3);
    open_pair(&n);
    uint32_t rn = n.cb[A].rcv_nxt;
    inject(&n, A, MIRA_TCP_ACK, rn, n.cb[A].snd_max + 1, "evil", 4);
    assert_int_equal(n.cb[A].rcv_nxt, rn);
    assert_int_equal(tcp_cb_readable(&n.cb[A]), 0);
    assert_int_equal(n.cb[A].stat_challenge_acks, 1);
    inject(&n, A, MIRA_TCP_ACK, rn, n.cb[A].snd_una - n.cb[A].max_snd_wnd - 1, "evil", 4);
    assert_int_equal(tcp_cb_readable(&n.cb[A]), 0);
    assert_int_equal(n.cb[A].stat_challenge_acks, 2);
    inject(&n, A, MIRA_TCP_ACK, rn, n.cb[A].snd_una, "good", 4);
    assert_int_equal(tcp_cb_readable(&n.cb[A]), 4);
    h_fini(&n);
}

/* SYN-SENT: a RST is believed only with an ACK of our SYN. */
static void test_syn_sent_rst(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 65536, 65536, 3);
    tcp_cb_connect(&n.cb[A], 1000, n.now);
    inject(&n, A, MIRA_TCP_RST | MIRA_TCP_ACK, 0, 1000, NULL, 0); /* acks nothing */
    assert_int_equal(n.cb[A].state, TCP_SYN_SENT);
    inject(&n, A, MIRA_TCP_RST, 0, 0, NULL, 0);                   /* no ACK */
    assert_int_equal(n.cb[A].state, TCP_SYN_SENT);
    inject(&n, A, MIRA_TCP_RST | MIRA_TCP_ACK, 0, 1001, NULL, 0);
    assert_int_equal(n.cb[A].state, TCP_CLOSED);
    assert_int_equal(n.cb[A].error, MIRA_ECONNREFUSED);
    assert_true(n.cb[A].wake & TCP_WAKE_STATE);
    h_fini(&n);
}

/* --- retransmission --- */

/* The timeout doubles at each retransmission (RFC 6298 5.5) up to its
 * maximum, and after max_retries the connection fails with ETIMEDOUT. */
static void test_give_up(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    c.max_retries = 5;
    h_init(&n, &c, 65536, 65536, 3);
    open_pair(&n);
    n.cut[B] = true; /* the peer vanishes */
    n.cut[A] = true;
    tcp_cb_write(&n.cb[A], "lost", 4, n.now);
    unsigned first = n.sent[A];
    mira_time_t rto = n.cb[A].rto;
    h_run(&n, MIRA_TIME_NEVER);
    assert_int_equal(n.cb[A].state, TCP_CLOSED);
    assert_int_equal(n.cb[A].error, MIRA_ETIMEDOUT);
    assert_true(n.cb[A].wake & TCP_WAKE_READ);
    assert_int_equal(n.sent[A] - first, 5); /* five retransmissions */
    for (unsigned k = 0; k + 1 < 5; k++) {
        mira_time_t gap = n.log_at[A][(first + k + 1) % H_LOG] - n.log_at[A][(first + k) % H_LOG];
        assert_int_equal(gap, rto << (k + 1));
    }
    assert_int_equal(tcp_cb_deadline(&n.cb[A]), MIRA_TIME_NEVER);
    h_fini(&n);
}

static void test_syn_give_up(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 65536, 65536, 3);
    n.cut[A] = true;
    tcp_cb_connect(&n.cb[A], 1000, n.now);
    mira_time_t start = n.now;
    h_run(&n, MIRA_TIME_NEVER);
    assert_int_equal(n.cb[A].state, TCP_CLOSED);
    assert_int_equal(n.cb[A].error, MIRA_ETIMEDOUT);
    assert_int_equal(n.sent[A], 1 + c.max_syn_retries);
    /* 1 + 2 + 4 + 8 + 16 + 32 s, then the last wait of 64 s capped at 60 */
    assert_int_equal(n.now - start, SEC(123));
    h_fini(&n);
}

/* Karn: the ACK of a retransmitted segment is no RTT sample; the timeout
 * stays backed off until a segment sent once is acknowledged. */
static void test_karn(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    c.timestamps = false; /* with them TSecr times retransmissions too */
    h_init(&n, &c, 65536, 65536, 3);
    open_pair(&n);
    assert_int_equal(n.cb[A].srtt, MS(20));
    n.drop_next[A] = true;
    tcp_cb_write(&n.cb[A], "x", 1, n.now);
    h_run(&n, n.now + SEC(5)); /* the RTO resends it and it is ACKed 20 ms later */
    assert_int_equal(n.cb[A].stat_rto, 1);
    assert_int_equal(n.cb[A].snd_una, n.cb[A].snd_max);
    assert_int_equal(n.cb[A].srtt, MS(20)); /* no sample of ~220 ms */
    assert_int_equal(n.cb[A].rto, 2 * MS(200));
    tcp_cb_write(&n.cb[A], "y", 1, n.now);
    h_run(&n, n.now + SEC(5));
    assert_int_equal(n.cb[A].rto, MS(200)); /* a clean sample: back to the formula */
    h_fini(&n);
}

/* --- windows --- */

/* A reader that stops: the sender fills the window, probes the zero
 * window with backoff (3.8.6.1) without giving up while the peer answers,
 * and goes on when the reader reads; a lost window update is recovered by
 * the next probe. */
static void test_zero_window(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    c.max_retries = 3;
    h_init(&n, &c, 65536, 8192, 3);
    open_pair(&n);
    static uint8_t buf[40000];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = pat(i, 9);
    long w = tcp_cb_write(&n.cb[A], buf, sizeof(buf), n.now);
    assert_int_equal(w, sizeof(buf));
    h_run(&n, n.now + SEC(1));
    assert_int_equal(tcp_cb_readable(&n.cb[B]), 8192);
    assert_int_equal(n.cb[A].snd_wnd, 0);
    assert_true(n.cb[A].persist_at != MIRA_TIME_NEVER);
    assert_int_equal(n.cb[A].rtx_at, MIRA_TIME_NEVER);
    /* Far longer than max_retries timeouts: the peer answers every probe. */
    unsigned before = n.sent[A];
    h_run(&n, n.now + SEC(600));
    assert_int_equal(n.cb[A].state, TCP_ESTABLISHED);
    unsigned probes = n.sent[A] - before;
    assert_true(probes >= 10);
    assert_true(probes < 30); /* backed off to one a minute */
    for (unsigned k = 0; k < probes; k++)
        assert_int_equal(n.log_len[A][(before + k) % H_LOG], 1);
    /* The reader reads; its window update is lost; a probe finds it. */
    static uint8_t got[40000];
    size_t have = 0;
    n.drop_next[B] = true;
    have += tcp_cb_read(&n.cb[B], got + have, sizeof(got) - have, n.now);
    h_run(&n, n.now + SEC(120));
    while (have < sizeof(got)) {
        size_t k = tcp_cb_read(&n.cb[B], got + have, sizeof(got) - have, n.now);
        have += k;
        if (!h_step(&n, n.now + SEC(120)) && k == 0)
            break;
    }
    assert_int_equal(have, sizeof(got));
    assert_memory_equal(got, buf, sizeof(buf));
    h_fini(&n);
}

/* A vanished peer behind a zero window: unanswered probes give up. */
static void test_zero_window_peer_vanishes(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    c.max_retries = 4;
    h_init(&n, &c, 65536, 4096, 3);
    open_pair(&n);
    static uint8_t buf[10000];
    tcp_cb_write(&n.cb[A], buf, sizeof(buf), n.now);
    h_run(&n, n.now + SEC(1));
    assert_int_equal(n.cb[A].snd_wnd, 0);
    n.cut[B] = true;
    h_run(&n, MIRA_TIME_NEVER);
    assert_int_equal(n.cb[A].state, TCP_CLOSED);
    assert_int_equal(n.cb[A].error, MIRA_ETIMEDOUT);
    h_fini(&n);
}

/* The advertised right edge never moves left, and the window scale makes a
 * 1 MiB ring usable. */
static void test_window_scale_large(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 1 << 20, 1 << 20, 3);
    open_pair(&n);
    static uint8_t buf[600000];
    tcp_cb_write(&n.cb[A], buf, sizeof(buf), n.now);
    h_run(&n, n.now + SEC(2));
    assert_int_equal(tcp_cb_readable(&n.cb[B]), sizeof(buf)); /* more than 64 KiB in flight */
    h_fini(&n);
}

/* --- SACK (RFC 2018, RFC 6675) --- */

/* A segment with options into side `to`, as if from the network. */
static void inject_h(struct h_net *n, int to, struct mira_tcp_hdr h)
{
    h.sport = n->cb[to].dport;
    h.dport = n->cb[to].sport;
    if (h.window == 0)
        h.window = 65535;
    tcp_cb_input(&n->cb[to], &h, n->now);
    assert_null(tcp_cb_check(&n->cb[to]));
}

static void expect_block(const struct mira_tcp_hdr *h, unsigned i, uint32_t left, uint32_t right)
{
    assert_true(h->opts.present & MIRA_TCP_HAS_SACK);
    assert_true(i < h->opts.sack_count);
    assert_int_equal(h->opts.sack[i].left, left);
    assert_int_equal(h->opts.sack[i].right, right);
}

/* The receiver reports its out-of-order ranges in SACK blocks, the range
 * the latest segment went into first (RFC 2018 4), as many as fit: 3
 * beside timestamps, 4 without. */
static void sack_blocks_case(bool timestamps)
{
    struct h_net n;
    struct tcp_config c = cfg_default();
    c.timestamps = timestamps;
    h_init(&n, &c, 65536, 65536, 3);
    open_pair(&n);
    struct tcp_cb *b = &n.cb[B];
    assert_true(b->sack_ok);
    assert_int_equal(b->ts_ok, timestamps);
    uint32_t r = b->rcv_nxt, ack = b->snd_nxt;
    static const uint8_t d[100];
    struct mira_tcp_hdr h = { .flags = MIRA_TCP_ACK, .ack = ack, .data = d, .data_len = 100 };
    h.seq = r + 100;
    inject_h(&n, B, h);
    assert_int_equal(h_last(&n, B, 0)->ack, r);
    assert_int_equal(h_last(&n, B, 0)->opts.sack_count, 1);
    expect_block(h_last(&n, B, 0), 0, r + 100, r + 200);
    h.seq = r + 300;
    inject_h(&n, B, h);
    expect_block(h_last(&n, B, 0), 0, r + 300, r + 400);
    expect_block(h_last(&n, B, 0), 1, r + 100, r + 200);
    h.seq = r + 500;
    inject_h(&n, B, h);
    h.seq = r + 700;
    inject_h(&n, B, h);
    const struct mira_tcp_hdr *a = h_last(&n, B, 0);
    assert_int_equal(a->opts.sack_count, timestamps ? 3 : 4);
    expect_block(a, 0, r + 700, r + 800);
    expect_block(a, 1, r + 500, r + 600);
    expect_block(a, 2, r + 300, r + 400);
    if (!timestamps)
        expect_block(a, 3, r + 100, r + 200);
    assert_true(mira_tcp_options_len(&a->opts) <= 40);
    /* A segment joining two ranges: the joined range comes first. */
    h.seq = r + 200;
    inject_h(&n, B, h);
    expect_block(h_last(&n, B, 0), 0, r + 100, r + 400);
    /* The hole at RCV.NXT filled: what is still beyond is reported. */
    h.seq = r;
    inject_h(&n, B, h);
    a = h_last(&n, B, 0);
    assert_int_equal(a->ack, r + 400);
    assert_int_equal(a->opts.sack_count, 2);
    expect_block(a, 0, r + 700, r + 800);
    expect_block(a, 1, r + 500, r + 600);
    h_fini(&n);
}

static void test_sack_blocks(void **state)
{
    (void)state;
    sack_blocks_case(true);
    sack_blocks_case(false);
}

/* The scoreboard's arithmetic (tcp_sack.c) on its own. */
static void test_sack_scoreboard(void **state)
{
    (void)state;
    struct tcp_sack_board b = { .n = 0 };
    const uint32_t u = 0xfffff000u; /* across the wrap */
    assert_true(tcp_sack_add(&b, u + 3000, u + 4000));
    assert_true(tcp_sack_add(&b, u + 1000, u + 2000));
    assert_false(tcp_sack_add(&b, u + 1200, u + 1800)); /* nothing new */
    assert_int_equal(b.n, 2);
    assert_int_equal(b.r[0].left, u + 1000);
    assert_true(tcp_sack_add(&b, u + 2000, u + 3000)); /* touches both: one range */
    assert_int_equal(b.n, 1);
    assert_int_equal(b.r[0].left, u + 1000);
    assert_int_equal(b.r[0].right, u + 4000);
    assert_null(tcp_sack_check(&b, u, u + 10000));
    assert_non_null(tcp_sack_check(&b, u + 1500, u + 10000));
    tcp_sack_trim(&b, u + 1500);
    assert_int_equal(b.r[0].left, u + 1500);
    tcp_sack_clear(&b);
    /* Bounded: the 17th disjoint range is forgotten. */
    for (unsigned i = 0; i < TCP_SACK_MAX + 1; i++)
        assert_int_equal(tcp_sack_add(&b, u + 100 * i + 10, u + 100 * i + 20), i < TCP_SACK_MAX);
    assert_int_equal(b.n, TCP_SACK_MAX);
    assert_null(tcp_sack_check(&b, u, u + 10000));
    tcp_sack_clear(&b);

    /* una = 0, mss 100, sent to 1000; SACKed [200,300) [400,500) [600,700) [800,900). */
    for (uint32_t l = 200; l < 1000; l += 200)
        tcp_sack_add(&b, l, l + 100);
    assert_int_equal(tcp_sack_bytes(&b, 0, 1000), 400);
    assert_int_equal(tcp_sack_bytes(&b, 250, 650), 200);
    /* IsLost: more than 2 * mss SACKed above: the holes below 400. */
    assert_int_equal(tcp_sack_lost_edge(&b, 0, 100), 400);
    assert_int_equal(tcp_sack_lost_edge(&b, 0, 150), 200);
    assert_int_equal(tcp_sack_lost_edge(&b, 0, 200), 0);
    /* pipe: unSACKed and not lost [400, 1000) = 300, nothing resent. */
    assert_int_equal(tcp_sack_pipe(&b, 0, 1000, 0, 100), 300);
    /* [0, 200) resent: + 200 - the SACKed none = 500; to 350: + 100 more. */
    assert_int_equal(tcp_sack_pipe(&b, 0, 1000, 200, 100), 500);
    assert_int_equal(tcp_sack_pipe(&b, 0, 1000, 350, 100), 550);
    uint32_t seq, len;
    assert_true(tcp_sack_hole(&b, 0, 400, 100, &seq, &len));
    assert_int_equal(seq, 0);
    assert_int_equal(len, 100);
    assert_true(tcp_sack_hole(&b, 150, 400, 100, &seq, &len));
    assert_int_equal(seq, 150);
    assert_int_equal(len, 50); /* up to the SACKed 200 */
    assert_true(tcp_sack_hole(&b, 200, 400, 100, &seq, &len));
    assert_int_equal(seq, 300); /* 200 is SACKed: the next hole */
    assert_false(tcp_sack_hole(&b, 400, 400, 100, &seq, &len));
    assert_int_equal(tcp_sack_highest(&b, 0), 900);
    assert_true(tcp_sack_rescue(&b, 0, 1000, 100, &seq, &len));
    assert_int_equal(seq, 900);
    assert_int_equal(len, 100);
    assert_true(tcp_sack_rescue(&b, 0, 900, 100, &seq, &len)); /* the top SACKed: below it */
    assert_int_equal(seq, 700);
    assert_int_equal(len, 100);
    tcp_sack_clear(&b);
    tcp_sack_add(&b, 0, 1000);
    assert_false(tcp_sack_rescue(&b, 0, 1000, 100, &seq, &len));
}

/* SACK blocks outside [SND.UNA, SND.MAX], or empty, are counted and
 * ignored: a hostile peer cannot make the scoreboard hold data never sent
 * nor trigger a recovery with them. */
static void test_sack_hostile_blocks(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 65536, 65536, 3);
    open_pair(&n);
    n.cut[A] = true; /* A's data stays outstanding */
    static uint8_t buf[8000];
    tcp_cb_write(&n.cb[A], buf, sizeof(buf), n.now);
    struct tcp_cb *a = &n.cb[A];
    uint32_t una = a->snd_una, max = a->snd_max;
    assert_true(max - una > 4000);
    struct mira_tcp_hdr h = { .flags = MIRA_TCP_ACK, .seq = a->rcv_nxt, .ack = una };
    h.window = (uint16_t)(a->snd_wnd >> a->snd_wscale);
    h.opts.present = MIRA_TCP_HAS_SACK;
    h.opts.sack_count = 4;
    h.opts.sack[0] = (struct mira_tcp_sack_block){ max, max + 1000 };       /* never sent */
    h.opts.sack[1] = (struct mira_tcp_sack_block){ una - 1000, una + 10 };  /* below SND.UNA */
    h.opts.sack[2] = (struct mira_tcp_sack_block){ una + 3000, una + 3000 };/* empty */
    h.opts.sack[3] = (struct mira_tcp_sack_block){ max - 100, max + 1 };    /* past SND.MAX */
    for (int i = 0; i < 3; i++)
        inject_h(&n, A, h);
    assert_int_equal(a->stat_sack_ignored, 12);
    assert_int_equal(a->sacked.n, 0);
    assert_int_equal(a->stat_sack_recoveries, 0);
    /* A sound block is taken. */
    h.opts.sack_count = 1;
    h.opts.sack[0] = (struct mira_tcp_sack_block){ una + 2000, max };
    inject_h(&n, A, h);
    assert_int_equal(a->sacked.n, 1);
    assert_int_equal(a->stat_sack_ignored, 12);
    h_fini(&n);
}

/* Three segments lost from one window of a stream that goes on: SACK
 * recovery (RFC 6675) sends again exactly those three, once each, in one
 * recovery and without a timeout (new data keeps the pipe full, so no
 * rescue retransmission is due); without SACK, NewReno recovers the same
 * loss too. */
static void holes_case(bool sack, uint64_t *recoveries)
{
    struct h_net n;
    struct tcp_config c = cfg_default();
    c.sack = sack;
    h_init(&n, &c, 256 * 1024, 256 * 1024, 3);
    open_pair(&n);
    transfer(&n, 300000, 0, SEC(10)); /* opens the congestion window */
    struct tcp_cb *a = &n.cb[A];
    uint32_t s = a->snd_max, mss = a->snd_mss;
    uint32_t holes[3] = { s + 5 * mss, s + 12 * mss, s + 20 * mss };
    for (int i = 0; i < 3; i++)
        n.drop_seq[A][i] = holes[i];
    n.drop_seq_n[A] = 3;
    uint64_t rexmit = a->stat_rexmit;
    unsigned resent = n.resent_n[A];
    transfer(&n, 1000000, 0, SEC(20));
    assert_true(a->cwnd > 30 * mss); /* the holes were in one window */
    assert_int_equal(a->stat_rto, 0);
    assert_int_equal(n.resent_n[A] - resent, 3);
    assert_int_equal(a->stat_rexmit - rexmit, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(n.resent_seq[A][resent + i], holes[i]);
        assert_int_equal(n.resent_len[A][resent + i], mss);
    }
    *recoveries = a->stat_sack_recoveries;
    h_fini(&n);
}

static void test_sack_recovery_holes_only(void **state)
{
    (void)state;
    uint64_t rec;
    holes_case(true, &rec);
    assert_int_equal(rec, 1);
    holes_case(false, &rec);
    assert_int_equal(rec, 0);
}

/* Tail loss: of 20 segments the 4th and the last are lost.  The 4th is a
 * hole (16 segments SACKed above it); nothing is SACKed above the last,
 * so only RFC 6675's rescue retransmission sends it before a timeout. */
static void test_sack_rescue(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 256 * 1024, 256 * 1024, 3);
    open_pair(&n);
    transfer(&n, 300000, 0, SEC(10)); /* opens the congestion window */
    struct tcp_cb *a = &n.cb[A];
    uint32_t s = a->snd_max, mss = a->snd_mss;
    n.drop_seq[A][0] = s + 3 * mss;
    n.drop_seq[A][1] = s + 19 * mss;
    n.drop_seq_n[A] = 2;
    unsigned resent = n.resent_n[A];
    static uint8_t buf[20 * 1448];
    assert_int_equal(mss, 1448);
    assert_int_equal(tcp_cb_write(a, buf, sizeof(buf), n.now), sizeof(buf));
    assert_int_equal(a->snd_max, s + sizeof(buf)); /* all 20 sent at once */
    h_run(&n, n.now + SEC(10));
    assert_int_equal(a->snd_una, a->snd_max);
    assert_int_equal(a->stat_rto, 0);
    assert_int_equal(a->stat_sack_recoveries, 1);
    assert_int_equal(n.resent_n[A] - resent, 2);
    assert_int_equal(n.resent_seq[A][resent], s + 3 * mss);
    assert_int_equal(n.resent_seq[A][resent + 1], s + 19 * mss);
    h_fini(&n);
}

/* A window of three segments, the first lost: two duplicate ACKs only,
 * but limited transmit (RFC 3042) sends a new segment for each, their
 * ACKs make the third duplicate and the loss is resent without a
 * timeout. */
static void limited_case(bool sack)
{
    struct h_net n;
    struct tcp_config c = cfg_default();
    c.sack = sack;
    h_init(&n, &c, 65536, 65536, 3);
    open_pair(&n);
    struct tcp_cb *a = &n.cb[A];
    a->cwnd = a->ssthresh = 3u * a->snd_mss; /* as after earlier losses */
    n.drop_seq[A][0] = a->snd_max;
    n.drop_seq_n[A] = 1;
    static uint8_t buf[10 * 1448];
    assert_int_equal(tcp_cb_write(a, buf, sizeof(buf), n.now), sizeof(buf));
    assert_int_equal(a->snd_max - a->snd_una, 3u * a->snd_mss);
    h_run(&n, n.now + SEC(5));
    assert_int_equal(tcp_cb_readable(&n.cb[B]), sizeof(buf));
    assert_int_equal(a->stat_rto, 0);
    assert_int_equal(a->stat_fast_rexmit, 1);
    assert_int_equal(a->stat_rexmit, 1);
    h_fini(&n);
}

static void test_limited_transmit(void **state)
{
    (void)state;
    limited_case(true);
    limited_case(false);
}

/* A loss right at the recovery point, found once recovery is over: with
 * SACK a new recovery may start as soon as SND.UNA reaches the recovery
 * point (RFC 6675 5.1: HighACK >= RecoveryPoint), so no timeout. */
static void test_sack_recovery_at_recovery_point(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 256 * 1024, 256 * 1024, 3);
    open_pair(&n);
    transfer(&n, 300000, 0, SEC(10));
    struct tcp_cb *a = &n.cb[A];
    n.drop_seq[A][0] = a->snd_max + 5 * a->snd_mss;
    n.drop_seq_n[A] = 1;
    n.drop_at_recover[A] = true;
    transfer(&n, 1000000, 0, SEC(20));
    assert_false(n.drop_at_recover[A]); /* it was dropped */
    assert_int_equal(a->stat_sack_recoveries, 2);
    assert_int_equal(a->stat_rto, 0);
    h_fini(&n);
}

/* --- timestamps (RFC 7323) --- */

/* PAWS: a segment whose TSval is older than TS.Recent is dropped,
 * counted and answered with an ACK; TS.Recent follows only the segment
 * our last ACK asked for (4.3), so an out-of-order one is not echoed. */
static void test_paws(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 65536, 65536, 3);
    open_pair(&n);
    struct tcp_cb *b = &n.cb[B];
    assert_true(b->ts_ok);
    uint32_t v = b->ts_recent, r = b->rcv_nxt;
    static const uint8_t d[100];
    struct mira_tcp_hdr h = { .flags = MIRA_TCP_ACK, .seq = r, .ack = b->snd_nxt, .data = d,
                              .data_len = 100 };
    h.opts.present = MIRA_TCP_HAS_TS;
    h.opts.ts_val = v - 1000;
    h.opts.ts_ecr = 0;
    unsigned sent = n.sent[B];
    inject_h(&n, B, h);
    assert_int_equal(b->stat_paws_dropped, 1);
    assert_int_equal(tcp_cb_readable(b), 0);
    assert_int_equal(n.sent[B], sent + 1); /* the ACK */
    assert_int_equal(h_last(&n, B, 0)->ack, r);
    assert_int_equal(h_last(&n, B, 0)->opts.ts_ecr, v);
    /* Out of order with a newer TSval: ACKed at once, TS.Recent unmoved. */
    h.seq = r + 200;
    h.opts.ts_val = v + 50;
    inject_h(&n, B, h);
    assert_int_equal(b->ts_recent, v);
    assert_int_equal(h_last(&n, B, 0)->opts.ts_ecr, v);
    /* In order: taken, and its TSval becomes TS.Recent. */
    h.seq = r;
    h.opts.ts_val = v + 60;
    inject_h(&n, B, h);
    assert_int_equal(tcp_cb_readable(b), 100);
    assert_int_equal(b->ts_recent, v + 60);
    assert_int_equal(h_last(&n, B, 0)->opts.ts_ecr, v + 60);
    assert_int_equal(b->stat_paws_dropped, 1);
    /* A RST is never PAWS's (RFC 7323 5.3 R1). */
    h.flags = MIRA_TCP_RST;
    h.seq = b->rcv_nxt;
    h.data_len = 0;
    h.opts.ts_val = v - 5000;
    inject_h(&n, B, h);
    assert_int_equal(b->state, TCP_CLOSED);
    h_fini(&n);
}

/* RTT samples from TSecr (RFC 7323 4, RFC 6298): the handshake's, and one
 * from the ACK of a retransmission, which Karn's rule would have thrown
 * away; TSecr times our delayed ACK too (10 + 40 ms + 10 ms). */
static void test_ts_rtt(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 65536, 65536, 3);
    open_pair(&n);
    struct tcp_cb *a = &n.cb[A];
    assert_int_equal(a->stat_ts_rtt, 1);
    assert_int_equal(a->srtt, MS(20));
    n.drop_next[A] = true;
    tcp_cb_write(a, "x", 1, n.now);
    h_run(&n, n.now + SEC(5));
    assert_int_equal(a->stat_rto, 1);
    assert_int_equal(a->snd_una, a->snd_max);
    assert_int_equal(a->stat_ts_rtt, 2);
    /* The ACK echoed the retransmission's TSval. */
    assert_int_equal(h_last(&n, B, 0)->opts.ts_ecr, h_last(&n, A, 0)->opts.ts_val);
    assert_int_equal(a->srtt, (7 * MS(20) + MS(60)) / 8);
    assert_int_equal(a->rto, MS(200)); /* not backed off: a sample came */
    h_fini(&n);
}

/* After a timeout pulled SND.NXT back, a bare ACK still carries SND.MAX:
 * the peer may hold every byte up to there, and would refuse an ACK with
 * a sequence number behind its RCV.NXT (seen with both sides resending
 * at once under loss: neither took the other's ACKs, both gave up). */
static void test_ack_seq_after_timeout(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 65536, 65536, 3);
    open_pair(&n);
    struct tcp_cb *a = &n.cb[A];
    n.cut[A] = true;
    static uint8_t buf[3 * 1448];
    tcp_cb_write(a, buf, sizeof(buf), n.now);
    h_run(&n, n.now + MS(300)); /* one timeout: the first segment again */
    assert_int_equal(a->stat_rto, 1);
    assert_true(tcp_seq_lt(a->snd_nxt, a->snd_max));
    struct mira_tcp_hdr h = { .flags = MIRA_TCP_ACK | MIRA_TCP_PSH, .seq = a->rcv_nxt,
                              .ack = a->snd_una, .data = buf, .data_len = 10 };
    h.window = (uint16_t)(a->snd_wnd >> a->snd_wscale);
    inject_h(&n, A, h);
    h = (struct mira_tcp_hdr){ .flags = MIRA_TCP_ACK | MIRA_TCP_PSH, .seq = a->rcv_nxt,
                               .ack = a->snd_una, .data = buf, .data_len = 10 };
    h.window = (uint16_t)(a->snd_wnd >> a->snd_wscale);
    inject_h(&n, A, h); /* the second segment: ACKed at once */
    assert_int_equal(n.log_len[A][(n.sent[A] - 1) % H_LOG], 0);
    assert_int_equal(h_last(&n, A, 0)->seq, a->snd_max);
    h_fini(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake),
        cmocka_unit_test(test_handshake_no_options),
        cmocka_unit_test(test_ack_at_right_edge_taken),
        cmocka_unit_test(test_pure_ack_at_snd_max),
        cmocka_unit_test(test_simultaneous_open),
        cmocka_unit_test(test_listen_refuses_ack),
        cmocka_unit_test(test_transfer_lossless),
        cmocka_unit_test(test_transfer_lossy),
        cmocka_unit_test(test_fast_retransmit),
        cmocka_unit_test(test_congestion_control_used),
        cmocka_unit_test(test_delayed_ack),
        cmocka_unit_test(test_out_of_order_kept),
        cmocka_unit_test(test_rings_empty),
        cmocka_unit_test(test_orderly_close),
        cmocka_unit_test(test_time_wait_refin),
        cmocka_unit_test(test_simultaneous_close),
        cmocka_unit_test(test_close_unread_resets),
        cmocka_unit_test(test_rst_exact),
        cmocka_unit_test(test_rst_in_window_challenged),
        cmocka_unit_test(test_rst_out_of_window_ignored),
        cmocka_unit_test(test_syn_challenged),
        cmocka_unit_test(test_ack_out_of_range),
        cmocka_unit_test(test_syn_sent_rst),
        cmocka_unit_test(test_give_up),
        cmocka_unit_test(test_syn_give_up),
        cmocka_unit_test(test_karn),
        cmocka_unit_test(test_zero_window),
        cmocka_unit_test(test_zero_window_peer_vanishes),
        cmocka_unit_test(test_window_scale_large),
        cmocka_unit_test(test_sack_blocks),
        cmocka_unit_test(test_sack_scoreboard),
        cmocka_unit_test(test_sack_hostile_blocks),
        cmocka_unit_test(test_sack_recovery_holes_only),
        cmocka_unit_test(test_sack_rescue),
        cmocka_unit_test(test_limited_transmit),
        cmocka_unit_test(test_sack_recovery_at_recovery_point),
        cmocka_unit_test(test_paws),
        cmocka_unit_test(test_ts_rtt),
        cmocka_unit_test(test_ack_seq_after_timeout),
    };
    return cmocka_run_group_tests_name("tcpip-tcp-cb", tests, NULL, NULL);
}
