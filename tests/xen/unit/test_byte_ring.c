/* Unit tests of the Xen byte ring index arithmetic (mira/xen/byte_ring.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <mira/xen/byte_ring.h>

static void test_used_and_space(void **state)
{
    (void)state;
    assert_int_equal(mira_byte_ring_used(0, 0), 0);
    assert_int_equal(mira_byte_ring_space(0, 0, 16), 16);
    assert_int_equal(mira_byte_ring_space(10, 4, 16), 10);
    assert_int_equal(mira_byte_ring_space(20, 4, 16), 0);
    /* free-running indices wrap around 2^32 */
    assert_int_equal(mira_byte_ring_used(3, 0xfffffffeu), 5);
    assert_int_equal(mira_byte_ring_space(3, 0xfffffffeu, 16), 11);
    /* corrupt: more used than the ring holds */
    assert_int_equal(mira_byte_ring_space(100, 0, 16), 0);
}

static void test_put_wraps(void **state)
{
    (void)state;
    char ring[8];
    memset(ring, '.', sizeof(ring));
    /* prod = 6, cons = 4: 6 free, the copy wraps after 2 bytes */
    size_t n = mira_byte_ring_put(ring, 8, 6, 4, "abcdefgh", 8);
    assert_int_equal(n, 6);
    assert_memory_equal(ring, "cdef..ab", 8);
}

static void test_put_full(void **state)
{
    (void)state;
    char ring[8] = {0};
    assert_int_equal(mira_byte_ring_put(ring, 8, 8, 0, "x", 1), 0);
    assert_int_equal(mira_byte_ring_put(ring, 8, 50, 0, "x", 1), 0); /* corrupt */
}

static void test_get_wraps_over_2_32(void **state)
{
    (void)state;
    char ring[8];
    memcpy(ring, "EFGH..CD", 8);
    char out[8] = {0};
    /* cons = 2^32 - 2 (slot 6), prod = 4 (2^32 + 4): 6 bytes */
    size_t n = mira_byte_ring_get(ring, 8, 4, 0xfffffffeu, out, sizeof(out));
    assert_int_equal(n, 6);
    assert_memory_equal(out, "CDEFGH", 6);
}

static void test_get_bounded(void **state)
{
    (void)state;
    char ring[8] = "abcdefgh";
    char out[4];
    assert_int_equal(mira_byte_ring_get(ring, 8, 7, 1, out, 3), 3);
    assert_memory_equal(out, "bcd", 3);
    assert_int_equal(mira_byte_ring_get(ring, 8, 1, 1, out, 3), 0);
    assert_int_equal(mira_byte_ring_get(ring, 8, 100, 1, out, 3), 0); /* corrupt */
}

static void test_roundtrip(void **state)
{
    (void)state;
    char ring[16];
    uint32_t prod = 0xfffffff0u, cons = prod;
    char msg[7] = "012345", out[7];
    for (int i = 0; i < 100; i++) {
        size_t n = mira_byte_ring_put(ring, 16, prod, cons, msg, 6);
        assert_int_equal(n, 6);
        prod += (uint32_t)n;
        n = mira_byte_ring_get(ring, 16, prod, cons, out, 6);
        assert_int_equal(n, 6);
        assert_memory_equal(out, msg, 6);
        cons += (uint32_t)n;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_used_and_space),
        cmocka_unit_test(test_put_wraps),
        cmocka_unit_test(test_put_full),
        cmocka_unit_test(test_get_wraps_over_2_32),
        cmocka_unit_test(test_get_bounded),
        cmocka_unit_test(test_roundtrip),
    };
    return cmocka_run_group_tests_name("xen-ring", tests, NULL, NULL);
}
