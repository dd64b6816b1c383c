/* test_string.c - the guest's string.h against glibc: each function runs
 * on the same input as glibc's, hand-picked edge cases first, then many
 * pseudo-random inputs (fixed seeds), and the whole buffer around the
 * result is compared so that a write out of bounds shows too. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "guest_libc.h"

#define BUF 512

static int sign(int x) { return (x > 0) - (x < 0); }

/* Random bytes, with a bias towards 0x80.. and 0xff so that signed-char
 * mistakes show. */
static void fill_random(unsigned long long *s, unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)mira_test_rand(s);
}

/* A NUL-terminated random string of length len over alphabet. */
static void random_string(unsigned long long *s, char *p, size_t len,
                          const char *alphabet)
{
    size_t k = strlen(alphabet);
    for (size_t i = 0; i < len; i++)
        p[i] = alphabet[mira_test_below(s, k)];
    p[len] = 0;
}

static const char *const alphabets[] = {"ab", "abc\x80\xff", "a", "xyz\x7f\x81"};

static void test_memcpy(void **state)
{
    (void)state;
    unsigned long long s = 1;
    unsigned char src[BUF], a[BUF], b[BUF];
    for (size_t n = 0; n <= 300; n++) {
        for (size_t so = 0; so < 16; so++) {
            for (size_t d = 0; d < 16; d += 5) {
                fill_random(&s, src, BUF);
                fill_random(&s, a, BUF);
                memcpy(b, a, BUF);
                assert_ptr_equal(mira_guest_memcpy(a + d, src + so, n), a + d);
                memcpy(b + d, src + so, n);
                assert_memory_equal(a, b, BUF);
            }
        }
    }
}

/* Every (src, dst, n) in a 96-byte window, both overlap directions and
 * dst == src, then random large moves. */
static void test_memmove(void **state)
{
    (void)state;
    unsigned long long s = 2;
    unsigned char init[96], a[96], b[96];
    fill_random(&s, init, sizeof(init));
    for (size_t so = 0; so <= 40; so++)
        for (size_t d = 0; d <= 40; d++)
            for (size_t n = 0; n <= 48; n++) {
                memcpy(a, init, sizeof(a));
                memcpy(b, init, sizeof(b));
                assert_ptr_equal(mira_guest_memmove(a + d, a + so, n), a + d);
                memmove(b + d, b + so, n);
                assert_memory_equal(a, b, sizeof(a));
            }
    static unsigned char x[8192], y[8192];
    for (int i = 0; i < 2000; i++) {
        fill_random(&s, x, sizeof(x));
        memcpy(y, x, sizeof(y));
        size_t n = mira_test_below(&s, 4096);
        size_t so = mira_test_below(&s, sizeof(x) - n + 1);
        size_t d = mira_test_below(&s, sizeof(x) - n + 1);
        mira_guest_memmove(x + d, x + so, n);
        memmove(y + d, y + so, n);
        assert_memory_equal(x, y, sizeof(x));
    }
}

static void test_memset(void **state)
{
    (void)state;
    unsigned long long s = 3;
    unsigned char a[BUF], b[BUF];
    const int cs[] = {0, 1, 0x7f, 0x80, 0xff, -1, 0x141, -200, 0x12345678};
    for (size_t n = 0; n <= 300; n += (n < 40 ? 1 : 13))
        for (size_t d = 0; d < 16; d++)
            for (size_t k = 0; k < sizeof(cs) / sizeof(cs[0]); k++) {
                fill_random(&s, a, BUF);
                memcpy(b, a, BUF);
                assert_ptr_equal(mira_guest_memset(a + d, cs[k], n), a + d);
                memset(b + d, cs[k], n);
                assert_memory_equal(a, b, BUF);
            }
}

