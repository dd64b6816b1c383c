/* test_tcp_offload.c - the control block's parts for a fast device
 * (tcp_cb.h): TSO segments of whole MSS multiples up to seg_max, in-order
 * data copied straight into a waiting reader's buffer, the receive ring
 * growing (auto-tuning) with what it holds, out-of-order bytes too, the
 * send ring growing with what is unacknowledged, and one ACK per coalesced
 * segment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../src/tcp_cb.h"

#define MSS 1460u
#define PEER_ISS 5000u

/* What the control block sent. */
static struct {
    unsigned n;
    struct mira_tcp_hdr h[64];
    uint32_t len[64];
} out;

static void record(void *ctx, struct tcp_cb *cb, const struct mira_tcp_hdr *h, uint32_t off,
                   uint32_t len)
{
    (void)ctx;
    if (off + len > cb->snd.len)
        fail_msg("sent bytes the ring does not hold");
    if (out.n < 64) {
        out.h[out.n] = *h;
        out.len[out.n] = len;
    }
    out.n++;
}

static uint8_t sndbuf[1 << 20], rcvbuf[1 << 16];
static uint32_t snd_cap = sizeof(sndbuf); /* the send ring establish() gives */

/* An established connection (we connected) whose peer offers a large
 * window; cfg as given. */
static void establish(struct tcp_cb *cb, const struct tcp_config *cfg, uint32_t rcvcap)
{
    tcp_cb_init(cb, cfg, 40000, 80, sndbuf, snd_cap, rcvbuf, rcvcap, record, NULL);
    tcp_cb_connect(cb, 1000, MIRA_SECONDS(1));
    struct mira_tcp_hdr synack = { .sport = 80, .dport = 40000, .seq = PEER_ISS, .ack = 1001,
                                   .flags = MIRA_TCP_SYN | MIRA_TCP_ACK, .window = 65535 };
    synack.opts.present = MIRA_TCP_HAS_MSS | MIRA_TCP_HAS_WSCALE;
    synack.opts.mss = MSS;
    synack.opts.wscale = 7;
    tcp_cb_input(cb, &synack, MIRA_SECONDS(1));
    assert_int_equal(cb->state, TCP_ESTABLISHED);
    out.n = 0;
}

/* A segment from the peer with len bytes of data at seq. */
static void peer_data(struct tcp_cb *cb, uint32_t seq, const uint8_t *data, uint32_t len)
{
    struct mira_tcp_hdr h = { .sport = 80, .dport = 40000, .seq = seq, .ack = cb->snd_una,
                              .flags = MIRA_TCP_ACK, .window = 65535, .data = data,
                              .data_len = len };
    assert_int_equal(tcp_cb_input(cb, &h, MIRA_SECONDS(2)), TCP_IN_DONE);
}

static struct tcp_config config(uint32_t seg_max, uint32_t rcvbuf_max)
{
    struct tcp_config cfg;
    tcp_config_default(&cfg);
    cfg.nodelay = true;
    cfg.seg_max = seg_max;
    cfg.rcvbuf_max = rcvbuf_max;
    return cfg;
}

/* The initial window (10 MSS) goes as one TSO segment, not ten. */
static void test_tso_one_segment(void **state)
{
    (void)state;
    struct tcp_cb cb;
    struct tcp_config cfg = config(65455, 0);
    establish(&cb, &cfg, 65536);
    static uint8_t data[200000];
    assert_int_equal(tcp_cb_write(&cb, data, sizeof(data), MIRA_SECONDS(2)), sizeof(data));
    assert_int_equal(out.n, 1);
    assert_int_equal(out.len[0], 10 * MSS);
    assert_int_equal(cb.snd_nxt - cb.snd_una, 10 * MSS);
}

/* Without seg_max: ten segments of one MSS. */
static void test_no_tso(void **state)
{
    (void)state;
    struct tcp_cb cb;
    struct tcp_config cfg = config(0, 0);
    establish(&cb, &cfg, 65536);
    static uint8_t data[200000];
    tcp_cb_write(&cb, data, sizeof(data), MIRA_SECONDS(2));
    assert_int_equal(out.n, 10);
    for (unsigned i = 0; i < 10; i++)
        assert_int_equal(out.len[i], MSS);
}

/* A TSO segment is never longer than seg_max (in MSS multiples), and a
 * window that is not an MSS multiple leaves the short rest for later;
 * what is queued goes whole (its tail short) when the window allows. */
