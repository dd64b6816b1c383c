/*
 * mira/byteorder.h - network (big-endian) byte order for wire formats.
 *
 * mira_hton* / mira_ntoh* convert between the CPU's order and network
 * order; mira_load_be* / mira_store_be* read and write big-endian fields at
 * any byte address (packet headers are not always aligned), without
 * undefined behaviour.  All are inline, freestanding and cannot fail.
 */
#ifndef MIRA_BYTEORDER_H
#define MIRA_BYTEORDER_H

#include <stdint.h>

#if !defined(__BYTE_ORDER__) || !defined(__ORDER_LITTLE_ENDIAN__)
#error "mira/byteorder.h needs the compiler's __BYTE_ORDER__ (GCC or clang)"
#endif

/* mira_bswap16 / mira_bswap32: x with its bytes reversed. */
static inline uint16_t mira_bswap16(uint16_t x)
{
    return (uint16_t)((x >> 8) | (x << 8));
}

static inline uint32_t mira_bswap32(uint32_t x)
{
    return (x >> 24) | ((x >> 8) & 0xff00u) | ((x << 8) & 0xff0000u) | (x << 24);
}

/* mira_htons / mira_htonl: host order to network order. */
static inline uint16_t mira_htons(uint16_t x)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return mira_bswap16(x);
#else
    return x;
#endif
}

static inline uint32_t mira_htonl(uint32_t x)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return mira_bswap32(x);
#else
    return x;
#endif
}

/* mira_ntohs / mira_ntohl: network order to host order. */
static inline uint16_t mira_ntohs(uint16_t x)
{
    return mira_htons(x);
}

static inline uint32_t mira_ntohl(uint32_t x)
{
    return mira_htonl(x);
}

/* mira_load_be16 / mira_load_be32: the big-endian number at p. */
static inline uint16_t mira_load_be16(const void *p)
{
    const uint8_t *b = (const uint8_t *)p;
    return (uint16_t)((b[0] << 8) | b[1]);
}

static inline uint32_t mira_load_be32(const void *p)
{
    const uint8_t *b = (const uint8_t *)p;
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
           ((uint32_t)b[2] << 8) | b[3];
}

/* mira_store_be16 / mira_store_be32: writes v big-endian at p. */
static inline void mira_store_be16(void *p, uint16_t v)
{
    uint8_t *b = (uint8_t *)p;
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

static inline void mira_store_be32(void *p, uint32_t v)
{
    uint8_t *b = (uint8_t *)p;
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

#endif
