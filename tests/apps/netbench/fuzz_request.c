/* fuzz_request.c - netbench's chargen request parser and its pattern
 * (tests/apps/netbench/pattern.h), as a libFuzzer target whose corpus the
 * unit suite replays (netbench-request-corpus).
 *
 * The input's first byte splits it: the rest, up to the first newline, is
 * a request, parsed by netbench_parse_count and by a reference here
 * (every byte a digit, 1 to 20 of them, the value by 128-bit arithmetic
 * at most 2^64 - 1): same verdict, same count.  Then the pattern: bytes
 * filled from an offset the input picks, in pieces the input sizes, must
 * equal those filled in one piece, and each must be byte (i mod 8) of
 * i / 8. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pattern.h"

static void check_parse(const char *s, size_t n)
{
    unsigned long long got = 0;
    bool ok = netbench_parse_count(s, n, &got);
    bool want_ok = n >= 1 && n <= 20;
    unsigned __int128 v = 0;
    for (size_t i = 0; want_ok && i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            want_ok = false;
        else
            v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (want_ok && v > UINT64_MAX)
        want_ok = false;
    if (ok != want_ok || (ok && got != (unsigned long long)v))
        abort();
}

static void check_pattern(const uint8_t *d, size_t n)
{
    static uint8_t whole[4096], piece[4096];
    uint64_t at = 0;
    for (size_t i = 0; i < 8 && i < n; i++)
        at = at << 8 | d[i];
    at &= ~(uint64_t)0 >> 1; /* a stream offset: far from wrapping */
    size_t len = n > 8 ? d[8] * 16u + (n > 9 ? d[9] % 16u : 0) : 100;
    netbench_pattern_fill(whole, at, len);
    for (size_t i = 0; i < len; i++)
        if (whole[i] != (uint8_t)(((at + i) >> 3) >> (8 * ((at + i) & 7))))
            abort();
    size_t off = 0, k = 10;
    while (off < len) {
        size_t step = k < n ? d[k++] % 23u + 1 : len - off;
        if (step > len - off)
            step = len - off;
        netbench_pattern_fill(piece + off, at + off, step);
        off += step;
    }
    if (memcmp(whole, piece, len) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *req = (const char *)data + 1;
    size_t n = size - 1;
    const char *nl = memchr(req, '\n', n);
    check_parse(req, nl ? (size_t)(nl - req) : n);
    check_pattern(data + 1, size - 1);
    return 0;
}