static void test_tso_bounds(void **state)
{
    (void)state;
    struct tcp_cb cb;
    struct tcp_config cfg = config(65455, 0);
    establish(&cb, &cfg, 65536);
    /* A window of 3.5 MSS: 3 MSS go, the half waits (no short segment in
     * the middle of the stream). */
    cb.cwnd = 3 * MSS + 700;
    static uint8_t data[150000];
    tcp_cb_write(&cb, data, sizeof(data), MIRA_SECONDS(2));
    assert_int_equal(out.n, 1);
    assert_int_equal(out.len[0], 3 * MSS);
    /* A wide congestion window: the peer's 65535 bytes, in MSS multiples
     * no longer than seg_max's. */
    cb.cwnd = 200000;
    out.n = 0;
    struct mira_tcp_hdr upd = { .sport = 80, .dport = 40000, .seq = PEER_ISS + 1,
                                .ack = cb.snd_una, .flags = MIRA_TCP_ACK, .window = 65535 >> 7 };
    tcp_cb_input(&cb, &upd, MIRA_SECONDS(2));
    cb.snd_wnd = 65535;
    tcp_cb_write(&cb, data, 0, MIRA_SECONDS(2));
    assert_true(out.n >= 1);
    uint32_t most = 65455 - 65455 % MSS;
    for (unsigned i = 0; i < out.n && i < 64; i++) {
        assert_true(out.len[i] <= most);
        assert_int_equal(out.len[i] % MSS, 0);
    }
    /* Everything ACKed, a wide window: the last 150000 - sent bytes go in
     * segments of `most`, then one short tail. */
    struct mira_tcp_hdr ack = { .sport = 80, .dport = 40000, .seq = PEER_ISS + 1,
                                .ack = cb.snd_nxt, .flags = MIRA_TCP_ACK, .window = 4096 };
    out.n = 0;
    uint32_t left = sizeof(data) - (cb.snd_nxt - 1001);
    tcp_cb_input(&cb, &ack, MIRA_SECONDS(3));
    uint32_t sum = 0;
    for (unsigned i = 0; i < out.n; i++) {
        sum += out.len[i];
        if (i + 1 < out.n)
            assert_int_equal(out.len[i], most);
    }
    assert_int_equal(sum, left);
    assert_true(out.len[out.n - 1] % MSS != 0);
}

/* In-order data while a reader waits and nothing is unread: straight into
 * its buffer, the rest into the ring; later data behind unread bytes goes
 * to the ring, in order. */
static void test_direct_reader(void **state)
{
    (void)state;
    struct tcp_cb cb;
    struct tcp_config cfg = config(0, 0);
    establish(&cb, &cfg, 65536);
    uint8_t seg[300], buf[100], rest[400];
    for (unsigned i = 0; i < sizeof(seg); i++)
        seg[i] = (uint8_t)i;
    tcp_cb_reader(&cb, buf, sizeof(buf));
    peer_data(&cb, PEER_ISS + 1, seg, sizeof(seg));
    assert_int_equal(cb.rd_done, 100);
    assert_memory_equal(buf, seg, 100);
    assert_int_equal(tcp_cb_readable(&cb), 200);
    assert_int_equal(cb.rcv_nxt, PEER_ISS + 1 + 300);
    /* The reader is still there but bytes are unread: the ring takes it. */
    cb.rd_done = 0;
    peer_data(&cb, PEER_ISS + 301, seg, 100);
    assert_int_equal(cb.rd_done, 0);
    tcp_cb_reader(&cb, NULL, 0);
    assert_int_equal(tcp_cb_read(&cb, rest, sizeof(rest), MIRA_SECONDS(3)), 300);
    assert_memory_equal(rest, seg + 100, 200);
    assert_memory_equal(rest + 200, seg, 100);
    assert_null(tcp_cb_check(&cb));
}

/* Out-of-order bytes held: the reader's buffer is not used (the data
 * fills a hole, and bytes beyond it follow in the ring). */
static void test_direct_reader_not_past_a_hole(void **state)
{
    (void)state;
    struct tcp_cb cb;
    struct tcp_config cfg = config(0, 0);
    establish(&cb, &cfg, 65536);
    uint8_t seg[200], buf[1000], got[1000];
    for (unsigned i = 0; i < sizeof(seg); i++)
        seg[i] = (uint8_t)(i * 7);
    peer_data(&cb, PEER_ISS + 1 + 100, seg + 100, 100);
    tcp_cb_reader(&cb, buf, sizeof(buf));
    peer_data(&cb, PEER_ISS + 1, seg, 100);
    assert_int_equal(cb.rd_done, 0);
    tcp_cb_reader(&cb, NULL, 0);
    assert_int_equal(tcp_cb_read(&cb, got, sizeof(got), MIRA_SECONDS(3)), 200);
    assert_memory_equal(got, seg, 200);
}

/* The window scale is chosen for the largest the ring may grow to; a
 * grown ring keeps unread and out-of-order bytes where they belong, and
 * the window offered then covers the larger ring. */
