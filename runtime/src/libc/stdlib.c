/* stdlib.c - the guest libc's conversions, qsort, abort and exit. */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <mira/log.h>
#include "../platform.h"

/* The guest is LP64: long is long long, so strtol and strtoul are
 * strtoll and strtoull. */
_Static_assert(sizeof(long) == sizeof(long long), "LP64 expected");

/* Parses an optionally signed integer in base (0: from its prefix, or
 * 2..36) after white space.  Returns its magnitude, and in *neg its sign;
 * *overflow is set when the magnitude exceeds ULLONG_MAX (the digits are
 * still consumed).  *end (if end) receives the first character not used,
 * or s when there is no number or base is not one C defines.  The guest
 * has no errno: callers clamp out-of-range results as C specifies. */
static unsigned long long parse_u(const char *s, char **end, int base,
                                  int *neg, int *overflow)
{
    const char *p = s;
    *neg = 0;
    *overflow = 0;
    if (base < 0 || base == 1 || base > 36) {
        if (end)
            *end = (char *)s;
        return 0;
    }
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '-' || *p == '+')
        *neg = *p++ == '-';
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')
        && isxdigit((unsigned char)p[2])) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }
    unsigned long long v = 0;
    const char *digits = p;
    for (;; p++) {
        unsigned d;
        if (isdigit((unsigned char)*p))
            d = (unsigned)(*p - '0');
        else if (isalpha((unsigned char)*p))
            d = (unsigned)(tolower((unsigned char)*p) - 'a' + 10);
        else
            break;
        if (d >= (unsigned)base)
            break;
        if (v > (ULLONG_MAX - d) / (unsigned)base)
            *overflow = 1;
        else
            v = v * (unsigned)base + d;
    }
    if (end)
        *end = (char *)(p == digits ? s : p);
    return v;
}

/* Out of range: ULLONG_MAX.  A negative number is negated in unsigned
 * arithmetic, as C specifies ("-1" is ULLONG_MAX). */
unsigned long long strtoull(const char *s, char **end, int base)
{
    int neg, overflow;
    unsigned long long v = parse_u(s, end, base, &neg, &overflow);
    if (overflow)
        return ULLONG_MAX;
    return neg ? -v : v;
}

/* Out of range: LLONG_MAX or LLONG_MIN. */
long long strtoll(const char *s, char **end, int base)
{
    int neg, overflow;
    unsigned long long v = parse_u(s, end, base, &neg, &overflow);
    if (neg) {
        if (overflow || v >= (unsigned long long)LLONG_MAX + 1)
            return LLONG_MIN;
        return -(long long)v;
    }
    if (overflow || v > (unsigned long long)LLONG_MAX)
        return LLONG_MAX;
    return (long long)v;
}

unsigned long strtoul(const char *s, char **end, int base)
{
    return (unsigned long)strtoull(s, end, base);
}

long strtol(const char *s, char **end, int base)
{
    return (long)strtoll(s, end, base);
}

int atoi(const char *s)
{
    return (int)strtol(s, NULL, 10);
}

int abs(int x) { return x < 0 ? -x : x; }
long labs(long x) { return x < 0 ? -x : x; }

static void swap_bytes(char *a, char *b, size_t n)
{
    while (n--) {
        char t = *a;
        *a++ = *b;
        *b++ = t;
    }
}

/* An insertion sort: qsort's inputs in a unikernel are small. */
void qsort(void *base, size_t n, size_t size,
           int (*cmp)(const void *, const void *))
{
    char *b = base;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && cmp(b + (j - 1) * size, b + j * size) > 0; j--)
            swap_bytes(b + (j - 1) * size, b + j * size, size);
}

_Noreturn void abort(void)
{
    mira_panic("abort() called");
}

_Noreturn void exit(int status)
{
    mira_platform_exit(status & 255);
}

_Noreturn void mira_libc_assert_fail(const char *expr, const char *file,
                                     int line, const char *func)
{
    mira_panic("assertion failed: %s (%s:%d, %s)", expr, file, line, func);
}
