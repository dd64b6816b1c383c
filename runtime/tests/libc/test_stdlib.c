/* test_stdlib.c - the guest's strtol family, atoi, abs and qsort against
 * glibc.  The guest has no errno: a result out of range must still be the
 * clamped value C specifies (LONG_MAX, ULONG_MAX, ...), and *end must be
 * glibc's. */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "guest_libc.h"

static const int bases[] = {0, 2, 3, 8, 10, 16, 36};

/* All four conversions of s in base: same value, same *end as glibc. */
static void check_strto(const char *s, int base)
{
    char *ge, *e;
    long gl = mira_guest_strtol(s, &ge, base), l = strtol(s, &e, base);
    if (gl != l || ge != e)
        fail_msg("strtol(\"%s\", %d): guest %ld end +%td, glibc %ld end +%td",
                 s, base, gl, ge - s, l, e - s);
    unsigned long gul = mira_guest_strtoul(s, &ge, base), ul = strtoul(s, &e, base);
    if (gul != ul || ge != e)
        fail_msg("strtoul(\"%s\", %d): guest %lu end +%td, glibc %lu end +%td",
                 s, base, gul, ge - s, ul, e - s);
    long long gll = mira_guest_strtoll(s, &ge, base), ll = strtoll(s, &e, base);
    if (gll != ll || ge != e)
        fail_msg("strtoll(\"%s\", %d): guest %lld end +%td, glibc %lld end +%td",
                 s, base, gll, ge - s, ll, e - s);
    unsigned long long gull = mira_guest_strtoull(s, &ge, base),
                       ull = strtoull(s, &e, base);
    if (gull != ull || ge != e)
        fail_msg("strtoull(\"%s\", %d): guest %llu end +%td, glibc %llu end +%td",
                 s, base, gull, ge - s, ull, e - s);
    /* A NULL end is allowed. */
    assert_int_equal(mira_guest_strtol(s, NULL, base), l);
    assert_int_equal(mira_guest_strtoull(s, NULL, base), ull);
}

static void test_strto_cases(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "", " ", "+", "-", "+-1", "-+1", "- 1", "0", "-0", "+0", "00", "7",
        "  \t\n\v\f\r42xyz", "-12abc", "+12", "077", "08", "0x", "0X", "0x1f",
        "0X1F", "0x1g", "0xg", "-0x10", "0x-1", " 0x 1", "0b101", "z", "Z",
        "zz", "10", "1e5", "123456789", "0000000000000000000000000000001",
        "9223372036854775806", "9223372036854775807", "9223372036854775808",
        "9223372036854775809", "-9223372036854775807", "-9223372036854775808",
        "-9223372036854775809", "18446744073709551615", "18446744073709551616",
        "-18446744073709551615", "-18446744073709551616",
        "99999999999999999999999999999999999999x", "-99999999999999999999999",
        "0x7fffffffffffffff", "0x8000000000000000", "0xffffffffffffffff",
        "0x10000000000000000", "-0x8000000000000000", "-0x8000000000000001",
        "0x00000000000000000000000000000000ff", "1777777777777777777777",
        "2000000000000000000000", "01777777777777777777777",
        "3w5e11264sgsf", "3w5e11264sgsg", "-3w5e11264sgsg", "zzzzzzzzzzzzzz",
        "1111111111111111111111111111111111111111111111111111111111111111",
        "10000000000000000000000000000000000000000000000000000000000000000",
        "\x80" "1", "1\x80", "٣",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++)
            check_strto(cases[i], bases[b]);
        for (int base = 2; base <= 36; base++)
            check_strto(cases[i], base);
    }
}

/* Random strings over the characters that matter, in every base. */
static void test_strto_random(void **state)
{
    (void)state;
    static const char alphabet[] = " \t+-0123456789abcdefxXzZ";
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    unsigned long long s = 21;
    char buf[80];
    for (int i = 0; i < 60000; i++) {
        size_t len = mira_test_below(&s, 26);
        int base = bases[mira_test_below(&s, sizeof(bases) / sizeof(bases[0]))];
        if (i % 3 == 0)
            base = 2 + (int)mira_test_below(&s, 35);
        if (i % 2) {
            for (size_t j = 0; j < len; j++)
                buf[j] = alphabet[mira_test_below(&s, sizeof(alphabet) - 1)];
        } else { /* long runs of digits: near and past the overflow */
            size_t j = 0;
            if (mira_test_below(&s, 2))
                buf[j++] = "+-"[mira_test_below(&s, 2)];
            int db = base ? base : 10;
            for (len = mira_test_below(&s, 70); j < len; j++)
                buf[j] = digits[mira_test_below(&s, (size_t)db)];
        }
        buf[len] = 0;
        check_strto(buf, base);
    }
}

