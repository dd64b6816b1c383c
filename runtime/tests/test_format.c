/* Unit tests of mira_vsnprintf, checked against the C library's snprintf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <mira/format.h>

/* Some cases below are malformed on purpose. */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-overflow"

/* Formats with both and compares text and returned length. */
#define SAME(...)                                                             \
    do {                                                                      \
        char a[128], b[128];                                                  \
        int na = mira_snprintf(a, sizeof(a), __VA_ARGS__);                    \
        int nb = snprintf(b, sizeof(b), __VA_ARGS__);                         \
        assert_string_equal(a, b);                                            \
        assert_int_equal(na, nb);                                             \
    } while (0)

static void test_integers(void **state)
{
    (void)state;
    SAME("%d %i %u", 0, -42, 42u);
    SAME("%d %d", INT32_MIN, INT32_MAX);
    SAME("%ld %lu", (long)INT64_MIN, (unsigned long)UINT64_MAX);
    SAME("%lld %llx", -1234567890123LL, 0xdeadbeefcafeULL);
    SAME("%zu %zd", (size_t)12345, (ptrdiff_t)-7);
    SAME("%hhd %hu", (signed char)-5, (unsigned short)65535);
    SAME("%x %X %o", 0xabcdu, 0xabcdu, 8u);
    SAME("%jd %td", (intmax_t)-99, (ptrdiff_t)99);
}

static void test_flags_width_precision(void **state)
{
    (void)state;
    SAME("[%5d] [%-5d] [%05d] [%+d] [% d]", 42, 42, 42, 42, 42);
    SAME("[%05d] [%.3d] [%8.3d] [%.0d]", -42, 7, 7, 0);
    SAME("[%*d] [%-*d] [%.*d]", 6, 1, 6, 1, 4, 1);
    SAME("[%08x] [%-8X]", 0xbeefu, 0xbeefu);
    SAME("[%10s] [%-10s] [%.2s] [%c]", "abc", "abc", "abc", 'z');
}

static void test_strings_and_pointers(void **state)
{
    (void)state;
    SAME("%s and %s", "hello", "");
    SAME("100%% sure");
    char a[64], b[64];
    int x;
    mira_snprintf(a, sizeof(a), "%p", (void *)&x);
    snprintf(b, sizeof(b), "%p", (void *)&x);
    assert_string_equal(a, b);
    mira_snprintf(a, sizeof(a), "%s", (char *)NULL);
    assert_string_equal(a, "(null)");
}

static void test_truncation(void **state)
{
    (void)state;
    char buf[8];
    memset(buf, 'X', sizeof(buf));
    int n = mira_snprintf(buf, sizeof(buf), "%s-%d", "abcdef", 12345);
    assert_int_equal(n, 12);
    assert_string_equal(buf, "abcdef-");
    assert_int_equal(mira_snprintf(NULL, 0, "%d", 123456), 6);
    char one[1] = { 'X' };
    assert_int_equal(mira_snprintf(one, 1, "abc"), 3);
    assert_int_equal(one[0], '\0');
}

static void test_unsupported_is_visible(void **state)
{
    (void)state;
    char buf[32];
    mira_snprintf(buf, sizeof(buf), "a%qb");
    assert_string_equal(buf, "a%?b");
    mira_snprintf(buf, sizeof(buf), "end%");
    assert_string_equal(buf, "end");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_flags_width_precision),
        cmocka_unit_test(test_strings_and_pointers),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_unsupported_is_visible),
    };
    return cmocka_run_group_tests_name("format", tests, NULL, NULL);
}
