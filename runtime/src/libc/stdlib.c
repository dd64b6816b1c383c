/* stdlib.c - the guest libc's conversions, qsort, abort and exit. */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <mira/log.h>
#include "../platform.h"

static unsigned long long parse_u(const char *s, char **end, int base, int *neg)
{
    const char *p = s;
    while (isspace((unsigned char)*p))
        p++;
    *neg = 0;
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
        int d;
        if (isdigit((unsigned char)*p))
            d = *p - '0';
        else if (isalpha((unsigned char)*p))
            d = tolower((unsigned char)*p) - 'a' + 10;
        else
            break;
        if (d >= base)
            break;
        v = v * (unsigned)base + (unsigned)d;
    }
    if (end)
        *end = (char *)(p == digits ? s : p);
    return v;
}

unsigned long long strtoull(const char *s, char **end, int base)
{
    int neg;
    unsigned long long v = parse_u(s, end, base, &neg);
    return neg ? -v : v;
}

long long strtoll(const char *s, char **end, int base)
{
    int neg;
    unsigned long long v = parse_u(s, end, base, &neg);
    return neg ? -(long long)v : (long long)v;
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
