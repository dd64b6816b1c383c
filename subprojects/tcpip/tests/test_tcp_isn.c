/* test_tcp_isn.c - SipHash-2-4 against the reference vectors of its paper
 * (key 00..0f, messages 00..n-1) and the RFC 6528 ISN's properties. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../src/tcp_isn.h"

static const uint8_t key[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

static void test_siphash_vectors(void **state)
{
    (void)state;
    uint8_t msg[16];
    for (int i = 0; i < 16; i++)
        msg[i] = (uint8_t)i;
    /* SipHash-2-4 paper, appendix A, and the reference vectors.h */
    assert_int_equal(tcp_siphash(key, msg, 0), 0x726fdb47dd0e0e31ull);
    assert_int_equal(tcp_siphash(key, msg, 1), 0x74f839c593dc67fdull);
    assert_int_equal(tcp_siphash(key, msg, 8), 0x93f5f5799a932462ull);
    assert_int_equal(tcp_siphash(key, msg, 15), 0xa129ca6149be45e5ull);
}

static void test_isn(void **state)
{
    (void)state;
    uint32_t a = tcp_isn(key, 0x0a000001, 80, 0x0a000002, 40000, 0);
    /* the clock part: 4 us ticks */
    assert_int_equal(tcp_isn(key, 0x0a000001, 80, 0x0a000002, 40000, 4000 * 1000), a + 1000);
    /* another port, another key: unrelated */
    assert_int_not_equal(tcp_isn(key, 0x0a000001, 80, 0x0a000002, 40001, 0), a);
    uint8_t k2[16] = { 1 };
    assert_int_not_equal(tcp_isn(k2, 0x0a000001, 80, 0x0a000002, 40000, 0), a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_siphash_vectors),
        cmocka_unit_test(test_isn),
    };
    return cmocka_run_group_tests_name("tcpip-tcp-isn", tests, NULL, NULL);
}
