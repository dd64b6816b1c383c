/*
 * mira/format.h - the runtime's printf-style formatter, identical on every
 * target (the xen guest's libc builds its snprintf on it).
 *
 * Supported: %d %i %u %x %X %o %p %s %c %%, the flags '-' '0' '+' ' ',
 * a width and a precision (digits or '*'), and the length modifiers
 * hh h l ll z j t.  Floating point conversions are not supported and print
 * "%?" so that the mistake shows.
 */
#ifndef MIRA_FORMAT_H
#define MIRA_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/* mira_vsnprintf: formats into buf (size bytes, always NUL-terminated when
 * size > 0) and returns the length the whole result would have, as C99's
 * vsnprintf does. */
int mira_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* mira_snprintf: mira_vsnprintf with variadic arguments. */
int mira_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
