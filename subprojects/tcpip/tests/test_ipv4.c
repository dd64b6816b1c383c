/* test_ipv4.c - IPv4 header parse, validation (each check with its drop
 * reason), build against Linux's own headers, options skipped, TTL
 * decrement with the incremental checksum. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <mira/byteorder.h>
#include <mira/tcpip/csum.h>
#include <mira/tcpip/ipv4.h>
#include "vectors.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static void refresh_checksum(uint8_t *p)
{
    size_t hlen = (size_t)(p[0] & 15) * 4;
    mira_store_be16(p + 10, 0);
    mira_store_be16(p + 10, mira_csum_finish(mira_csum_partial(p, hlen, 0)));
}

static void check_drop(const uint8_t *p, size_t len, enum mira_tcpip_drop reason)
{
    struct mira_ipv4_hdr h, before;
    memset(&h, 0x5a, sizeof(h));
    before = h;
    enum mira_tcpip_drop why = MIRA_DROP_NONE;
    assert_int_equal(mira_ipv4_hdr_parse(p, len, &h, &why), MIRA_ECORRUPT);
    assert_int_equal(why, reason);
    assert_memory_equal(&h, &before, sizeof(h));
}

static void test_real_datagrams(void **state)
{
    (void)state;
    struct mira_ipv4_hdr h;
    const uint8_t *ip = vec_tcp_syn + 14;
    assert_int_equal(mira_ipv4_hdr_parse(ip, sizeof(vec_tcp_syn) - 14, &h, NULL), 20);
    assert_int_equal(h.proto, MIRA_IPV4_PROTO_TCP);
    assert_int_equal(h.src, IP(10, 99, 0, 1));
    assert_int_equal(h.dst, IP(10, 99, 0, 2));
    assert_int_equal(h.total_len, 60);
    assert_true(h.df);
    assert_false(mira_ipv4_is_fragment(&h));
    assert_int_equal(mira_ipv4_payload_len(&h), 40);
    assert_null(h.options);

    /* Linux's fragments of a 3008-byte echo request */
    assert_int_equal(mira_ipv4_hdr_parse(vec_frag1 + 14, sizeof(vec_frag1) - 14, &h, NULL), 20);
    assert_true(h.mf);
    assert_int_equal(h.frag_off, 0);
    assert_true(mira_ipv4_is_fragment(&h));
    uint16_t id = h.id;
    assert_int_equal(mira_ipv4_hdr_parse(vec_frag2 + 14, sizeof(vec_frag2) - 14, &h, NULL), 20);
    assert_true(h.mf);
    assert_int_equal(h.frag_off, 1480);
    assert_int_equal(h.id, id);
    assert_int_equal(mira_ipv4_hdr_parse(vec_frag3 + 14, sizeof(vec_frag3) - 14, &h, NULL), 20);
    assert_false(h.mf);
    assert_int_equal(h.frag_off, 2960);
    assert_int_equal(mira_ipv4_payload_len(&h), 3008 - 2960);
}

/* A tiny datagram arrives padded to Ethernet's 60 bytes: the padding is
 * not payload. */
static void test_padding_ignored(void **state)
{
    (void)state;
    uint8_t p[46] = {0};
    struct mira_ipv4_hdr h = {.hdr_len = 20, .ttl = 64, .proto = 253, .src = 1, .dst = 2};
    assert_int_equal(mira_ipv4_build(p, sizeof(p), &h, 4), 20);
    memset(p + 24, 0xee, sizeof(p) - 24);
    struct mira_ipv4_hdr g;
    assert_int_equal(mira_ipv4_hdr_parse(p, sizeof(p), &g, NULL), 20);
    assert_int_equal(g.total_len, 24);
    assert_int_equal(mira_ipv4_payload_len(&g), 4);
}

static void test_build_matches_linux(void **state)
{
    (void)state;
    const uint8_t *vecs[] = {vec_tcp_syn, vec_icmp_echo_reply, vec_frag2, vec_udp_closed_port, vec_dhcp_offer};
    for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
        const uint8_t *ip = vecs[i] + 14;
        struct mira_ipv4_hdr h;
        uint8_t buf[20];
        assert_int_equal(mira_ipv4_hdr_parse(ip, 1500, &h, NULL), 20);
        assert_int_equal(mira_ipv4_build(buf, sizeof(buf), &h, mira_ipv4_payload_len(&h)), 20);
        assert_memory_equal(buf, ip, 20);
    }
}

static void test_options_skipped(void **state)
{
    (void)state;
    /* IHL 15 with junk options that look like lengths running far out */
    uint8_t p[60 + 4];
    uint8_t opts[40];
    memset(opts, 0xff, sizeof(opts));
    opts[0] = 0x07; /* record route, length 255 */
    struct mira_ipv4_hdr h = {.hdr_len = 60, .ttl = 1, .proto = 17, .src = 5, .dst = 6, .options = opts};
    assert_int_equal(mira_ipv4_build(p, 59, &h, 4), MIRA_ENOMEM);
    assert_int_equal(mira_ipv4_build(p, sizeof(p), &h, 4), 60);
    struct mira_ipv4_hdr g;
    assert_int_equal(mira_ipv4_hdr_parse(p, sizeof(p), &g, NULL), 60);
    assert_ptr_equal(g.options, p + 20);
    assert_memory_equal(g.options, opts, 40);
    assert_int_equal(mira_ipv4_payload_len(&g), 4);
    /* options in place (built over themselves) */
    struct mira_ipv4_hdr again = g;
    assert_int_equal(mira_ipv4_build(p, sizeof(p), &again, 4), 60);
    assert_memory_equal(p + 20, opts, 40);
}

