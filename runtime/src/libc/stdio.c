/* stdio.c - the guest libc's formatting on top of mira_vsnprintf. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <mira/format.h>
#include "../platform.h"

int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt,
              va_list ap)
{
    return mira_vsnprintf(buf, size, fmt, ap);
}

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = mira_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int sprintf(char *restrict buf, const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = mira_vsnprintf(buf, (size_t)1 << 30, fmt, ap);
    va_end(ap);
    return n;
}

int vprintf(const char *restrict fmt, va_list ap)
{
    char line[512];
    int n = mira_vsnprintf(line, sizeof(line), fmt, ap);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
    mira_platform_diag_write(line, len);
    return n;
}

int printf(const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int puts(const char *s)
{
    mira_platform_diag_write(s, strlen(s));
    mira_platform_diag_write("\n", 1);
    return 1;
}

int putchar(int c)
{
    char ch = (char)c;
    mira_platform_diag_write(&ch, 1);
    return (unsigned char)c;
}
