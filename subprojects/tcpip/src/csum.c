/* csum.c - the internet checksum, 8 bytes at a time.  See mira/tcpip/csum.h. */
#include <mira/tcpip/csum.h>

#include <string.h>

/* Folds a 64-bit ones'-complement accumulator to 16 bits. */
static uint32_t fold64(uint64_t acc)
{
    acc = (acc & 0xffffffffu) + (acc >> 32);
    acc = (acc & 0xffffffffu) + (acc >> 32);
    acc = (acc & 0xffffu) + (acc >> 16);
    acc = (acc & 0xffffu) + (acc >> 16);
    acc = (acc & 0xffffu) + (acc >> 16);
    return (uint32_t)acc;
}

static uint32_t swap16(uint32_t x)
{
    return ((x & 0xffu) << 8) | (x >> 8);
}

/* The sum is byte-order independent (RFC 1071 2(B)): words are added in the
 * CPU's order and the folded result swapped once at the end on a
 * little-endian CPU.  Loads go through memcpy, so any alignment is fine. */
uint32_t mira_csum_partial(const void *p, size_t n, uint32_t sum)
{
    const uint8_t *b = p;
    uint64_t acc = 0;

    while (n >= 32) {
        uint64_t w[4];
        memcpy(w, b, 32);
        for (int i = 0; i < 4; i++) {
            acc += w[i];
            acc += acc < w[i]; /* end-around carry */
        }
        b += 32;
        n -= 32;
    }
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, b, 8);
        acc += w;
        acc += acc < w;
        b += 8;
        n -= 8;
    }
    if (n >= 4) {
        uint32_t w;
        memcpy(&w, b, 4);
        acc += w;
        acc += acc < w;
        b += 4;
        n -= 4;
    }
    if (n >= 2) {
        uint16_t w;
        memcpy(&w, b, 2);
        acc += w;
        acc += acc < w;
        b += 2;
        n -= 2;
    }
    if (n == 1) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        uint64_t w = b[0];
#else
        uint64_t w = (uint64_t)b[0] << 8;
#endif
        acc += w;
        acc += acc < w;
    }
    uint32_t s = fold64(acc);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    s = swap16(s);
#endif
    return mira_csum_add(sum, s);
}

uint32_t mira_csum_partial_at(const void *p, size_t n, size_t offset, uint32_t sum)
{
    uint32_t s = mira_csum_partial(p, n, 0);
    /* Starting at an odd offset, every byte sits in the other half of its
     * word: the piece's sum is the byte-swapped one. */
    if (offset & 1)
        s = swap16(s);
    return mira_csum_add(sum, s);
}

uint32_t mira_csum_add(uint32_t a, uint32_t b)
{
    uint64_t s = (uint64_t)a + b;
    return fold64(s);
}

uint16_t mira_csum_finish(uint32_t sum)
{
    return (uint16_t)~fold64(sum);
}

uint32_t mira_csum_pseudo_ipv4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t length)
{
    uint64_t s = (uint64_t)(src >> 16) + (src & 0xffffu) + (dst >> 16) + (dst & 0xffffu) +
                 proto + length;
    return fold64(s);
}

uint16_t mira_csum_update16(uint16_t check, uint16_t old_word, uint16_t new_word)
{
    uint64_t s = (uint64_t)(uint16_t)~check + (uint16_t)~old_word + new_word;
    return (uint16_t)~fold64(s);
}

uint16_t mira_csum_update32(uint16_t check, uint32_t old_value, uint32_t new_value)
{
    uint16_t c = mira_csum_update16(check, (uint16_t)(old_value >> 16), (uint16_t)(new_value >> 16));
    return mira_csum_update16(c, (uint16_t)old_value, (uint16_t)new_value);
}
