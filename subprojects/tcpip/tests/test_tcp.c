/* test_tcp.c - TCP: Linux's SYN, SYN-ACK, data and FIN parsed (MSS,
 * SACK-permitted, timestamps, window scale) and rebuilt byte for byte;
 * SACK blocks; strict option and data-offset validation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <mira/byteorder.h>
#include <mira/tcpip/csum.h>
#include <mira/tcpip/tcp.h>
#include "vectors.h"

struct l4 {
    const uint8_t *p;
    size_t len;
    uint32_t src, dst;
};

static struct l4 l4(const uint8_t *frame)
{
    const uint8_t *ip = frame + 14;
    size_t ihl = (size_t)(ip[0] & 15) * 4;
    struct l4 r = {ip + ihl, mira_load_be16(ip + 2) - ihl, mira_load_be32(ip + 12), mira_load_be32(ip + 16)};
    return r;
}

static void test_linux_syn(void **state)
{
    (void)state;
    struct l4 s = l4(vec_tcp_syn);
    struct mira_tcp_hdr t;
    assert_int_equal(mira_tcp_parse(s.p, s.len, s.src, s.dst, &t, NULL), 40);
    assert_int_equal(t.dport, 7777);
    assert_int_equal(t.flags, MIRA_TCP_SYN);
    assert_int_equal(t.window, 64240);
    assert_int_equal(t.opts.present, MIRA_TCP_HAS_MSS | MIRA_TCP_HAS_SACK_PERM | MIRA_TCP_HAS_TS | MIRA_TCP_HAS_WSCALE);
    assert_int_equal(t.opts.mss, 1460);
    assert_int_equal(t.opts.wscale, 10);
    assert_int_equal(t.opts.ts_ecr, 0);
    assert_int_equal(t.data_len, 0);
}

/* Each Linux segment, rebuilt from its parsed header (and data), is the
 * same bytes: our option layout is Linux's. */
static void test_rebuild_linux_segments(void **state)
{
    (void)state;
    const uint8_t *vecs[] = {vec_tcp_syn, vec_tcp_synack, vec_tcp_ack, vec_tcp_data, vec_tcp_fin};
    for (size_t i = 0; i < 5; i++) {
        struct l4 s = l4(vecs[i]);
        struct mira_tcp_hdr t;
        int hlen = mira_tcp_parse(s.p, s.len, s.src, s.dst, &t, NULL);
        assert_true(hlen >= 20);
        assert_int_equal(mira_tcp_options_len(&t.opts), hlen - 20);
        uint8_t buf[128];
        memcpy(buf + hlen, t.data, t.data_len);
        assert_int_equal(mira_tcp_build(buf, sizeof(buf), &t, s.src, s.dst, t.data_len), hlen);
        assert_memory_equal(buf, s.p, s.len);
        if (vecs[i] == vec_tcp_data) {
            assert_int_equal(t.flags, MIRA_TCP_PSH | MIRA_TCP_ACK);
            assert_memory_equal(t.data, "hello from linux\n", 17);
            assert_int_equal(t.opts.present, MIRA_TCP_HAS_TS);
        }
    }
}

static void test_sack_blocks(void **state)
{
    (void)state;
    struct mira_tcp_hdr t = {.sport = 1, .dport = 2, .seq = 100, .ack = 200, .flags = MIRA_TCP_ACK, .window = 9};
    t.opts.present = MIRA_TCP_HAS_SACK | MIRA_TCP_HAS_TS;
    t.opts.ts_val = 11;
    t.opts.ts_ecr = 12;
    for (int n = 1; n <= 4; n++) {
        t.opts.sack_count = (uint8_t)n;
        for (int b = 0; b < n; b++) {
            t.opts.sack[b].left = 1000u * (uint32_t)b + 1;
            t.opts.sack[b].right = 1000u * (uint32_t)b + 500;
        }
        uint8_t buf[64];
        int hlen = mira_tcp_build(buf, sizeof(buf), &t, 1, 2, 0);
        if (n == 4) { /* 4 blocks and timestamps: 46 bytes of options */
            assert_int_equal(hlen, MIRA_EINVAL);
            t.opts.present = MIRA_TCP_HAS_SACK;
            hlen = mira_tcp_build(buf, sizeof(buf), &t, 1, 2, 0);
        }
        assert_true(hlen > 20);
        struct mira_tcp_hdr u;
        assert_int_equal(mira_tcp_parse(buf, (size_t)hlen, 1, 2, &u, NULL), hlen);
        assert_int_equal(u.opts.sack_count, n);
        assert_memory_equal(u.opts.sack, t.opts.sack, sizeof(t.opts.sack[0]) * (size_t)n);
        assert_int_equal(u.opts.present, t.opts.present);
    }
}

