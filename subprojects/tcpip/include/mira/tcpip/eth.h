/*
 * mira/tcpip/eth.h - Ethernet II frames: parse, build.
 *
 * Contract: mira/tcpip/drop.h.  Frames are taken without FCS (netifs strip
 * it) and without a minimum length (a netif may strip padding); trailing
 * padding is the next layer's business (IPv4 has a total length, ARP a
 * fixed one).  One 802.1Q tag is parsed and reported (vlan, tci); a second
 * tag (802.1ad QinQ, or 0x8100 twice) is dropped with
 * MIRA_DROP_ETH_VLAN_STACKED (MIRA_ENOTSUP): Mira's stack is not a switch.
 * An 802.3 length field (< 0x0600) is dropped with MIRA_DROP_ETH_NOT_DIX
 * (MIRA_ENOTSUP).  Other types (IPv6, LLDP, ...) parse fine: the stack
 * dispatches on `type`.
 */
#ifndef MIRA_TCPIP_ETH_H
#define MIRA_TCPIP_ETH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mira/error.h>
#include <mira/tcpip/drop.h>
#include <mira/tcpip/wire_eth.h>

/* A frame's header, host order. */
struct mira_eth_hdr {
    uint8_t dst[MIRA_ETH_ADDR_LEN];
    uint8_t src[MIRA_ETH_ADDR_LEN];
    uint16_t type;       /* the payload's EtherType (after the tag if any) */
    bool vlan;           /* an 802.1Q tag was present */
    uint16_t tci;        /* its tag control information (PCP, DEI, VID) */
};

/* mira_eth_parse: parses the frame [p, p + len) into *h; returns the header
 * length (14, or 18 with a tag), the payload starting there.  Errors:
 * MIRA_ECORRUPT (ETH_SHORT), MIRA_ENOTSUP (ETH_NOT_DIX, ETH_VLAN_STACKED). */
int mira_eth_parse(const uint8_t *p, size_t len, struct mira_eth_hdr *h, enum mira_tcpip_drop *why);

/* mira_eth_build: writes h's header (with its tag when h->vlan) at buf;
 * returns 14 or 18, MIRA_ENOMEM if cap is smaller, MIRA_EINVAL if h->type
 * is below 0x0600 or is a VLAN TPID. */
int mira_eth_build(uint8_t *buf, size_t cap, const struct mira_eth_hdr *h);

/* mira_eth_pad: zero-fills a frame of len bytes up to the 60-byte minimum
 * (MIRA_ETH_MIN_FRAME); returns the new length, MIRA_ENOMEM if cap < 60
 * while len < 60 (nothing written then). */
int mira_eth_pad(uint8_t *buf, size_t len, size_t cap);

/* mira_eth_is_multicast: the group bit is set (broadcast included). */
bool mira_eth_is_multicast(const uint8_t addr[MIRA_ETH_ADDR_LEN]);

/* mira_eth_is_broadcast: addr is ff:ff:ff:ff:ff:ff. */
bool mira_eth_is_broadcast(const uint8_t addr[MIRA_ETH_ADDR_LEN]);

/* The broadcast address. */
extern const uint8_t mira_eth_broadcast[MIRA_ETH_ADDR_LEN];

#endif
