/*
 * mira/tcpip/ipv4.h - the IPv4 header (RFC 791): parse, validate, build.
 *
 * Contract: mira/tcpip/drop.h.  mira_ipv4_hdr_parse checks, in this order:
 * at least 20 bytes (IPV4_SHORT), version 4 (IPV4_VERSION), IHL >= 5 and
 * the header inside the buffer (IPV4_IHL), IHL*4 <= total length <= len
 * (IPV4_TOTAL_LENGTH; bytes after the total length are Ethernet padding and
 * ignored), the header checksum (IPV4_CHECKSUM), the reserved flag clear
 * (IPV4_RESERVED_FLAG), fragment offset + payload within 65535
 * (IPV4_FRAG_TOO_BIG); all MIRA_ECORRUPT.  Options are not interpreted:
 * the parser hands out where they are and skips them by IHL, so no option
 * can make it read out of the header.  Addresses are host order.
 */
#ifndef MIRA_TCPIP_IPV4_H
#define MIRA_TCPIP_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mira/error.h>
#include <mira/tcpip/drop.h>
#include <mira/tcpip/wire_ipv4.h>

/* An IPv4 header, host order. */
struct mira_ipv4_hdr {
    uint8_t hdr_len;      /* IHL * 4: 20 to 60 */
    uint8_t tos;          /* DSCP and ECN */
    uint16_t total_len;   /* header + payload */
    uint16_t id;
    bool df;              /* don't fragment */
    bool mf;              /* more fragments */
    uint16_t frag_off;    /* fragment offset in bytes (a multiple of 8) */
    uint8_t ttl;
    uint8_t proto;        /* MIRA_IPV4_PROTO_* */
    uint16_t checksum;    /* as received (parse); ignored (build) */
    uint32_t src;
    uint32_t dst;
    const uint8_t *options; /* hdr_len - 20 bytes of options, or NULL */
};

/* mira_ipv4_hdr_parse: parses and validates the datagram at [p, p + len) into
 * *h; returns the header length.  The payload is [p + h->hdr_len,
 * p + h->total_len); h->options points into p. */
int mira_ipv4_hdr_parse(const uint8_t *p, size_t len, struct mira_ipv4_hdr *h, enum mira_tcpip_drop *why);

/* mira_ipv4_payload_len: total length minus header length. */
static inline size_t mira_ipv4_payload_len(const struct mira_ipv4_hdr *h)
{
    return (size_t)h->total_len - h->hdr_len;
}

/* mira_ipv4_is_fragment: MF is set or the offset is not zero. */
static inline bool mira_ipv4_is_fragment(const struct mira_ipv4_hdr *h)
{
    return h->mf || h->frag_off != 0;
}

/* mira_ipv4_build: writes h's header for a payload of payload_len bytes at
 * buf: version 4, IHL from h->hdr_len (20, or up to 60 with h->options'
 * hdr_len - 20 bytes copied), total length hdr_len + payload_len, flags,
 * offset, and the checksum computed.  h->total_len and h->checksum are
 * ignored.  Returns hdr_len; MIRA_ENOMEM if cap < hdr_len; MIRA_EINVAL if
 * hdr_len is not a multiple of 4 in 20..60 (or > 20 with options NULL),
 * the total would pass 65535, or frag_off is not a multiple of 8 below
 * 65536. */
int mira_ipv4_build(uint8_t *buf, size_t cap, const struct mira_ipv4_hdr *h, size_t payload_len);

/* mira_ipv4_decrement_ttl: decrements the TTL of the valid header at p
 * (ttl > 0) and updates its checksum incrementally (RFC 1624). */
void mira_ipv4_decrement_ttl(uint8_t *p);

#endif
