/* tests/apps/netbench/pattern.h: netbench's chargen pattern and request,
 * shared by the app and the Linux tool that speaks the same protocol
 * (tests/bench/nbtool.c), so both sides send the same bytes.
 *
 * Byte i of the stream is byte (i mod 8) of the 64-bit little-endian
 * number i / 8: consecutive 8-byte counters 0, 1, 2, ...  No piece of it
 * repeats, so data delivered twice or out of place changes its sha256.
 *
 * The request: a decimal count (1 to 20 digits, nothing else, at most
 * 2^64 - 1) then a newline. */
#ifndef NETBENCH_PATTERN_H
#define NETBENCH_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* netbench_pattern_fill: buf[0..len) = the pattern's bytes from stream
 * offset `at` on. */
static inline void netbench_pattern_fill(uint8_t *buf, uint64_t at, size_t len)
{
    size_t i = 0;
    /* The first counter's bytes from `at` on, then whole counters. */
    while (i < len && ((at + i) & 7) != 0) {
        buf[i] = (uint8_t)(((at + i) >> 3) >> (8 * ((at + i) & 7)));
        i++;
    }
    uint64_t k = (at + i) >> 3;
    for (; i + 8 <= len; i += 8, k++)
        for (int b = 0; b < 8; b++)
            buf[i + (size_t)b] = (uint8_t)(k >> (8 * b));
    for (int b = 0; i < len; i++, b++)
        buf[i] = (uint8_t)(k >> (8 * b));
}

/* netbench_parse_count: the request's count from its n characters before
 * the newline into *count; false when they are not 1 to 20 decimal digits
 * or the number passes 2^64 - 1. */
static inline bool netbench_parse_count(const char *s, size_t n, unsigned long long *count)
{
    if (n == 0 || n > 20)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *count = v;
    return true;
}

#endif