/* Parses options alone; returns the result and why. */
static int opts(const uint8_t *p, size_t n, struct mira_tcp_opts *o, enum mira_tcpip_drop *why)
{
    *why = MIRA_DROP_NONE;
    return mira_tcp_parse_options(p, n, o, why);
}

static void test_option_rules(void **state)
{
    (void)state;
    struct mira_tcp_opts o;
    enum mira_tcpip_drop why;
    /* NOPs, an unknown option, EOL and junk after it */
    const uint8_t a[] = {1, 1, 99, 4, 0xde, 0xad, 2, 4, 0x05, 0xb4, 0, 7, 7, 7};
    assert_int_equal(opts(a, sizeof(a), &o, &why), 0);
    assert_int_equal(o.present, MIRA_TCP_HAS_MSS);
    assert_int_equal(o.mss, 1460);
    /* window scale above 14 is 14 */
    const uint8_t ws[] = {3, 3, 200, 0};
    assert_int_equal(opts(ws, sizeof(ws), &o, &why), 0);
    assert_int_equal(o.wscale, 14);
    /* a kind without its length byte, a length of 0 or 1, past the end */
    const uint8_t o1[] = {1, 1, 1, 8};
    assert_int_equal(opts(o1, sizeof(o1), &o, &why), MIRA_ECORRUPT);
    assert_int_equal(why, MIRA_DROP_TCP_OPT_OVERRUN);
    const uint8_t o2[] = {99, 0, 1, 1};
    assert_int_equal(opts(o2, sizeof(o2), &o, &why), MIRA_ECORRUPT);
    assert_int_equal(why, MIRA_DROP_TCP_OPT_OVERRUN);
    const uint8_t o3[] = {99, 1, 1, 1};
    assert_int_equal(opts(o3, sizeof(o3), &o, &why), MIRA_ECORRUPT);
    assert_int_equal(why, MIRA_DROP_TCP_OPT_OVERRUN);
    const uint8_t o4[] = {1, 8, 10, 0, 0, 0, 0, 0}; /* timestamps cut at 7 */
    assert_int_equal(opts(o4, sizeof(o4), &o, &why), MIRA_ECORRUPT);
    assert_int_equal(why, MIRA_DROP_TCP_OPT_OVERRUN);
    /* known kinds with wrong lengths */
    const uint8_t l[][12] = {
        {2, 3, 5, 0},           /* MSS 3 */
        {2, 5, 5, 0, 0, 0},     /* MSS 5 */
        {3, 4, 7, 0},           /* window scale 4 */
        {4, 3, 0, 0},           /* SACK-permitted 3 */
        {5, 2, 0, 0},           /* SACK without blocks */
        {5, 9, 0, 0, 0, 0, 0, 0, 0, 0}, /* SACK not 2 + 8n */
        {8, 8, 0, 0, 0, 0, 0, 0}, /* timestamps 8 */
    };
    for (size_t i = 0; i < sizeof(l) / sizeof(l[0]); i++) {
        assert_int_equal(opts(l[i], sizeof(l[i]), &o, &why), MIRA_ECORRUPT);
        assert_int_equal(why, MIRA_DROP_TCP_OPT_LENGTH);
    }
    /* 5 SACK blocks (42 bytes) cannot fit 40, but the length rule alone
     * refuses them */
    uint8_t s5[42] = {5, 42};
    assert_int_equal(opts(s5, sizeof(s5), &o, &why), MIRA_ECORRUPT);
    assert_int_equal(why, MIRA_DROP_TCP_OPT_LENGTH);
}

static void refresh(uint8_t *p, size_t len, uint32_t src, uint32_t dst)
{
    mira_store_be16(p + 16, 0);
    uint32_t s = mira_csum_pseudo_ipv4(src, dst, 6, (uint16_t)len);
    mira_store_be16(p + 16, mira_csum_finish(mira_csum_partial(p, len, s)));
}

static void check_drop(const uint8_t *p, size_t len, uint32_t src, uint32_t dst, enum mira_tcpip_drop reason)
{
    struct mira_tcp_hdr t, before;
    memset(&t, 0x5a, sizeof(t));
    before = t;
    enum mira_tcpip_drop why = MIRA_DROP_NONE;
    assert_int_equal(mira_tcp_parse(p, len, src, dst, &t, &why), MIRA_ECORRUPT);
    assert_int_equal(why, reason);
    assert_memory_equal(&t, &before, sizeof(t));
}

