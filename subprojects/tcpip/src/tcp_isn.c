/* tcp_isn.c - RFC 6528 initial sequence numbers over SipHash-2-4
 * (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012). */
#include "tcp_isn.h"

#include <mira/byteorder.h>

static uint64_t rotl(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

static uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);                                 \
        v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;                                                     \
        v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;                                                     \
        v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);                                 \
    } while (0)

uint64_t tcp_siphash(const uint8_t key[16], const void *p, size_t n)
{
    const uint8_t *in = p;
    uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
    uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
    size_t whole = n - n % 8;
    for (size_t i = 0; i < whole; i += 8) {
        uint64_t m = load_le64(in + i);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t b = (uint64_t)n << 56;
    for (size_t i = 0; i < n % 8; i++)
        b |= (uint64_t)in[whole + i] << (8 * i);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

uint32_t tcp_isn(const uint8_t key[16], uint32_t laddr, uint16_t lport, uint32_t raddr,
                 uint16_t rport, mira_time_t now)
{
    uint8_t tuple[12];
    mira_store_be32(tuple, laddr);
    mira_store_be16(tuple + 4, lport);
    mira_store_be32(tuple + 6, raddr);
    mira_store_be16(tuple + 10, rport);
    uint32_t m = (uint32_t)((uint64_t)now / 4000); /* RFC 6528: a 4 us tick */
    return m + (uint32_t)tcp_siphash(key, tuple, sizeof(tuple));
}
