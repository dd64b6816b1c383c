/*
 * mira/tcpip/tcp.h - the TCP header over IPv4 (RFC 9293) and its options:
 * MSS, window scale and timestamps (RFC 7323), SACK-permitted and SACK
 * blocks (RFC 2018), NOP and EOL; parse with checksum, build.
 *
 * Contract: mira/tcpip/drop.h.  mira_tcp_parse checks 20 bytes at least
 * (TCP_SHORT), 5 <= data offset and the header inside the segment
 * (TCP_DATA_OFFSET), the checksum over pseudo-header and segment
 * (TCP_CHECKSUM), then the options (mira_tcp_parse_options); all
 * MIRA_ECORRUPT.  Options are strict: a kind without its length byte, or a
 * length < 2 or past the header, is TCP_OPT_OVERRUN; a known kind with the
 * wrong length (MSS 4, window scale 3, SACK-permitted 2, SACK 2 + 8n with
 * n 1..4, timestamps 10) is TCP_OPT_LENGTH.  Unknown kinds with a sound
 * length are skipped; EOL ends the list (what follows is padding); a
 * repeated option keeps its last value.  A window scale above 14 is taken
 * as 14 (RFC 7323 2.3).  Flag combinations and option/flag fit (MSS outside
 * SYN) are the state machine's to judge.
 */
#ifndef MIRA_TCPIP_TCP_H
#define MIRA_TCPIP_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mira/error.h>
#include <mira/tcpip/drop.h>
#include <mira/tcpip/wire_tcp.h>

/* Which options a header carries (struct mira_tcp_opts.present). */
#define MIRA_TCP_HAS_MSS 0x01
#define MIRA_TCP_HAS_WSCALE 0x02
#define MIRA_TCP_HAS_SACK_PERM 0x04
#define MIRA_TCP_HAS_SACK 0x08
#define MIRA_TCP_HAS_TS 0x10

#define MIRA_TCP_MAX_SACK_BLOCKS 4

struct mira_tcp_sack_block {
    uint32_t left;   /* first sequence number of the block */
    uint32_t right;  /* sequence number just after it */
};

/* The options of one header, host order. */
struct mira_tcp_opts {
    uint8_t present;      /* MIRA_TCP_HAS_* */
    uint16_t mss;
    uint8_t wscale;       /* clamped to 14 */
    uint8_t sack_count;   /* 1..4 when HAS_SACK */
    struct mira_tcp_sack_block sack[MIRA_TCP_MAX_SACK_BLOCKS];
    uint32_t ts_val;
    uint32_t ts_ecr;
};

/* A TCP header, host order. */
struct mira_tcp_hdr {
    uint16_t sport;
    uint16_t dport;
    uint32_t seq;
    uint32_t ack;
    uint8_t hdr_len;      /* data offset * 4: 20 to 60 (parse only) */
    uint8_t flags;        /* MIRA_TCP_FIN ... MIRA_TCP_CWR */
    uint16_t window;      /* unscaled, as on the wire */
    uint16_t checksum;    /* as received (parse only) */
    uint16_t urgent;
    struct mira_tcp_opts opts;
    const uint8_t *data;  /* the segment's data, into p (parse only) */
    size_t data_len;
};

/* mira_tcp_parse: parses the segment [p, p + len) (the IP payload) from
 * src to dst (host order) into *t; returns the header length.  A segment
 * longer than an IPv4 datagram can carry (65515) cannot be checksummed:
 * TCP_CHECKSUM. */
int mira_tcp_parse(const uint8_t *p, size_t len, uint32_t src, uint32_t dst, struct mira_tcp_hdr *t,
                   enum mira_tcpip_drop *why);

/* mira_tcp_parse_header: as mira_tcp_parse without the checksum, for a
 * segment of len bytes whose first avail bytes are at p (the header must
 * lie inside them; the data may go on elsewhere, in a packet buffer's
 * later pieces) and whose checksum a device has checked
 * (MIRA_PBUF_CSUM_VALID) or the caller checks itself.  t->data points at
 * the data's first byte in [p, p + avail) (or just past it), data_len is
 * all of it.  Same drops, except TCP_CHECKSUM only for a segment longer
 * than an IPv4 datagram. */
int mira_tcp_parse_header(const uint8_t *p, size_t avail, size_t len, struct mira_tcp_hdr *t,
                          enum mira_tcpip_drop *why);

/* mira_tcp_parse_options: parses the n option bytes at p into *o (present
 * 0 first); returns 0 or MIRA_ECORRUPT as above. */
int mira_tcp_parse_options(const uint8_t *p, size_t n, struct mira_tcp_opts *o, enum mira_tcpip_drop *why);

/* mira_tcp_options_len: the bytes mira_tcp_build_options writes for o
 * (padded to a multiple of 4), or MIRA_EINVAL when o cannot be encoded
 * (sack_count not 1..4 with HAS_SACK, wscale above 14, or more than 40
 * bytes: SACK blocks with timestamps fit 3 at most). */
int mira_tcp_options_len(const struct mira_tcp_opts *o);

/* mira_tcp_build_options: writes o's options at buf in the order Linux
 * uses (MSS, SACK-permitted + timestamps, window scale, SACK), NOP-aligned
 * and EOL-padded to a multiple of 4; returns the length, MIRA_ENOMEM if cap
 * is smaller, MIRA_EINVAL as mira_tcp_options_len. */
int mira_tcp_build_options(uint8_t *buf, size_t cap, const struct mira_tcp_opts *o);

/* mira_tcp_build: writes t's header with its options at buf for the
 * data_len bytes of data already at buf + header length (so call
 * mira_tcp_options_len first to place it), with the checksum over the
 * pseudo-header (src, dst) and the segment.  t->hdr_len, checksum, data
 * are ignored.  Returns the header length; MIRA_ENOMEM if cap is smaller
 * than header + data; MIRA_EINVAL for bad options or a segment beyond an
 * IPv4 datagram. */
int mira_tcp_build(uint8_t *buf, size_t cap, const struct mira_tcp_hdr *t, uint32_t src, uint32_t dst,
                   size_t data_len);

#endif
