/* test_inflate.c - the inflater against zlib, the reference, in the same
 * process: zlib deflates, crunch_inflate must give the bytes back, for
 * every level and strategy and several kinds of data; and it refuses what
 * is not exactly one stream of the expected length. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>
#include <mira/error.h>

#include "../src/inflate.h"

/* splitmix64: fixed-seed data. */
static uint64_t seed = 42;
static uint64_t next(void)
{
    uint64_t z = (seed += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

enum kind { ZEROS, TEXT, RANDOM, MIXED, KINDS };

static void fill(uint8_t *p, size_t n, enum kind k)
{
    static const char *words[] = { "all ", "work ", "and ", "no ", "play\n", "makes ", "Jack " };
    for (size_t i = 0; i < n; i++) {
        switch (k) {
        case ZEROS: p[i] = 0; break;
        case RANDOM: p[i] = (uint8_t)next(); break;
        case TEXT: {
            const char *w = words[next() % 7];
            for (; *w && i < n; w++)
                p[i++] = (uint8_t)*w;
            i--;
            break;
        }
        case MIXED: p[i] = (i / 1000) % 2 ? (uint8_t)next() : (uint8_t)(i % 7); break;
        default: break;
        }
    }
}

static size_t zdeflate(const uint8_t *in, size_t n, uint8_t *out, size_t cap, int level,
                       int strategy)
{
    z_stream zs = { 0 };
    assert_int_equal(deflateInit2(&zs, level, Z_DEFLATED, -15, 8, strategy), Z_OK);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    size_t len = cap - zs.avail_out;
    deflateEnd(&zs);
    return len;
}

static void test_round_trips(void **state)
{
    (void)state;
    static const size_t sizes[] = { 0, 1, 100, 4097, 65536 };
    static const int levels[] = { 0, 1, 6, 9 };
    static const int strategies[] = { Z_DEFAULT_STRATEGY, Z_FILTERED, Z_HUFFMAN_ONLY, Z_RLE, Z_FIXED };
    uint8_t *raw = malloc(65536), *packed = malloc(80000), *out = malloc(65536);
    int runs = 0;
    for (int k = 0; k < KINDS; k++)
        for (size_t s = 0; s < 5; s++)
            for (size_t l = 0; l < 4; l++)
                for (size_t g = 0; g < 5; g++) {
                    fill(raw, sizes[s], (enum kind)k);
                    size_t plen = zdeflate(raw, sizes[s], packed, 80000, levels[l], strategies[g]);
                    memset(out, 0xaa, 65536);
                    assert_int_equal(crunch_inflate(packed, plen, out, sizes[s]), 0);
                    if (sizes[s])
                        assert_memory_equal(out, raw, sizes[s]);
                    runs++;
                }
    assert_int_equal(runs, 4 * 5 * 4 * 5);
    free(raw);
    free(packed);
    free(out);
}

/* Every prefix of a stream is refused, as is a byte more, and an expected
 * length one off either way. */
static void test_wrong_lengths(void **state)
{
    (void)state;
    uint8_t raw[3000], packed[4000], out[3001];
    fill(raw, sizeof(raw), TEXT);
    size_t plen = zdeflate(raw, sizeof(raw), packed, sizeof(packed), 9, Z_DEFAULT_STRATEGY);
    for (size_t n = 0; n < plen; n++)
        assert_int_equal(crunch_inflate(packed, n, out, sizeof(raw)), MIRA_ECORRUPT);
    packed[plen] = 0;
    assert_int_equal(crunch_inflate(packed, plen + 1, out, sizeof(raw)), MIRA_ECORRUPT);
    assert_int_equal(crunch_inflate(packed, plen, out, sizeof(raw) - 1), MIRA_ECORRUPT);
    assert_int_equal(crunch_inflate(packed, plen, out, sizeof(raw) + 1), MIRA_ECORRUPT);
    assert_int_equal(crunch_inflate(packed, plen, out, sizeof(raw)), 0);
}

static int zinflate_ok(const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen)
{
    z_stream zs = { 0 };
    assert_int_equal(inflateInit2(&zs, -15), Z_OK);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)inlen;
    zs.next_out = out;
    zs.avail_out = (uInt)outlen;
    int r = inflate(&zs, Z_FINISH);
    int ok = r == Z_STREAM_END && zs.avail_out == 0 && zs.avail_in == 0;
    inflateEnd(&zs);
    return ok;
}

/* Every single-bit corruption of a fixed and a dynamic stream: accepted
 * exactly when zlib accepts it, with the same bytes. */
static void test_bit_flips_agree_with_zlib(void **state)
{
    (void)state;
    static const int strategies[] = { Z_FIXED, Z_DEFAULT_STRATEGY };
    uint8_t raw[600], packed[1000], ours[600], theirs[600];
    int refused = 0;
    for (int s = 0; s < 2; s++) {
        fill(raw, sizeof(raw), TEXT);
        size_t plen = zdeflate(raw, sizeof(raw), packed, sizeof(packed), 9, strategies[s]);
        for (size_t bit = 0; bit < plen * 8; bit++) {
            packed[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            int a = crunch_inflate(packed, plen, ours, sizeof(ours));
            int b = zinflate_ok(packed, plen, theirs, sizeof(theirs));
            assert_int_equal(a == 0, b);
            if (b)
                assert_memory_equal(ours, theirs, sizeof(ours));
            refused += a != 0;
            packed[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
    }
    assert_true(refused > 0);
}

/* Hand-made streams zlib refuses too. */
static void test_malformed(void **state)
{
    (void)state;
    uint8_t out[16];
    /* Block type 3. */
    static const uint8_t type3[] = { 0x07, 0x00 };
    assert_int_equal(crunch_inflate(type3, sizeof(type3), out, 0), MIRA_ECORRUPT);
    /* Stored, LEN 1 with a wrong NLEN. */
    static const uint8_t nlen[] = { 0x01, 0x01, 0x00, 0xff, 0xff, 'x' };
    assert_int_equal(crunch_inflate(nlen, sizeof(nlen), out, 1), MIRA_ECORRUPT);
    static const uint8_t good[] = { 0x01, 0x01, 0x00, 0xfe, 0xff, 'x' };
    assert_int_equal(crunch_inflate(good, sizeof(good), out, 1), 0);
    assert_int_equal(out[0], 'x');
    /* Fixed codes: a match of length 3 at distance 1 with no output yet
     * (too far back): bits 1,01 then length code 257 (0000001), distance 0
     * (00000), then end of block. */
    static const uint8_t far[] = { 0x03, 0x02, 0x00, 0x00 };
    assert_int_equal(crunch_inflate(far, sizeof(far), out, 3), MIRA_ECORRUPT);
    assert_false(zinflate_ok(far, sizeof(far), out, 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_wrong_lengths),
        cmocka_unit_test(test_bit_flips_agree_with_zlib),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests_name("crunch-inflate", tests, NULL, NULL);
}
