/*
 * mira/tcpip/csum.h - the internet checksum (RFC 1071), its incremental
 * update (RFC 1624) and the IPv4 pseudo-header sum for UDP and TCP.
 *
 * A "sum" here is a partial ones'-complement sum of big-endian 16-bit
 * words, kept folded to 16 bits (a uint32_t <= 0xffff), so sums of pieces
 * can be added with mira_csum_add.  The checksum field's value is
 * mira_csum_finish(sum), stored with mira_store_be16.  A packet verifies
 * when the sum over it (checksum field included) finishes to 0.
 * Pure, freestanding, cannot fail.
 */
#ifndef MIRA_TCPIP_CSUM_H
#define MIRA_TCPIP_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* mira_csum_partial: sum plus the ones'-complement sum of the n bytes at p,
 * taken as big-endian 16-bit words starting at p (an odd last byte is
 * padded with a zero byte).  p may have any alignment.  Fast path: 8 bytes
 * at a time with end-around carry. */
uint32_t mira_csum_partial(const void *p, size_t n, uint32_t sum);

/* mira_csum_partial_at: as mira_csum_partial for a piece that starts at
 * byte offset `offset` of the checksummed whole (what counts is whether it
 * is odd), so a packet split into pieces of any lengths sums correctly. */
uint32_t mira_csum_partial_at(const void *p, size_t n, size_t offset, uint32_t sum);

/* mira_csum_add: the ones'-complement sum of two sums (folded). */
uint32_t mira_csum_add(uint32_t a, uint32_t b);

/* mira_csum_finish: the checksum field value of a sum: its complement. */
uint16_t mira_csum_finish(uint32_t sum);

/* mira_csum_pseudo_ipv4: the sum of the IPv4 pseudo-header of UDP and TCP
 * (RFC 768, RFC 9293 3.1): source, destination (host order), zero,
 * protocol, and the transport length (header + data). */
uint32_t mira_csum_pseudo_ipv4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t length);

/* mira_csum_update16: the checksum field after one 16-bit word covered by
 * it changes from old_word to new_word (RFC 1624 eqn. 3,
 * HC' = ~(~HC + ~m + m')), e.g. the IPv4 header after a TTL decrement. */
uint16_t mira_csum_update16(uint16_t check, uint16_t old_word, uint16_t new_word);

/* mira_csum_update32: as mira_csum_update16 for a 32-bit field (an
 * address), word-aligned in the checksummed data. */
uint16_t mira_csum_update32(uint16_t check, uint32_t old_value, uint32_t new_value);

#endif
