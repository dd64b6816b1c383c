/* test_csum.c - the internet checksum against a naive RFC 1071 reference
 * on random data of every length and alignment, pieces at odd offsets,
 * incremental updates (RFC 1624) and pseudo-headers of real packets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <mira/byteorder.h>
#include <mira/tcpip/csum.h>
#include "vectors.h"

/* RFC 1071 4.1, word by word, big-endian words. */
static uint16_t naive_sum(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint64_t next(void)
{
    /* splitmix64: fixed seed, so a failure reproduces */
    uint64_t z = (rng += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void fill(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)next();
}

static void test_every_length_and_alignment(void **state)
{
    (void)state;
    static uint8_t buf[1600 + 8];
    for (int round = 0; round < 3; round++) {
        fill(buf, sizeof(buf));
        if (round == 1)
            memset(buf, 0xff, sizeof(buf)); /* carries everywhere */
        for (size_t align = 0; align < 8; align++)
            for (size_t n = 0; n <= 1600; n++) {
                uint16_t want = naive_sum(buf + align, n);
                uint32_t got = mira_csum_partial(buf + align, n, 0);
                /* exactly: ones'-complement sums of data that is not all
                 * zero never come out as +0, in either */
                if (got != want)
                    fail_msg("align %zu len %zu: %#x, want %#x", align, n, got, want);
            }
    }
}

static void test_initial_sum_is_added(void **state)
{
    (void)state;
    uint8_t b[64];
    fill(b, sizeof(b));
    uint32_t s = mira_csum_partial(b, 40, 0x1234);
    assert_int_equal(s, mira_csum_add(mira_csum_partial(b, 40, 0), 0x1234));
    /* a large initial sum is folded */
    assert_true(mira_csum_partial(b, 0, 0xfffff) <= 0xffff);
}

static void test_pieces_at_any_offset(void **state)
{
    (void)state;
    static uint8_t buf[3000];
    for (int i = 0; i < 2000; i++) {
        size_t n = next() % sizeof(buf);
        fill(buf, n);
        /* up to four cuts at random places, odd ones included */
        size_t cut[5] = {0};
        int k = 1 + (int)(next() % 4);
        for (int j = 1; j < k; j++)
            cut[j] = n ? next() % (n + 1) : 0;
        cut[k] = n;
        for (int a = 1; a < k; a++) /* sort */
            for (int b = a + 1; b < k; b++)
                if (cut[b] < cut[a]) {
                    size_t t = cut[a];
                    cut[a] = cut[b];
                    cut[b] = t;
                }
        uint32_t s = 0;
        for (int j = 0; j < k; j++)
            s = mira_csum_partial_at(buf + cut[j], cut[j + 1] - cut[j], cut[j], s);
        assert_int_equal(mira_csum_finish(s), mira_csum_finish(naive_sum(buf, n)));
    }
}

static void test_incremental_update(void **state)
{
    (void)state;
    uint8_t h[20];
    for (int i = 0; i < 10000; i++) {
        fill(h, sizeof(h));
        mira_store_be16(h + 10, 0);
        mira_store_be16(h + 10, mira_csum_finish(mira_csum_partial(h, 20, 0)));
        /* change one word, then one 32-bit field; the updated checksum
         * must verify (RFC 1624: eqn. 3 never gives the -0 of eqn. 2) */
        size_t w = 2 * (next() % 10);
        if (w == 10)
            w = 8;
        uint16_t old16 = mira_load_be16(h + w), new16 = (uint16_t)next();
        if (i % 7 == 0)
            new16 = old16 ^ 0xffff;
        mira_store_be16(h + w, new16);
        mira_store_be16(h + 10, mira_csum_update16(mira_load_be16(h + 10), old16, new16));
        assert_int_equal(mira_csum_finish(mira_csum_partial(h, 20, 0)), 0);
        uint32_t old32 = mira_load_be32(h + 12), new32 = (uint32_t)next();
        mira_store_be32(h + 12, new32);
        mira_store_be16(h + 10, mira_csum_update32(mira_load_be16(h + 10), old32, new32));
        assert_int_equal(mira_csum_finish(mira_csum_partial(h, 20, 0)), 0);
    }
}

/* RFC 1624 section 4's example: a header checksum of 0xdd2f, a word 0x5555
 * becoming 0x3285, gives 0x0000 (eqn. 3), not 0xffff. */
static void test_rfc1624_example(void **state)
{
    (void)state;
    assert_int_equal(mira_csum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
}

/* A real UDP datagram and TCP segment from Linux verify with the
 * pseudo-header; a flipped address does not. */
static void test_pseudo_header_real_packets(void **state)
{
    (void)state;
    const uint8_t *ip = vec_udp_closed_port + 14;
    size_t ihl = (ip[0] & 15) * 4, total = mira_load_be16(ip + 2);
    uint32_t src = mira_load_be32(ip + 12), dst = mira_load_be32(ip + 16);
    uint32_t s = mira_csum_pseudo_ipv4(src, dst, 17, (uint16_t)(total - ihl));
    assert_int_equal(mira_csum_finish(mira_csum_partial(ip + ihl, total - ihl, s)), 0);
    s = mira_csum_pseudo_ipv4(src ^ 1, dst, 17, (uint16_t)(total - ihl));
    assert_int_not_equal(mira_csum_finish(mira_csum_partial(ip + ihl, total - ihl, s)), 0);

    ip = vec_tcp_syn + 14;
    ihl = (ip[0] & 15) * 4;
    total = mira_load_be16(ip + 2);
    s = mira_csum_pseudo_ipv4(mira_load_be32(ip + 12), mira_load_be32(ip + 16), 6, (uint16_t)(total - ihl));
    assert_int_equal(mira_csum_finish(mira_csum_partial(ip + ihl, total - ihl, s)), 0);
    /* and the IP header itself */
    assert_int_equal(mira_csum_finish(mira_csum_partial(ip, ihl, 0)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_length_and_alignment),
        cmocka_unit_test(test_initial_sum_is_added),
        cmocka_unit_test(test_pieces_at_any_offset),
        cmocka_unit_test(test_incremental_update),
        cmocka_unit_test(test_rfc1624_example),
        cmocka_unit_test(test_pseudo_header_real_packets),
    };
    return cmocka_run_group_tests_name("tcpip-csum", tests, NULL, NULL);
}