/* Bases C does not define: glibc leaves *end alone and returns 0 (EINVAL);
 * the guest returns 0 with *end = s, "no conversion". */
static void test_strto_bad_base(void **state)
{
    (void)state;
    const int bad[] = {1, 37, 64, -1, INT_MIN, INT_MAX};
    const char *s = "  12zz";
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *e = NULL;
        assert_int_equal(mira_guest_strtol(s, &e, bad[i]), 0);
        assert_ptr_equal(e, s);
        e = NULL;
        assert_int_equal(mira_guest_strtoull(s, &e, bad[i]), 0);
        assert_ptr_equal(e, s);
        assert_int_equal(mira_guest_strtoul(s, NULL, bad[i]), 0);
        assert_int_equal(mira_guest_strtoll(s, NULL, bad[i]), 0);
    }
}

static void test_atoi_abs(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "0", "-0", "42", "-42", "  +7x", "2147483647", "-2147483648", "", "x",
        "0x10", "010",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(mira_guest_atoi(cases[i]), atoi(cases[i]));
    const int ints[] = {0, 1, -1, INT_MAX, INT_MIN + 1, 12345, -12345};
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
        assert_int_equal(mira_guest_abs(ints[i]), abs(ints[i]));
    const long longs[] = {0, 1, -1, LONG_MAX, LONG_MIN + 1, -(1L << 40)};
    for (size_t i = 0; i < sizeof(longs) / sizeof(longs[0]); i++)
        assert_int_equal(mira_guest_labs(longs[i]), labs(longs[i]));
}

/* A 12-byte element (not a power of two): sorted by key, each carries its
 * original index and a check word so that a torn swap shows. */
struct elem {
    int32_t key;
    uint32_t id;
    uint32_t check;
};

static int cmp_elem(const void *a, const void *b)
{
    const struct elem *x = a, *y = b;
    return (x->key > y->key) - (x->key < y->key);
}

static int cmp_u8(const void *a, const void *b)
{
    return *(const unsigned char *)a - *(const unsigned char *)b;
}

static void test_qsort(void **state)
{
    (void)state;
    unsigned long long s = 22;
    static struct elem e[300];
    static unsigned char seen[300];
    mira_guest_qsort(NULL, 0, sizeof(struct elem), cmp_elem); /* n == 0 */
    for (int i = 0; i < 3000; i++) {
        size_t n = mira_test_below(&s, 300);
        int range = 1 + (int)mira_test_below(&s, i % 2 ? 5 : 100000);
        for (size_t j = 0; j < n; j++) {
            e[j].key = (int32_t)mira_test_below(&s, (size_t)range) - range / 2;
            e[j].id = (uint32_t)j;
            e[j].check = (uint32_t)e[j].key ^ 0x5a5a5a5au ^ (uint32_t)j;
        }
        if (i % 7 == 0) /* already sorted, then reversed: the worst cases */
            for (size_t j = 0; j < n; j++)
                e[j].key = i % 14 ? (int32_t)j : -(int32_t)j,
                e[j].check = (uint32_t)e[j].key ^ 0x5a5a5a5au ^ (uint32_t)j;
        mira_guest_qsort(e, n, sizeof(e[0]), cmp_elem);
        memset(seen, 0, sizeof(seen));
        for (size_t j = 0; j < n; j++) {
            assert_true(e[j].id < n);
            assert_int_equal(e[j].check, (uint32_t)e[j].key ^ 0x5a5a5a5au ^ e[j].id);
            assert_int_equal(seen[e[j].id], 0); /* a permutation */
            seen[e[j].id] = 1;
            if (j)
                assert_true(e[j - 1].key <= e[j].key);
        }
    }
    /* 1-byte elements: the same result as glibc's. */
    unsigned char a[200], b[200];
    for (int i = 0; i < 500; i++) {
        size_t n = mira_test_below(&s, sizeof(a));
        for (size_t j = 0; j < n; j++)
            a[j] = b[j] = (unsigned char)mira_test_rand(&s);
        mira_guest_qsort(a, n, 1, cmp_u8);
        qsort(b, n, 1, cmp_u8);
        assert_memory_equal(a, b, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strto_cases),
        cmocka_unit_test(test_strto_random),
        cmocka_unit_test(test_strto_bad_base),
        cmocka_unit_test(test_atoi_abs),
        cmocka_unit_test(test_qsort),
    };
    return cmocka_run_group_tests_name("libc-stdlib", tests, NULL, NULL);
}
