/* bench_csum.c - mira_csum_partial against the word-at-a-time RFC 1071
 * loop, on 1500-byte packets at an odd address, in the same run.  Prints
 * one BENCH line (the ratio: reference time / mira time); never asserts
 * on time. */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <mira/tcpip/csum.h>

static uint16_t reference(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    static uint8_t buf[1501];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 131 + 7);
    const int rounds = 400000;
    volatile uint32_t sink = 0;
    double t0 = now();
    for (int i = 0; i < rounds; i++) {
        buf[1] = (uint8_t)i; /* keeps the compiler from hoisting the sum */
        sink += reference(buf + 1, 1500);
    }
    double t1 = now();
    for (int i = 0; i < rounds; i++) {
        buf[1] = (uint8_t)i;
        sink += mira_csum_partial(buf + 1, 1500, 0);
    }
    double t2 = now();
    double ref = (t1 - t0) / rounds * 1e9, mira = (t2 - t1) / rounds * 1e9;
    printf("BENCH {\"name\": \"tcpip-csum-1500\", \"mira\": %.1f, \"reference\": %.1f, \"unit\": \"ns\", "
           "\"ratio\": %.2f, \"goal\": 2.0}\n", mira, ref, ref / mira);
    return sink == 0xdeadbeef; /* never: uses sink */
}
