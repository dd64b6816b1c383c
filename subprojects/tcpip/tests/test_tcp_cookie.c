/* test_tcp_cookie.c - SYN cookies (src/tcp_cookie.c): a cookie made for a
 * SYN validates for that connection's final ACK within its lifetime and
 * gives back the MSS rounded down to the table; anything else (another
 * tuple, peer ISN, key, a changed bit, an expired counter) fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../src/tcp_cookie.h"

static const uint8_t key[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const struct tcp_cookie_conn conn = {
    .laddr = 0x0a000002, .raddr = 0x0a000001, .lport = 7, .rport = 40000, .irs = 0x12345678,
};
/* Some time well into the counter's life. */
#define T0 (MIRA_SECONDS(1000000) + MIRA_SECONDS(3))

static void test_round_trip_and_mss(void **state)
{
    (void)state;
    static const struct { uint16_t offered, got; } cases[] = {
        { 536, 536 }, { 100, 536 }, { 1460, 1460 }, { 1459, 1440 }, { 1400, 1400 },
        { 1300, 1300 }, { 65535, 8960 }, { 1199, 536 }, { 1200, 1200 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint32_t c = tcp_cookie_make(key, &conn, cases[i].offered, T0);
        uint16_t mss = 0;
        assert_true(tcp_cookie_check(key, &conn, c, T0, &mss));
        assert_int_equal(mss, cases[i].got);
    }
}

static void test_lifetime(void **state)
{
    (void)state;
    uint32_t c = tcp_cookie_make(key, &conn, 1460, T0);
    uint16_t mss;
    /* within the same tick and the next: valid */
    assert_true(tcp_cookie_check(key, &conn, c, T0 + TCP_COOKIE_TICK - MIRA_SECONDS(4), &mss));
    assert_true(tcp_cookie_check(key, &conn, c, T0 + TCP_COOKIE_TICK, &mss));
    /* two ticks on: expired; before it was made: never valid */
    assert_false(tcp_cookie_check(key, &conn, c, T0 + 2 * TCP_COOKIE_TICK, &mss));
    assert_false(tcp_cookie_check(key, &conn, c, T0 - TCP_COOKIE_TICK, &mss));
    /* 32 ticks on, the 5 counter bits are equal again: the hash still fails */
    assert_false(tcp_cookie_check(key, &conn, c, T0 + 32 * TCP_COOKIE_TICK, &mss));
    /* the counter's 5 bits sit on top: 32 ticks in a row, 32 values */
    uint32_t seen = 0;
    for (int i = 0; i < 32; i++) {
        uint32_t ci = tcp_cookie_make(key, &conn, 1460, T0 + i * TCP_COOKIE_TICK);
        assert_int_equal(((ci >> 27) - (c >> 27)) & 31, i);
        seen |= 1u << (ci >> 27);
    }
    assert_int_equal(seen, 0xffffffffu);
    /* at clock 0 (no previous tick) a fresh cookie still validates */
    uint32_t c0 = tcp_cookie_make(key, &conn, 1460, 0);
    assert_true(tcp_cookie_check(key, &conn, c0, 0, &mss));
}

static void test_bound_to_connection(void **state)
{
    (void)state;
    uint32_t c = tcp_cookie_make(key, &conn, 1460, T0);
    uint16_t mss;
    struct tcp_cookie_conn o = conn;
    o.rport++;
    assert_false(tcp_cookie_check(key, &o, c, T0, &mss));
    o = conn;
    o.lport++;
    assert_false(tcp_cookie_check(key, &o, c, T0, &mss));
    o = conn;
    o.raddr++;
    assert_false(tcp_cookie_check(key, &o, c, T0, &mss));
    o = conn;
    o.laddr++;
    assert_false(tcp_cookie_check(key, &o, c, T0, &mss));
    o = conn;
    o.irs++;
    assert_false(tcp_cookie_check(key, &o, c, T0, &mss));
    uint8_t k2[16] = { 1 };
    assert_false(tcp_cookie_check(k2, &conn, c, T0, &mss));
    /* every single changed bit fails: hash, MSS index, counter */
    for (int b = 0; b < 32; b++)
        assert_false(tcp_cookie_check(key, &conn, c ^ (1u << b), T0, &mss));
    /* a cookie is not the ISN plus one (what the ACK carries) */
    assert_false(tcp_cookie_check(key, &conn, c + 1, T0, &mss));
}

static void test_unpredictable(void **state)
{
    (void)state;
    /* the 24 hash bits differ between neighbouring peer ports */
    struct tcp_cookie_conn o = conn;
    uint32_t prev = tcp_cookie_make(key, &o, 1460, T0) & 0xffffff;
    unsigned same = 0;
    for (int i = 0; i < 1000; i++) {
        o.rport++;
        uint32_t h = tcp_cookie_make(key, &o, 1460, T0) & 0xffffff;
        same += h == prev;
        prev = h;
    }
    assert_true(same < 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_mss),
        cmocka_unit_test(test_lifetime),
        cmocka_unit_test(test_bound_to_connection),
        cmocka_unit_test(test_unpredictable),
    };
    return cmocka_run_group_tests_name("tcpip-tcp-cookie", tests, NULL, NULL);
}
