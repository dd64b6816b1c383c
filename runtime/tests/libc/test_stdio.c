/* test_stdio.c - the guest's stdio: snprintf, vsnprintf and sprintf give
 * glibc's text and return value, at every buffer size (truncation); printf,
 * puts and putchar write on the diagnostic channel (stderr when hosted),
 * and printf's 512-byte line keeps C's return value. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "guest_libc.h"

static int guest_v(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = mira_guest_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/* Formats the same arguments with glibc and with the guest's snprintf and
 * vsnprintf, into every buffer size from 0 to the length + 1. */
#define CHECK_FORMAT(...)                                                     \
    do {                                                                      \
        char want[256], got[256];                                             \
        int n = snprintf(want, sizeof(want), __VA_ARGS__);                    \
        assert_true(n >= 0 && n < (int)sizeof(want));                         \
        for (size_t size = 0; size <= (size_t)n + 1; size++) {                \
            memset(got, '#', sizeof(got));                                    \
            assert_int_equal(mira_guest_snprintf(size ? got : NULL, size,     \
                                                 __VA_ARGS__), n);            \
            if (size) {                                                       \
                size_t k = size - 1 < (size_t)n ? size - 1 : (size_t)n;       \
                assert_memory_equal(got, want, k);                            \
                assert_int_equal(got[k], 0);                                  \
            }                                                                 \
            assert_int_equal(got[size], '#'); /* no write past size */       \
            memset(got, '#', sizeof(got));                                    \
            assert_int_equal(guest_v(got, size, __VA_ARGS__), n);             \
            assert_int_equal(got[size], '#');                                 \
        }                                                                     \
        memset(got, '#', sizeof(got));                                        \
        assert_int_equal(mira_guest_sprintf(got, __VA_ARGS__), n);            \
        assert_string_equal(got, want);                                       \
    } while (0)

static void test_snprintf(void **state)
{
    (void)state;
    CHECK_FORMAT("%s", "");
    CHECK_FORMAT("plain text");
    CHECK_FORMAT("%d|%i|%u|%x|%X|%o", -42, 17, 4000000000u, 0xbeefu, 0xbeefu, 8u);
    CHECK_FORMAT("%ld %lld %zu %jd %td", -1L, -9223372036854775807LL - 1,
                 (size_t)-1, (intmax_t)-5, (ptrdiff_t)7);
    CHECK_FORMAT("%hhd %hd %hhu", 300, 70000, 257);
    CHECK_FORMAT("[%5d][%-5d][%05d][%+d][% d][%.3d][%8.3d]", 42, 42, 42, 42, 42, 7, 7);
    CHECK_FORMAT("[%10s][%-10s][%.2s][%*d][%.*s]", "hi", "hi", "hello", 6, 9, 3, "abcdef");
    CHECK_FORMAT("%c%c%%", 'a', 'Z');
    CHECK_FORMAT("%lu %lx", 18446744073709551615ul, 18446744073709551615ul);
    CHECK_FORMAT("%d", -2147483647 - 1);
    CHECK_FORMAT("%s and %s", "a fairly long string to cut at every size",
                 "another");
}

/* Runs fn with stderr (the hosted diagnostic channel) going to a file,
 * and returns what was written (malloc'd, NUL-terminated; *len bytes). */
static char *capture_stderr(void (*fn)(int *), int *ret, size_t *len_out)
{
    fflush(stderr);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    int saved = dup(2);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(tmp), 2) >= 0);
    fn(ret);
    assert_true(dup2(saved, 2) >= 0);
    close(saved);
    assert_int_equal(fseek(tmp, 0, SEEK_END), 0);
    long len = ftell(tmp);
    assert_true(len >= 0);
    rewind(tmp);
    char *out = calloc(1, (size_t)len + 1);
    assert_non_null(out);
    assert_int_equal(fread(out, 1, (size_t)len, tmp), (size_t)len);
    fclose(tmp);
    *len_out = (size_t)len;
    return out;
}

static void print_short(int *ret)
{
    *ret = mira_guest_printf("x=%d %s\n", 5, "ok");
}

static char long_arg[700];

static void print_long(int *ret)
{
    *ret = mira_guest_printf("%s", long_arg);
}

static void print_puts(int *ret)
{
    *ret = mira_guest_puts("line");
    *ret += mira_guest_putchar('!' + 0x100) == '!' ? 0 : 100;
}

static void test_printf_puts(void **state)
{
    (void)state;
    int ret;
    size_t len;
    char *out = capture_stderr(print_short, &ret, &len);
    assert_int_equal(len, 7);
    assert_string_equal(out, "x=5 ok\n");
    assert_int_equal(ret, 7);
    free(out);

    /* Longer than printf's line: the first 511 bytes are written, the
     * return value is still the whole length. */
    memset(long_arg, 'L', sizeof(long_arg) - 1);
    out = capture_stderr(print_long, &ret, &len);
    assert_int_equal(ret, (int)sizeof(long_arg) - 1);
    assert_int_equal(len, 511);
    assert_int_equal(strlen(out), 511); /* all of it 'L', no NUL written */
    free(out);

    out = capture_stderr(print_puts, &ret, &len);
    assert_int_equal(len, 6);
    assert_string_equal(out, "line\n!");
    assert_true(ret >= 0);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snprintf),
        cmocka_unit_test(test_printf_puts),
    };
    return cmocka_run_group_tests_name("libc-stdio", tests, NULL, NULL);
}