static void test_memcmp(void **state)
{
    (void)state;
    unsigned long long s = 4;
    unsigned char a[BUF], b[BUF];
    assert_int_equal(mira_guest_memcmp("a", "b", 0), 0);
    assert_true(mira_guest_memcmp("\x80", "\x7f", 1) > 0); /* unsigned */
    assert_true(mira_guest_memcmp("\x01", "\xff", 1) < 0);
    for (int i = 0; i < 20000; i++) {
        size_t n = mira_test_below(&s, 200);
        size_t ao = mira_test_below(&s, 16), bo = mira_test_below(&s, 16);
        fill_random(&s, a + ao, n);
        memcpy(b + bo, a + ao, n);
        if (n && mira_test_below(&s, 4)) /* mostly: one byte differs */
            b[bo + mira_test_below(&s, n)] = (unsigned char)mira_test_rand(&s);
        size_t m = n ? mira_test_below(&s, n + 1) : 0; /* also a prefix */
        assert_int_equal(sign(mira_guest_memcmp(a + ao, b + bo, n)),
                         sign(memcmp(a + ao, b + bo, n)));
        assert_int_equal(sign(mira_guest_memcmp(a + ao, b + bo, m)),
                         sign(memcmp(a + ao, b + bo, m)));
    }
}

static void test_memchr(void **state)
{
    (void)state;
    unsigned long long s = 5;
    unsigned char a[BUF];
    const char *t = "hello";
    assert_null(mira_guest_memchr(t, 'h', 0));
    assert_ptr_equal(mira_guest_memchr(t, 'h' + 0x100, 5), t); /* low byte */
    assert_ptr_equal(mira_guest_memchr(t, 0, 6), t + 5);
    assert_null(mira_guest_memchr(t, 'o', 4)); /* just past n */
    for (int i = 0; i < 20000; i++) {
        size_t n = mira_test_below(&s, 300), o = mira_test_below(&s, 16);
        for (size_t j = 0; j < n; j++) /* a small alphabet: hits and misses */
            a[o + j] = (unsigned char)(0x7e + mira_test_below(&s, 6));
        int c = (int)(0x7e + mira_test_below(&s, 8)) + (int)mira_test_below(&s, 2) * 0x300;
        assert_ptr_equal(mira_guest_memchr(a + o, c, n), memchr(a + o, c, n));
    }
}

static void test_strlen_strnlen(void **state)
{
    (void)state;
    unsigned long long s = 6;
    char a[BUF];
    assert_int_equal(mira_guest_strlen(""), 0);
    assert_int_equal(mira_guest_strnlen("", 0), 0);
    assert_int_equal(mira_guest_strnlen("abc", 0), 0);
    assert_int_equal(mira_guest_strnlen("abc", 2), 2);
    assert_int_equal(mira_guest_strnlen("abc", 3), 3);
    assert_int_equal(mira_guest_strnlen("abc", 4), 3);
    assert_int_equal(mira_guest_strnlen("abc", SIZE_MAX), 3);
    for (int i = 0; i < 5000; i++) {
        size_t len = mira_test_below(&s, 300), o = mira_test_below(&s, 16);
        random_string(&s, a + o, len, alphabets[i % 4]);
        size_t max = mira_test_below(&s, 320);
        assert_int_equal(mira_guest_strlen(a + o), strlen(a + o));
        assert_int_equal(mira_guest_strnlen(a + o, max), strnlen(a + o, max));
    }
    /* strnlen reads no further than max: an unterminated heap block of
     * exactly max bytes (valgrind and ASan see a read past it). */
    for (size_t max = 1; max < 64; max++) {
        char *p = malloc(max);
        assert_non_null(p);
        memset(p, 'x', max);
        assert_int_equal(mira_guest_strnlen(p, max), max);
        free(p);
    }
}

