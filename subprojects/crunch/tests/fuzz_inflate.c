/* fuzz_inflate.c - libFuzzer target for the inflater, differential against
 * zlib.  Input: a little-endian u16, the length the stream must decode to,
 * then the raw deflate stream.  crunch_inflate must never touch memory
 * outside its buffers (ASan, valgrind), and must agree with zlib: it
 * accepts exactly the streams that zlib decodes to that length, ending at
 * the end of the input, and produces the same bytes.  Without libFuzzer
 * the corpus is replayed (tests/replay.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../src/inflate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* zlib's verdict: 0 and the bytes, or -1. */
static int zlib_inflate(const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen)
{
    z_stream zs = { 0 };
    if (inflateInit2(&zs, -15) != Z_OK)
        abort();
    uint8_t spare;
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)inlen;
    zs.next_out = outlen ? out : &spare;
    zs.avail_out = (uInt)outlen;
    int r = inflate(&zs, Z_FINISH);
    int ok = r == Z_STREAM_END && zs.avail_out == 0 && zs.avail_in == 0;
    inflateEnd(&zs);
    return ok ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t outlen = (size_t)data[0] | (size_t)data[1] << 8;
    /* Exact-size heap buffers, so an overrun shows. */
    uint8_t *ours = malloc(outlen ? outlen : 1), *theirs = malloc(outlen ? outlen : 1);
    uint8_t *in = malloc(size - 2 ? size - 2 : 1);
    if (ours == NULL || theirs == NULL || in == NULL)
        abort();
    memcpy(in, data + 2, size - 2);
    int a = crunch_inflate(in, size - 2, ours, outlen);
    int b = zlib_inflate(in, size - 2, theirs, outlen);
    if ((a == 0) != (b == 0)) {
        fprintf(stderr, "crunch_inflate says %d, zlib %d\n", a, b);
        abort();
    }
    if (a == 0 && memcmp(ours, theirs, outlen) != 0) {
        fprintf(stderr, "crunch_inflate and zlib decode differently\n");
        abort();
    }
    free(ours);
    free(theirs);
    free(in);
    return 0;
}
