/* chacha20.h - the ChaCha20 block function (RFC 8439, section 2.3), used as
 * a keystream generator where a platform has no better randomness. */
#ifndef MIRA_CHACHA20_H
#define MIRA_CHACHA20_H

#include <stdint.h>

/* Writes the 64-byte block for key[8] (32 bytes, as little-endian words),
 * block counter counter and nonce[3] to out. */
void mira_chacha20_block(const uint32_t key[8], uint32_t counter,
                         const uint32_t nonce[3], uint8_t out[64]);

#endif