static void test_strcmp_strncmp(void **state)
{
    (void)state;
    unsigned long long s = 7;
    char a[BUF], b[BUF];
    assert_int_equal(mira_guest_strcmp("", ""), 0);
    assert_true(mira_guest_strcmp("", "a") < 0);
    assert_true(mira_guest_strcmp("a", "") > 0);
    assert_true(mira_guest_strcmp("\x80", "a") > 0); /* unsigned */
    assert_int_equal(mira_guest_strncmp("abc", "abd", 2), 0);
    assert_true(mira_guest_strncmp("abc", "abd", 3) < 0);
    assert_int_equal(mira_guest_strncmp("abc", "xyz", 0), 0);
    assert_int_equal(mira_guest_strncmp("abc", "abc", SIZE_MAX), 0);
    assert_true(mira_guest_strncmp("ab", "abc", 5) < 0);
    assert_true(mira_guest_strncmp("\xff", "\x01", 1) > 0);
    /* strncmp reads no further than n in unterminated blocks. */
    for (size_t n = 1; n < 40; n++) {
        char *p = malloc(n), *q = malloc(n);
        memset(p, 'y', n);
        memset(q, 'y', n);
        assert_int_equal(mira_guest_strncmp(p, q, n), 0);
        free(p);
        free(q);
    }
    for (int i = 0; i < 30000; i++) {
        const char *al = alphabets[i % 4];
        size_t la = mira_test_below(&s, 12), lb;
        random_string(&s, a, la, al);
        if (mira_test_below(&s, 2)) { /* often a common prefix */
            strcpy(b, a);
            lb = mira_test_below(&s, la + 1);
            random_string(&s, b + lb, mira_test_below(&s, 4), al);
        } else {
            random_string(&s, b, mira_test_below(&s, 12), al);
        }
        size_t n = mira_test_below(&s, 16);
        assert_int_equal(sign(mira_guest_strcmp(a, b)), sign(strcmp(a, b)));
        assert_int_equal(sign(mira_guest_strncmp(a, b, n)), sign(strncmp(a, b, n)));
    }
}

static void test_strchr_strrchr(void **state)
{
    (void)state;
    unsigned long long s = 8;
    char a[BUF];
    const char *t = "abcabc";
    assert_ptr_equal(mira_guest_strchr(t, 0), t + 6);
    assert_ptr_equal(mira_guest_strrchr(t, 0), t + 6);
    assert_ptr_equal(mira_guest_strchr(t, 'c'), t + 2);
    assert_ptr_equal(mira_guest_strrchr(t, 'c'), t + 5);
    assert_null(mira_guest_strchr(t, 'z'));
    assert_null(mira_guest_strrchr(t, 'z'));
    assert_ptr_equal(mira_guest_strchr(t, 'a' + 0x100), t); /* as a char */
    assert_ptr_equal(mira_guest_strchr("x\xff", -1), strchr("x\xff", -1));
    for (int i = 0; i < 20000; i++) {
        const char *al = alphabets[i % 4];
        random_string(&s, a, mira_test_below(&s, 40), al);
        int c = i % 7 == 0 ? 0 : (unsigned char)al[mira_test_below(&s, strlen(al))];
        if (i % 5 == 0)
            c = (signed char)c; /* negative for bytes >= 0x80 */
        assert_ptr_equal(mira_guest_strchr(a, c), strchr(a, c));
        assert_ptr_equal(mira_guest_strrchr(a, c), strrchr(a, c));
    }
}

static void test_strcpy_strncpy_strcat(void **state)
{
    (void)state;
    unsigned long long s = 9;
    char src[BUF], x[BUF], y[BUF];
    for (int i = 0; i < 20000; i++) {
        size_t len = mira_test_below(&s, 100), o = mira_test_below(&s, 16);
        random_string(&s, src, len, alphabets[i % 4]);
        fill_random(&s, (unsigned char *)x, BUF);
        memcpy(y, x, BUF);
        switch (i % 3) {
        case 0:
            assert_ptr_equal(mira_guest_strcpy(x + o, src), x + o);
            strcpy(y + o, src);
            break;
        case 1: { /* n below, at and above the length: unterminated, padded */
            size_t n = mira_test_below(&s, 130);
            assert_ptr_equal(mira_guest_strncpy(x + o, src, n), x + o);
#pragma GCC diagnostic push /* truncation is what is tested */
#pragma GCC diagnostic ignored "-Wstringop-truncation"
            strncpy(y + o, src, n);
#pragma GCC diagnostic pop
            break;
        }
        default: {
            size_t l0 = mira_test_below(&s, 100);
            random_string(&s, x + o, l0, alphabets[(i + 1) % 4]);
            memcpy(y, x, BUF);
            assert_ptr_equal(mira_guest_strcat(x + o, src), x + o);
            strcat(y + o, src);
        }
        }
        assert_memory_equal(x, y, BUF);
    }
    char z[4] = {'q', 'q', 'q', 'q'};
    mira_guest_strncpy(z, "abc", 0);
    assert_memory_equal(z, "qqqq", 4);
}

