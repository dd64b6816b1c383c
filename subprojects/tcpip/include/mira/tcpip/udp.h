/*
 * mira/tcpip/udp.h - UDP over IPv4 (RFC 768): parse with checksum, build.
 *
 * Contract: mira/tcpip/drop.h.  mira_udp_parse checks 8 bytes at least
 * (UDP_SHORT), 8 <= length <= the IP payload (UDP_LENGTH; bytes after the
 * UDP length are ignored, as Linux does), and the checksum over the
 * pseudo-header and length bytes unless it is 0 (sender computed none,
 * allowed over IPv4), UDP_CHECKSUM; all MIRA_ECORRUPT.  Ports are not
 * judged (port 0 is the stack's business).
 */
#ifndef MIRA_TCPIP_UDP_H
#define MIRA_TCPIP_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mira/error.h>
#include <mira/tcpip/drop.h>
#include <mira/tcpip/wire_udp.h>

/* A UDP datagram, host order. */
struct mira_udp_hdr {
    uint16_t sport;
    uint16_t dport;
    uint16_t length;      /* header + data */
    uint16_t checksum;    /* 0: none was sent */
    const uint8_t *data;  /* into p */
    size_t data_len;
};

/* mira_udp_parse: parses the datagram [p, p + len) (the IP payload) from
 * src to dst (host order, for the pseudo-header) into *u; returns 8. */
int mira_udp_parse(const uint8_t *p, size_t len, uint32_t src, uint32_t dst, struct mira_udp_hdr *u,
                   enum mira_tcpip_drop *why);

/* mira_udp_build: writes the 8-byte header at buf for the data_len bytes
 * of data already at buf + 8, with the checksum over the pseudo-header
 * (src, dst) and the data (0 computed is sent as 0xffff; RFC 768).
 * Returns 8; MIRA_ENOMEM if cap < 8 + data_len; MIRA_EINVAL if 8 + data_len
 * does not fit the length field and an IPv4 datagram (65507 bytes of data). */
int mira_udp_build(uint8_t *buf, size_t cap, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                   size_t data_len);

#endif
