/* inflate.h - a raw deflate (RFC 1951) decoder for one block of a crunch
 * image, freestanding (no allocation, no libc beyond memcpy), written for
 * the guest, which has no zlib (see docs/architecture.md, key/value
 * stores).  Pure: reads only in[0..inlen), writes only out[0..outlen). */
#ifndef CRUNCH_INFLATE_H
#define CRUNCH_INFLATE_H

#include <stddef.h>
#include <stdint.h>

/* crunch_inflate: decodes the raw deflate stream in[0..inlen) into out.
 * Returns 0 when the stream is valid, decodes to exactly outlen bytes and
 * ends in the last byte of in (only padding bits after its final block);
 * otherwise MIRA_ECORRUPT (a malformed stream, one that is too short, too
 * long, or decodes to another length).  out's contents are unspecified
 * after a failure. */
int crunch_inflate(const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen);

#endif