static void test_strstr(void **state)
{
    (void)state;
    unsigned long long s = 10;
    char h[64], n[16];
    const char *t = "abc";
    assert_ptr_equal(mira_guest_strstr(t, ""), t);
    assert_ptr_equal(mira_guest_strstr("", ""), strstr("", ""));
    assert_null(mira_guest_strstr("", "a"));
    assert_null(mira_guest_strstr("ab", "abc"));
    assert_ptr_equal(mira_guest_strstr(t, "bc"), t + 1);
    for (int i = 0; i < 30000; i++) {
        const char *al = i % 2 ? "ab" : "aab\xff";
        random_string(&s, h, mira_test_below(&s, 40), al);
        random_string(&s, n, mira_test_below(&s, 6), al);
        assert_ptr_equal(mira_guest_strstr(h, n), strstr(h, n));
    }
}

static void test_strdup_strndup(void **state)
{
    (void)state;
    unsigned long long s = 11;
    char a[BUF];
    for (int i = 0; i < 2000; i++) {
        size_t len = mira_test_below(&s, 300);
        random_string(&s, a, len, alphabets[i % 4]);
        char *d = mira_guest_strdup(a);
        assert_non_null(d);
        assert_ptr_not_equal(d, a);
        assert_string_equal(d, a);
        size_t n = mira_test_below(&s, 320);
        char *e = mira_guest_strndup(a, n);
        char *f = strndup(a, n);
        assert_non_null(e);
        assert_string_equal(e, f);
        mira_guest_free(d);
        mira_guest_free(e);
        free(f);
    }
    /* strndup of an unterminated block reads n bytes only. */
    char *p = malloc(8);
    memset(p, 'k', 8);
    char *e = mira_guest_strndup(p, 8);
    assert_string_equal(e, "kkkkkkkk");
    mira_guest_free(e);
    free(p);
}

static void test_strspn_strcspn(void **state)
{
    (void)state;
    unsigned long long s = 12;
    char a[64], set[8];
    assert_int_equal(mira_guest_strspn("abc", ""), 0);
    assert_int_equal(mira_guest_strcspn("abc", ""), 3);
    assert_int_equal(mira_guest_strspn("", "a"), 0);
    assert_int_equal(mira_guest_strcspn("", "a"), 0);
    for (int i = 0; i < 30000; i++) {
        const char *al = alphabets[i % 4];
        random_string(&s, a, mira_test_below(&s, 30), al);
        random_string(&s, set, mira_test_below(&s, 4), al);
        assert_int_equal(mira_guest_strspn(a, set), strspn(a, set));
        assert_int_equal(mira_guest_strcspn(a, set), strcspn(a, set));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memcpy),
        cmocka_unit_test(test_memmove),
        cmocka_unit_test(test_memset),
        cmocka_unit_test(test_memcmp),
        cmocka_unit_test(test_memchr),
        cmocka_unit_test(test_strlen_strnlen),
        cmocka_unit_test(test_strcmp_strncmp),
        cmocka_unit_test(test_strchr_strrchr),
        cmocka_unit_test(test_strcpy_strncpy_strcat),
        cmocka_unit_test(test_strstr),
        cmocka_unit_test(test_strdup_strndup),
        cmocka_unit_test(test_strspn_strcspn),
    };
    return cmocka_run_group_tests_name("libc-string", tests, NULL, NULL);
}
