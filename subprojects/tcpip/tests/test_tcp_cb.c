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
        if (!h_step(n, end))
            fail_msg("transfer stalled at %llu/%llu and %llu/%llu bytes (A %s, B %s)",
                     (unsigned long long)rd[B], (unsigned long long)total_ab,
                     (unsigned long long)rd[A], (unsigned long long)total_ba,
                     tcp_state_name(n->cb[A].state), tcp_state_name(n->cb[B].state));
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
    assert_int_equal(n.cb[A].snd_mss, 1460);
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
 * duplicated and 10% reordered, both directions. */
static void test_transfer_lossy(void **state)
{
    (void)state;
    struct h_net n;
    struct tcp_config c = cfg_default();
    h_init(&n, &c, 64 * 1024, 64 * 1024, 12345);
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
    h_fini(&n);
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
        cmocka_unit_test(test_delayed_ack),
        cmocka_unit_test(test_out_of_order_kept),
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
    };
    return cmocka_run_group_tests_name("tcpip-tcp-cb", tests, NULL, NULL);
}
