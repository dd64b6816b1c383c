/*
 * mira/tcpip/icmp.h - ICMP for IPv4 (RFC 792): parse with checksum, echo
 * request/reply build, and the quoted datagram of error messages
 * (destination unreachable, time exceeded, parameter problem, source
 * quench) parsed far enough to hand the error to the transport.
 *
 * Contract: mira/tcpip/drop.h.  mira_icmp_parse checks the length (8 bytes
 * at least, ICMP_SHORT) and the checksum over the whole message
 * (ICMP_CHECKSUM), both MIRA_ECORRUPT; any type parses (the stack ignores
 * those it does not handle).
 */
#ifndef MIRA_TCPIP_ICMP_H
#define MIRA_TCPIP_ICMP_H

#include <stddef.h>
#include <stdint.h>
#include <mira/error.h>
#include <mira/tcpip/drop.h>
#include <mira/tcpip/wire_icmp.h>

/* An ICMP message, host order. */
struct mira_icmp_msg {
    uint8_t type;
    uint8_t code;
    uint16_t checksum;
    uint16_t id;          /* echo: identifier (bytes 4-5) */
    uint16_t seq;         /* echo: sequence; unreachable code 4: next-hop MTU */
    const uint8_t *data;  /* after the 8-byte header, into p */
    size_t data_len;
};

/* What an ICMP error quotes of the datagram that caused it: enough to find
 * the transport's connection (RFC 792: the IP header and at least 8 bytes
 * of its data, i.e. UDP's header or TCP's ports and sequence number). */
struct mira_icmp_quote {
    uint32_t src, dst;    /* the offending datagram's addresses (we sent it) */
    uint8_t proto;
    uint16_t frag_off;
    const uint8_t *data;  /* its first data bytes (>= 8), into the message */
    size_t data_len;
};

/* mira_icmp_parse: parses the message [p, p + len) (the IP payload) into
 * *m; returns 8, the header length. */
int mira_icmp_parse(const uint8_t *p, size_t len, struct mira_icmp_msg *m, enum mira_tcpip_drop *why);

/* mira_icmp_parse_quote: for an error message m (types 3, 4, 11, 12), the
 * quoted datagram: version 4, IHL >= 5, its header and 8 data bytes
 * present; its checksum and total length are not checked (routers quote
 * modified headers).  Returns 0, or MIRA_ECORRUPT (ICMP_QUOTE), or
 * MIRA_EINVAL when m's type quotes nothing. */
int mira_icmp_parse_quote(const struct mira_icmp_msg *m, struct mira_icmp_quote *q, enum mira_tcpip_drop *why);

/* mira_icmp_build_echo: writes an echo request (type MIRA_ICMP_ECHO_REQUEST)
 * or reply (MIRA_ICMP_ECHO_REPLY) with id, seq and data_len bytes of data
 * copied from data (which may already be at buf + 8) and its checksum.
 * Returns 8 + data_len; MIRA_ENOMEM if cap is smaller; MIRA_EINVAL for
 * another type. */
int mira_icmp_build_echo(uint8_t *buf, size_t cap, uint8_t type, uint16_t id, uint16_t seq,
                         const uint8_t *data, size_t data_len);

/* mira_icmp_build_unreach: writes a destination unreachable with code
 * (MIRA_ICMP_UNREACH_*), the next-hop mtu (code 4, else 0), quoting the
 * offending datagram's header and first 8 data bytes (fewer if it has
 * fewer) from dgram (dgram_len bytes, a valid IPv4 datagram).  Returns the
 * message length; MIRA_ENOMEM if cap is smaller; MIRA_EINVAL if dgram is
 * shorter than its IHL. */
int mira_icmp_build_unreach(uint8_t *buf, size_t cap, uint8_t code, uint16_t mtu,
                            const uint8_t *dgram, size_t dgram_len);

#endif
