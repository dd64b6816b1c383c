/*
 * mira/tcpip/arp.h - ARP for IPv4 over Ethernet (RFC 826): parse, build.
 *
 * Contract: mira/tcpip/drop.h.  Only Ethernet/IPv4 ARP is spoken: htype 1,
 * ptype 0x0800, hlen 6, plen 4, oper request (1) or reply (2); anything
 * else is dropped with its reason (a wrong htype/ptype is MIRA_ENOTSUP, a
 * wrong hlen/plen/oper MIRA_ECORRUPT).  A sender hardware address that is
 * multicast or broadcast is dropped (ARP_SENDER): caching it would send
 * unicast traffic to a group.  A sender IP of 0.0.0.0 (an RFC 5227 probe)
 * is accepted; whether to learn from it is the cache's decision.  Bytes
 * after the 28 (Ethernet padding) are ignored.  IPv4 addresses are host
 * order.
 */
#ifndef MIRA_TCPIP_ARP_H
#define MIRA_TCPIP_ARP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mira/error.h>
#include <mira/tcpip/drop.h>
#include <mira/tcpip/wire_arp.h>
#include <mira/tcpip/wire_eth.h>

/* An ARP packet, host order. */
struct mira_arp {
    uint16_t oper;                   /* MIRA_ARP_OP_REQUEST or _REPLY */
    uint8_t sha[MIRA_ETH_ADDR_LEN];  /* sender hardware address */
    uint32_t spa;                    /* sender IPv4 address */
    uint8_t tha[MIRA_ETH_ADDR_LEN];  /* target hardware address */
    uint32_t tpa;                    /* target IPv4 address */
};

/* mira_arp_parse: parses [p, p + len) (an Ethernet payload) into *a;
 * returns 28.  Errors: see above. */
int mira_arp_parse(const uint8_t *p, size_t len, struct mira_arp *a, enum mira_tcpip_drop *why);

/* mira_arp_build: writes *a as 28 bytes at buf; returns 28, MIRA_ENOMEM if
 * cap < 28, MIRA_EINVAL if oper is not request/reply or sha is multicast. */
int mira_arp_build(uint8_t *buf, size_t cap, const struct mira_arp *a);

/* mira_arp_request: fills *a with a request "who has tpa? tell spa at
 * sha" (tha zero). */
void mira_arp_request(struct mira_arp *a, const uint8_t sha[MIRA_ETH_ADDR_LEN], uint32_t spa, uint32_t tpa);

/* mira_arp_reply: fills *a with the reply to request *req, from us (our
 * hardware address sha, our address req->tpa) to its sender. */
void mira_arp_reply(struct mira_arp *a, const struct mira_arp *req, const uint8_t sha[MIRA_ETH_ADDR_LEN]);

/* mira_arp_gratuitous: fills *a with a gratuitous ARP announcing ip at sha
 * (RFC 5227 3: a request with spa = tpa = ip, tha zero), sent to the
 * Ethernet broadcast address. */
void mira_arp_gratuitous(struct mira_arp *a, const uint8_t sha[MIRA_ETH_ADDR_LEN], uint32_t ip);

/* mira_arp_is_gratuitous: spa equals tpa and is not 0.0.0.0 (a request or
 * a reply announcing the sender's own address). */
bool mira_arp_is_gratuitous(const struct mira_arp *a);

#endif
