/* le.h - little-endian loads and stores at any byte address: every FAT,
 * MBR and GPT field is little-endian and many are unaligned. */
#ifndef FAT_LE_H
#define FAT_LE_H

#include <stdint.h>

static inline uint16_t fat_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t fat_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static inline uint64_t fat_le64(const uint8_t *p)
{
    return (uint64_t)fat_le32(p) | ((uint64_t)fat_le32(p + 4) << 32);
}

static inline void fat_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void fat_put32(uint8_t *p, uint32_t v)
{
    fat_put16(p, (uint16_t)v);
    fat_put16(p + 2, (uint16_t)(v >> 16));
}

static inline void fat_put64(uint8_t *p, uint64_t v)
{
    fat_put32(p, (uint32_t)v);
    fat_put32(p + 4, (uint32_t)(v >> 32));
}

#endif
