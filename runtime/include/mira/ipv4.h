/*
 * mira/ipv4.h - IPv4 addresses and endpoints, and their text forms.
 *
 * An address is a uint32_t in host byte order (10.0.0.2 is 0x0a000002), so
 * that comparing, masking and printing need no conversion; only the wire
 * code converts (mira/byteorder.h).  Errors follow mira/error.h.  Pure
 * functions, usable anywhere.
 */
#ifndef MIRA_IPV4_H
#define MIRA_IPV4_H

#include <stddef.h>
#include <stdint.h>
#include <mira/error.h>

typedef uint32_t mira_ipv4_t;

/* MIRA_IPV4(10, 0, 0, 2): an address from its four bytes. */
#define MIRA_IPV4(a, b, c, d)                                                 \
    ((mira_ipv4_t)(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) |            \
                   ((uint32_t)(c) << 8) | (uint32_t)(d)))

/* 0.0.0.0: any address (binding), no address (no gateway). */
#define MIRA_IPV4_ANY ((mira_ipv4_t)0)

/* Room for the longest text form, "255.255.255.255", with its NUL. */
#define MIRA_IPV4_STRLEN 16

/* An address and a port (host byte order). */
struct mira_endpoint {
    mira_ipv4_t addr;
    uint16_t port;
};

/* mira_ipv4_parse: parses a dotted quad ("10.0.0.2": four decimal numbers
 * 0-255 without leading zeros or signs) into *out.  Returns 0, or
 * MIRA_EINVAL (*out unchanged). */
int mira_ipv4_parse(const char *s, mira_ipv4_t *out);

/* mira_ipv4_parse_cidr: parses "10.0.0.2/24" into *addr and *prefix_len
 * (0-32); without "/N" the prefix is 32.  Returns 0, or MIRA_EINVAL
 * (outputs unchanged). */
int mira_ipv4_parse_cidr(const char *s, mira_ipv4_t *addr, unsigned *prefix_len);

/* mira_ipv4_format: writes a's dotted quad into buf (MIRA_IPV4_STRLEN
 * bytes) and returns buf. */
char *mira_ipv4_format(mira_ipv4_t a, char buf[MIRA_IPV4_STRLEN]);

/* mira_ipv4_netmask: the mask of a prefix length (24: 255.255.255.0);
 * prefix_len above 32 counts as 32. */
mira_ipv4_t mira_ipv4_netmask(unsigned prefix_len);

#endif
