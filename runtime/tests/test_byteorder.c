/* Unit tests of mira/byteorder.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include <mira/byteorder.h>

/* Against the C library's own conversions, on every 16-bit value and a
 * spread of 32-bit ones. */
static void test_against_libc(void **state)
{
    (void)state;
    for (uint32_t v = 0; v <= 0xffff; v++) {
        assert_int_equal(mira_htons((uint16_t)v), htons((uint16_t)v));
        assert_int_equal(mira_ntohs((uint16_t)v), ntohs((uint16_t)v));
    }
    for (uint64_t v = 0; v <= 0xffffffffu; v += 0x01010101u / 7 + 13) {
        assert_int_equal(mira_htonl((uint32_t)v), htonl((uint32_t)v));
        assert_int_equal(mira_ntohl((uint32_t)v), ntohl((uint32_t)v));
    }
    assert_int_equal(mira_htonl(0x01020304u), htonl(0x01020304u));
}

/* Loads and stores at every alignment, in wire order. */
static void test_unaligned_load_store(void **state)
{
    (void)state;
    uint8_t buf[16];
    for (int off = 0; off < 8; off++) {
        memset(buf, 0xee, sizeof(buf));
        mira_store_be32(buf + off, 0x0a0b0c0du);
        assert_int_equal(buf[off], 0x0a);
        assert_int_equal(buf[off + 1], 0x0b);
        assert_int_equal(buf[off + 2], 0x0c);
        assert_int_equal(buf[off + 3], 0x0d);
        assert_int_equal(buf[off + 4], 0xee);
        if (off > 0)
            assert_int_equal(buf[off - 1], 0xee);
        assert_int_equal(mira_load_be32(buf + off), 0x0a0b0c0du);
        mira_store_be16(buf + off, 0xbeef);
        assert_int_equal(buf[off], 0xbe);
        assert_int_equal(buf[off + 1], 0xef);
        assert_int_equal(buf[off + 2], 0x0c);
        assert_int_equal(mira_load_be16(buf + off), 0xbeef);
    }
    const uint8_t wire[] = { 0xff, 0xfe, 0x80, 0x01 };
    assert_int_equal(mira_load_be16(wire), 0xfffe);
    assert_int_equal(mira_load_be32(wire), 0xfffe8001u);
    uint32_t x;
    memcpy(&x, wire, 4);
    assert_int_equal(mira_ntohl(x), mira_load_be32(wire));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_libc),
        cmocka_unit_test(test_unaligned_load_store),
    };
    return cmocka_run_group_tests_name("byteorder", tests, NULL, NULL);
}