static void test_rcv_grow(void **state)
{
    (void)state;
    struct tcp_cb cb;
    struct tcp_config cfg = config(0, 1u << 20);
    establish(&cb, &cfg, 4096);
    assert_int_equal(cb.rcv_wscale, 5); /* 65535 << 5 >= 1 MiB */
    static uint8_t seg[3000];
    for (unsigned i = 0; i < sizeof(seg); i++)
        seg[i] = (uint8_t)(i * 13 + 1);
    /* Move the ring's head off 0 first: 1000 bytes in, read. */
    uint8_t junk[1000];
    peer_data(&cb, PEER_ISS + 1, seg, 1000);
    assert_int_equal(tcp_cb_read(&cb, junk, sizeof(junk), MIRA_SECONDS(2)), 1000);
    uint32_t base = PEER_ISS + 1001;
    peer_data(&cb, base, seg, 1500);              /* unread, wrapping the ring */
    peer_data(&cb, base + 2000, seg + 2000, 1000); /* out of order */
    static uint8_t bigger[16384];
    tcp_cb_rcv_grow(&cb, bigger, sizeof(bigger));
    assert_null(tcp_cb_check(&cb));
    peer_data(&cb, base + 1500, seg + 1500, 500);  /* the hole */
    assert_int_equal(tcp_cb_readable(&cb), 3000);
    uint8_t got[3000];
    assert_int_equal(tcp_cb_read(&cb, got, sizeof(got), MIRA_SECONDS(3)), 3000);
    assert_memory_equal(got, seg, 3000);
    /* The next ACK offers the larger ring. */
    out.n = 0;
    peer_data(&cb, base + 3000, seg, 10);
    cb.ack_now = true;
    tcp_cb_timer(&cb, MIRA_SECONDS(4));
    assert_true(out.n >= 1);
    const struct mira_tcp_hdr *last = &out.h[(out.n - 1) % 64];
    assert_true(((uint32_t)last->window << cb.rcv_wscale) > 4096);
}

/* A coalesced segment fed in pieces (more_follows on all but the last) is
 * acknowledged once, after its last piece; without the flag every second
 * piece would be. */
static void test_coalesced_one_ack(void **state)
{
    (void)state;
    struct tcp_cb cb;
    struct tcp_config cfg = config(0, 0);
    establish(&cb, &cfg, 65536);
    static uint8_t seg[4000];
    cb.more_follows = true;
    for (unsigned i = 0; i < 3; i++)
        peer_data(&cb, PEER_ISS + 1 + 1000 * i, seg, 1000);
    assert_int_equal(out.n, 0);
    cb.more_follows = false;
    peer_data(&cb, PEER_ISS + 3001, seg, 1000);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.h[0].ack, PEER_ISS + 4001);
    /* Plain segments: the second one is ACKed at once. */
    out.n = 0;
    peer_data(&cb, PEER_ISS + 4001, seg, 1000);
    assert_int_equal(out.n, 0);
    peer_data(&cb, PEER_ISS + 5001, seg, 1000);
    assert_int_equal(out.n, 1);
}

/* A grown send ring keeps every byte from SND.UNA on, a wrapped ring
 * too, and takes more: what goes out after is the same stream. */
static void test_snd_grow(void **state)
{
    (void)state;
    struct tcp_cb cb;
    struct tcp_config cfg = config(0, 0);
    snd_cap = 8192;
    establish(&cb, &cfg, 65536);
    snd_cap = sizeof(sndbuf);
    static uint8_t data[20000];
    for (unsigned i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 31 + 7);
    assert_int_equal(tcp_cb_write(&cb, data, 6000, MIRA_SECONDS(2)), 6000);
    struct mira_tcp_hdr ack = { .sport = 80, .dport = 40000, .seq = PEER_ISS + 1,
                                .ack = 1001 + 5000, .flags = MIRA_TCP_ACK, .window = 65535 };
    tcp_cb_input(&cb, &ack, MIRA_SECONDS(2));
    /* 1000 unacknowledged bytes at offset 5000: 7192 more wrap the ring. */
    assert_int_equal(tcp_cb_write(&cb, data + 6000, 10000, MIRA_SECONDS(2)), 7192);
    assert_int_equal(tcp_cb_send_space(&cb), 0);
    static uint8_t bigger[32768];
    tcp_cb_snd_grow(&cb, bigger, sizeof(bigger));
    assert_int_equal(cb.snd.len, 8192);
    assert_int_equal(tcp_cb_send_space(&cb), 32768 - 8192);
    assert_null(tcp_cb_check(&cb));
    assert_int_equal(tcp_cb_write(&cb, data + 13192, 6808, MIRA_SECONDS(2)), 6808);
    uint8_t got[15000];
    tcp_ring_copy_out(&cb.snd, 0, got, 15000);
    assert_memory_equal(got, data + 5000, 15000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tso_one_segment),
        cmocka_unit_test(test_no_tso),
        cmocka_unit_test(test_tso_bounds),
        cmocka_unit_test(test_direct_reader),
        cmocka_unit_test(test_direct_reader_not_past_a_hole),
        cmocka_unit_test(test_rcv_grow),
        cmocka_unit_test(test_coalesced_one_ack),
        cmocka_unit_test(test_snd_grow),
    };
    return cmocka_run_group_tests_name("tcpip-tcp-offload", tests, NULL, NULL);
}
