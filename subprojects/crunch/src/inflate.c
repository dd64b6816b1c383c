/* inflate.c - a raw deflate decoder (see inflate.h).  Canonical Huffman
 * codes are decoded a bit at a time from count/symbol tables, which keeps
 * the code short and every table index provably in range; the whole block
 * is in memory, so back-references read the output itself (no window).
 * It accepts what zlib's inflate accepts and refuses what zlib refuses
 * (tests/test_inflate.c compares the two). */
#include <string.h>
#include <mira/error.h>

#include "inflate.h"

#define MAXBITS 15    /* longest code */
#define MAXLCODES 286 /* literal/length codes */
#define MAXDCODES 30  /* distance codes */
#define MAXCODES (MAXLCODES + MAXDCODES)
#define FIXLCODES 288 /* literal/length codes of the fixed table */

struct in_state {
    const uint8_t *in;
    size_t inlen, incnt;
    uint32_t bitbuf; /* bits not used yet, least significant first */
    int bitcnt;
    uint8_t *out;
    size_t outlen, outcnt;
};

struct huffman {
    short *count;  /* codes of each length, [0..MAXBITS] */
    short *symbol; /* symbols in canonical order */
};

/* need (at most 16) bits, least significant first; -1 past the input. */
static int bits(struct in_state *s, int need)
{
    uint32_t val = s->bitbuf;
    while (s->bitcnt < need) {
        if (s->incnt == s->inlen)
            return -1;
        val |= (uint32_t)s->in[s->incnt++] << s->bitcnt;
        s->bitcnt += 8;
    }
    s->bitbuf = val >> need;
    s->bitcnt -= need;
    return (int)(val & ((1u << need) - 1));
}

/* A stored block: LEN, NLEN, LEN bytes. */
static int stored(struct in_state *s)
{
    s->bitbuf = 0; /* to the byte boundary */
    s->bitcnt = 0;
    if (s->inlen - s->incnt < 4)
        return -1;
    unsigned len = s->in[s->incnt] | (unsigned)s->in[s->incnt + 1] << 8;
    unsigned nlen = s->in[s->incnt + 2] | (unsigned)s->in[s->incnt + 3] << 8;
    s->incnt += 4;
    if (len != (~nlen & 0xffffu))
        return -1;
    if (s->inlen - s->incnt < len || s->outlen - s->outcnt < len)
        return -1;
    memcpy(s->out + s->outcnt, s->in + s->incnt, len);
    s->incnt += len;
    s->outcnt += len;
    return 0;
}

/* The next symbol of code h; -1 past the input or on an unused code. */
static int decode(struct in_state *s, const struct huffman *h)
{
    int code = 0, first = 0, index = 0;
    for (int len = 1; len <= MAXBITS; len++) {
        int b = bits(s, 1);
        if (b < 0)
            return -1;
        code |= b;
        int count = h->count[len];
        if (code - count < first)
            return h->symbol[index + (code - first)];
        index += count;
        first += count;
        first <<= 1;
        code <<= 1;
    }
    return -1;
}

/* Builds h from n code lengths (each 0..MAXBITS).  Returns 0 for a
 * complete code, > 0 for an incomplete one, < 0 for an over-subscribed one. */
static int construct(struct huffman *h, const short *length, int n)
{
    short offs[MAXBITS + 1];
    for (int len = 0; len <= MAXBITS; len++)
        h->count[len] = 0;
    for (int sym = 0; sym < n; sym++)
        h->count[length[sym]]++;
    if (h->count[0] == n)
        return 0; /* no codes: decoding any symbol fails */
    int left = 1;
    for (int len = 1; len <= MAXBITS; len++) {
        left <<= 1;
        left -= h->count[len];
        if (left < 0)
            return left;
    }
    offs[1] = 0;
    for (int len = 1; len < MAXBITS; len++)
        offs[len + 1] = (short)(offs[len] + h->count[len]);
    for (int sym = 0; sym < n; sym++)
        if (length[sym] != 0)
            h->symbol[offs[length[sym]]++] = (short)sym;
    return left;
}

static const short len_base[29] = {
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
    35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258 };
static const short len_extra[29] = {
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
    3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 };
static const short dist_base[30] = {
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
    257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
    8193, 12289, 16385, 24577 };
static const short dist_extra[30] = {
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
    7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13 };