static void test_malformed_segments(void **state)
{
    (void)state;
    struct l4 s = l4(vec_tcp_syn); /* 40 bytes, data offset 10 */
    uint8_t b[64];
    for (size_t k = 0; k < 20; k++)
        check_drop(s.p, k, s.src, s.dst, MIRA_DROP_TCP_SHORT);
    /* data offset below 5, and past the segment */
    for (int doff = 0; doff < 16; doff++) {
        memcpy(b, s.p, s.len);
        b[12] = (uint8_t)(doff << 4);
        refresh(b, s.len, s.src, s.dst);
        if (doff < 5 || doff > 10) {
            check_drop(b, s.len, s.src, s.dst, MIRA_DROP_TCP_DATA_OFFSET);
        } else {
            /* 5..9 cut the options short or in the middle of one */
            struct mira_tcp_hdr t;
            int r = mira_tcp_parse(b, s.len, s.src, s.dst, &t, NULL);
            assert_true(r == doff * 4 || r == MIRA_ECORRUPT);
        }
    }
    /* the SYN's header cut at 36 bytes: data offset 10 still */
    memcpy(b, s.p, s.len);
    refresh(b, 36, s.src, s.dst);
    check_drop(b, 36, s.src, s.dst, MIRA_DROP_TCP_DATA_OFFSET);
    /* checksum: any flipped bit, and another pseudo-header */
    for (size_t bit = 0; bit < s.len * 8; bit += 3) {
        memcpy(b, s.p, s.len);
        if (bit / 8 == 12)
            continue; /* data offset: checked first */
        b[bit / 8] ^= (uint8_t)(1 << (bit % 8));
        check_drop(b, s.len, s.src, s.dst, MIRA_DROP_TCP_CHECKSUM);
    }
    check_drop(s.p, s.len, s.src + 1, s.dst, MIRA_DROP_TCP_CHECKSUM);
    /* an option overrun inside a header with a good checksum */
    memcpy(b, s.p, s.len);
    b[20 + 1] = 30; /* MSS length 30: past the 20 option bytes */
    refresh(b, s.len, s.src, s.dst);
    check_drop(b, s.len, s.src, s.dst, MIRA_DROP_TCP_OPT_OVERRUN);
    b[20 + 1] = 6;
    refresh(b, s.len, s.src, s.dst);
    check_drop(b, s.len, s.src, s.dst, MIRA_DROP_TCP_OPT_LENGTH);
}

static void test_build_refuses(void **state)
{
    (void)state;
    struct mira_tcp_hdr t = {.flags = MIRA_TCP_SYN};
    uint8_t buf[80];
    t.opts.present = MIRA_TCP_HAS_SACK;
    t.opts.sack_count = 0;
    assert_int_equal(mira_tcp_build(buf, sizeof(buf), &t, 1, 2, 0), MIRA_EINVAL);
    t.opts.sack_count = 5;
    assert_int_equal(mira_tcp_build(buf, sizeof(buf), &t, 1, 2, 0), MIRA_EINVAL);
    t.opts.present = MIRA_TCP_HAS_WSCALE;
    t.opts.wscale = 15;
    assert_int_equal(mira_tcp_build(buf, sizeof(buf), &t, 1, 2, 0), MIRA_EINVAL);
    t.opts.wscale = 14;
    assert_int_equal(mira_tcp_build(buf, sizeof(buf), &t, 1, 2, 0), 24);
    assert_int_equal(mira_tcp_build(buf, 23, &t, 1, 2, 0), MIRA_ENOMEM);
    assert_int_equal(mira_tcp_build(buf, 30, &t, 1, 2, 7), MIRA_ENOMEM);
    assert_int_equal(mira_tcp_build(buf, sizeof(buf), &t, 1, 2, 65515 - 23), MIRA_EINVAL);
    assert_int_equal(mira_tcp_build_options(buf, 3, &t.opts), MIRA_ENOMEM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linux_syn),
        cmocka_unit_test(test_rebuild_linux_segments),
        cmocka_unit_test(test_sack_blocks),
        cmocka_unit_test(test_option_rules),
        cmocka_unit_test(test_malformed_segments),
        cmocka_unit_test(test_build_refuses),
    };
    return cmocka_run_group_tests_name("tcpip-tcp", tests, NULL, NULL);
}
