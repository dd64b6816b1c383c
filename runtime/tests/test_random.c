/* Unit tests of mira/random.h on the unix platform and of the ChaCha20
 * block function the xen fallback uses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <mira/random.h>
#include "chacha20.h"

/* RFC 8439, section 2.3.2: key 00 01 .. 1f, nonce 00 00 00 09 00 00 00 4a
 * 00 00 00 00, block counter 1. */
static void test_chacha20_rfc8439(void **state)
{
    (void)state;
    uint8_t keyb[32];
    for (int i = 0; i < 32; i++)
        keyb[i] = (uint8_t)i;
    uint32_t key[8];
    for (int i = 0; i < 8; i++)
        key[i] = (uint32_t)keyb[4 * i] | (uint32_t)keyb[4 * i + 1] << 8 |
                 (uint32_t)keyb[4 * i + 2] << 16 | (uint32_t)keyb[4 * i + 3] << 24;
    const uint32_t nonce[3] = { 0x09000000, 0x4a000000, 0x00000000 };
    static const uint8_t want[64] = {
        0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15, 0x50, 0x0f, 0xdd, 0x1f,
        0xa3, 0x20, 0x71, 0xc4, 0xc7, 0xd1, 0xf4, 0xc7, 0x33, 0xc0, 0x68, 0x03,
        0x04, 0x22, 0xaa, 0x9a, 0xc3, 0xd4, 0x6c, 0x4e, 0xd2, 0x82, 0x64, 0x46,
        0x07, 0x9f, 0xaa, 0x09, 0x14, 0xc2, 0xd7, 0x05, 0xd9, 0x8b, 0x02, 0xa2,
        0xb5, 0x12, 0x9c, 0xd1, 0xde, 0x16, 0x4e, 0xb9, 0xcb, 0xd0, 0x83, 0xe8,
        0xa2, 0x50, 0x3c, 0x4e,
    };
    uint8_t out[64];
    mira_chacha20_block(key, 1, nonce, out);
    assert_memory_equal(out, want, sizeof(want));
}

/* Random bytes: no two draws alike, every byte value about equally likely.
 * (The bounds fail with a probability far below 2^-100.) */
static void check_random_buffer(void (*fill)(void *, size_t))
{
    static uint8_t a[4096], b[4096];
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    fill(a, sizeof(a));
    fill(b, sizeof(b));
    assert_memory_not_equal(a, b, 32);
    int seen[256] = { 0 }, distinct = 0;
    for (size_t i = 0; i < sizeof(a); i++)
        if (seen[a[i]]++ == 0)
            distinct++;
    assert_true(distinct >= 200);
    /* An odd length and an unaligned start are filled completely. */
    uint8_t c[19];
    memset(c, 0, sizeof(c));
    for (int tries = 0; tries < 4 && (c[1] == 0 || c[17] == 0); tries++)
        fill(c + 1, 17);
    assert_true(c[1] != 0 || c[17] != 0);
    assert_int_equal(c[0], 0);
    assert_int_equal(c[18], 0);
}

static void test_random_bytes(void **state)
{
    (void)state;
    check_random_buffer(mira_random_bytes);
    uint32_t x = mira_random_u32(), y = mira_random_u32(), z = mira_random_u32();
    assert_false(x == y && y == z);
    mira_random_bytes(NULL, 0); /* nothing to fill: fine */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chacha20_rfc8439),
        cmocka_unit_test(test_random_bytes),
    };
    return cmocka_run_group_tests_name("random", tests, NULL, NULL);
}
