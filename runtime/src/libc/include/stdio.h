/* stdio.h - the Mira xen guest's libc: formatting only (no FILE streams).
 * printf writes on the runtime's diagnostic channel. The conversions are
 * those of mira/format.h (no floating point). */
#ifndef MIRA_LIBC_STDIO_H
#define MIRA_LIBC_STDIO_H

#include <stdarg.h>
#include <stddef.h>

#define EOF (-1)

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
    __attribute__((format(printf, 3, 4)));
int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt,
              va_list ap);
int sprintf(char *restrict buf, const char *restrict fmt, ...)
    __attribute__((format(printf, 2, 3)));
int printf(const char *restrict fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *restrict fmt, va_list ap);
int puts(const char *s);
int putchar(int c);

#endif