/* The literals and matches of a compressed block, up to end-of-block. */
static int codes(struct in_state *s, const struct huffman *lencode,
                 const struct huffman *distcode)
{
    for (;;) {
        int sym = decode(s, lencode);
        if (sym < 0)
            return -1;
        if (sym < 256) {
            if (s->outcnt == s->outlen)
                return -1;
            s->out[s->outcnt++] = (uint8_t)sym;
            continue;
        }
        if (sym == 256)
            return 0;
        sym -= 257;
        if (sym >= 29)
            return -1; /* 286 and 287 are not lengths */
        int extra = bits(s, len_extra[sym]);
        if (extra < 0)
            return -1;
        size_t len = (size_t)(len_base[sym] + extra);
        int dsym = decode(s, distcode);
        if (dsym < 0 || dsym >= 30)
            return -1;
        extra = bits(s, dist_extra[dsym]);
        if (extra < 0)
            return -1;
        size_t dist = (size_t)(dist_base[dsym] + extra);
        if (dist > s->outcnt || s->outlen - s->outcnt < len)
            return -1;
        /* Byte by byte: a match may overlap what it writes. */
        for (size_t i = 0; i < len; i++, s->outcnt++)
            s->out[s->outcnt] = s->out[s->outcnt - dist];
    }
}

static int fixed(struct in_state *s)
{
    short lcount[MAXBITS + 1], lsymbol[FIXLCODES];
    short dcount[MAXBITS + 1], dsymbol[MAXDCODES + 2];
    struct huffman lencode = { lcount, lsymbol }, distcode = { dcount, dsymbol };
    short lengths[FIXLCODES];
    int sym = 0;
    for (; sym < 144; sym++)
        lengths[sym] = 8;
    for (; sym < 256; sym++)
        lengths[sym] = 9;
    for (; sym < 280; sym++)
        lengths[sym] = 7;
    for (; sym < FIXLCODES; sym++)
        lengths[sym] = 8;
    construct(&lencode, lengths, FIXLCODES);
    for (sym = 0; sym < MAXDCODES + 2; sym++)
        lengths[sym] = 5; /* 30 and 31 decode, and are refused in codes() */
    construct(&distcode, lengths, MAXDCODES + 2);
    return codes(s, &lencode, &distcode);
}

static int dynamic(struct in_state *s)
{
    static const short order[19] = {
        16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15 };
    short lengths[MAXCODES];
    short lcount[MAXBITS + 1], lsymbol[MAXLCODES];
    short dcount[MAXBITS + 1], dsymbol[MAXDCODES];
    struct huffman lencode = { lcount, lsymbol }, distcode = { dcount, dsymbol };

    int nlen = bits(s, 5), ndist = bits(s, 5), ncode = bits(s, 4);
    if (nlen < 0 || ndist < 0 || ncode < 0)
        return -1;
    nlen += 257;
    ndist += 1;
    ncode += 4;
    if (nlen > MAXLCODES || ndist > MAXDCODES)
        return -1;
    int index;
    for (index = 0; index < ncode; index++) {
        int b = bits(s, 3);
        if (b < 0)
            return -1;
        lengths[order[index]] = (short)b;
    }
    for (; index < 19; index++)
        lengths[order[index]] = 0;
    /* The code-length code must be complete. */
    if (construct(&lencode, lengths, 19) != 0)
        return -1;

    index = 0;
    while (index < nlen + ndist) {
        int sym = decode(s, &lencode);
        if (sym < 0)
            return -1;
        if (sym < 16) {
            lengths[index++] = (short)sym;
            continue;
        }
        short len = 0;
        int rep;
        if (sym == 16) {
            if (index == 0)
                return -1; /* nothing to repeat */
            len = lengths[index - 1];
            rep = bits(s, 2);
            rep = rep < 0 ? -1 : 3 + rep;
        } else if (sym == 17) {
            rep = bits(s, 3);
            rep = rep < 0 ? -1 : 3 + rep;
        } else {
            rep = bits(s, 7);
            rep = rep < 0 ? -1 : 11 + rep;
        }
        if (rep < 0 || index + rep > nlen + ndist)
            return -1;
        while (rep--)
            lengths[index++] = len;
    }
    if (lengths[256] == 0)
        return -1; /* no end-of-block code */
    /* Incomplete codes only with a single code of one bit (as zlib). */
    int err = construct(&lencode, lengths, nlen);
    if (err < 0 || (err > 0 && nlen != lencode.count[0] + lencode.count[1]))
        return -1;
    err = construct(&distcode, lengths + nlen, ndist);
    if (err < 0 || (err > 0 && ndist != distcode.count[0] + distcode.count[1]))
        return -1;
    return codes(s, &lencode, &distcode);
}

int crunch_inflate(const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen)
{
    struct in_state s = { .in = in, .inlen = inlen, .out = out, .outlen = outlen };
    int last;
    do {
        last = bits(&s, 1);
        int type = bits(&s, 2);
        if (last < 0 || type < 0)
            return MIRA_ECORRUPT;
        int err = type == 0 ? stored(&s) : type == 1 ? fixed(&s) : type == 2 ? dynamic(&s) : -1;
        if (err < 0)
            return MIRA_ECORRUPT;
    } while (!last);
    if (s.outcnt != outlen || s.incnt != inlen)
        return MIRA_ECORRUPT;
    return 0;
}