static void test_malformed(void **state)
{
    (void)state;
    uint8_t p[100];
    const uint8_t *ip = vec_udp_closed_port + 14; /* 43 bytes */
    size_t n = 43;
    memcpy(p, ip, n);
    struct mira_ipv4_hdr h;
    assert_int_equal(mira_ipv4_hdr_parse(p, n, &h, NULL), 20);

    for (size_t k = 0; k < 20; k++)
        check_drop(p, k, MIRA_DROP_IPV4_SHORT);
    p[0] = 0x65;
    check_drop(p, n, MIRA_DROP_IPV4_VERSION);
    for (int ihl = 0; ihl < 5; ihl++) {
        p[0] = (uint8_t)(0x40 | ihl);
        check_drop(p, n, MIRA_DROP_IPV4_IHL);
    }
    /* IHL past the buffer: 15 * 4 = 60 > 43 */
    p[0] = 0x4f;
    check_drop(p, n, MIRA_DROP_IPV4_IHL);
    /* total length past the buffer (truncated), and below the header */
    memcpy(p, ip, n);
    check_drop(p, n - 1, MIRA_DROP_IPV4_TOTAL_LENGTH);
    mira_store_be16(p + 2, 19);
    refresh_checksum(p);
    check_drop(p, n, MIRA_DROP_IPV4_TOTAL_LENGTH);
    /* IHL 6 and total length 23: the header is longer than the datagram */
    memcpy(p, ip, n);
    p[0] = 0x46;
    mira_store_be16(p + 2, 23);
    refresh_checksum(p);
    check_drop(p, n, MIRA_DROP_IPV4_TOTAL_LENGTH);
    /* any single bit flipped in the header fails the checksum */
    for (int bit = 0; bit < 160; bit++) {
        memcpy(p, ip, n);
        if (bit >= 16 && bit < 32)
            continue; /* the total length is checked before */
        if (bit < 8)
            continue; /* version/IHL likewise */
        p[bit / 8] ^= (uint8_t)(1 << (bit % 8));
        check_drop(p, n, MIRA_DROP_IPV4_CHECKSUM);
    }
    memcpy(p, ip, n);
    p[6] |= 0x80;
    refresh_checksum(p);
    check_drop(p, n, MIRA_DROP_IPV4_RESERVED_FLAG);
    /* offset 65528 + 23 bytes passes 65535 */
    memcpy(p, ip, n);
    mira_store_be16(p + 6, 0x1fff);
    refresh_checksum(p);
    check_drop(p, n, MIRA_DROP_IPV4_FRAG_TOO_BIG);
    /* the largest offset that fits: 65504 + 20 + 11 = 65535 */
    mira_store_be16(p + 6, 65504 / 8);
    mira_store_be16(p + 2, 20 + 11);
    refresh_checksum(p);
    assert_int_equal(mira_ipv4_hdr_parse(p, n, &h, NULL), 20);
    assert_int_equal(h.frag_off, 65504);
    mira_store_be16(p + 2, 20 + 12);
    refresh_checksum(p);
    check_drop(p, n, MIRA_DROP_IPV4_FRAG_TOO_BIG);
}

static void test_build_refuses(void **state)
{
    (void)state;
    uint8_t p[60];
    struct mira_ipv4_hdr h = {.hdr_len = 20, .ttl = 64, .proto = 6};
    assert_int_equal(mira_ipv4_build(p, sizeof(p), &h, 65515), 20);
    assert_int_equal(mira_ipv4_build(p, sizeof(p), &h, 65516), MIRA_EINVAL);
    h.frag_off = 12;
    assert_int_equal(mira_ipv4_build(p, sizeof(p), &h, 8), MIRA_EINVAL);
    h.frag_off = 0;
    h.hdr_len = 22;
    assert_int_equal(mira_ipv4_build(p, sizeof(p), &h, 8), MIRA_EINVAL);
    h.hdr_len = 24; /* options NULL */
    assert_int_equal(mira_ipv4_build(p, sizeof(p), &h, 8), MIRA_EINVAL);
    h.hdr_len = 16;
    assert_int_equal(mira_ipv4_build(p, sizeof(p), &h, 8), MIRA_EINVAL);
    h.hdr_len = 64;
    assert_int_equal(mira_ipv4_build(p, sizeof(p), &h, 8), MIRA_EINVAL);
}

static void test_decrement_ttl(void **state)
{
    (void)state;
    uint8_t p[20];
    memcpy(p, vec_tcp_syn + 14, 20);
    for (int i = 0; i < 64; i++) {
        mira_ipv4_decrement_ttl(p);
        assert_int_equal(mira_csum_finish(mira_csum_partial(p, 20, 0)), 0);
        assert_int_equal(p[8], 63 - i);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_datagrams),
        cmocka_unit_test(test_padding_ignored),
        cmocka_unit_test(test_build_matches_linux),
        cmocka_unit_test(test_options_skipped),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_build_refuses),
        cmocka_unit_test(test_decrement_ttl),
    };
    return cmocka_run_group_tests_name("tcpip-ipv4", tests, NULL, NULL);
}
