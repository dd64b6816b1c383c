/*
 * core.h - the stack's core state and the calls between its files
 * (stack.c: connect, close, the input fiber; arp_cache.c; ip.c: IPv4 in
 * and out, ICMP; udp_sock.c; dhcp_client.c).  The TCP module sees only
 * stack_internal.h.
 */
#ifndef MIRA_TCPIP_CORE_H
#define MIRA_TCPIP_CORE_H

#include <mira/fiber.h>
#include <mira/netif.h>
#include <mira/tcpip/eth.h>
#include <mira/tcpip/ipv4.h>
#include <mira/tcpip/ipv4_reass.h>
#include <mira/time.h>

#include "stack_internal.h"

#define TCPIP_LOG "tcpip"

/* Drops of the core's own, beside the wire layer's reasons. */
enum tcpip_core_drop {
    TCPIP_DROP_NOT_OURS,       /* IPv4 to another address, Ethernet to another MAC */
    TCPIP_DROP_ETH_TYPE,       /* an EtherType we do not speak (IPv6, LLDP) */
    TCPIP_DROP_PROTO,          /* an IP protocol we do not speak */
    TCPIP_DROP_UDP_PORT,       /* UDP to a port nobody bound */
    TCPIP_DROP_UDP_QUEUE,      /* a UDP socket's queue was full */
    TCPIP_DROP_NOMEM,          /* no packet buffer */
    TCPIP_DROP_NO_ADDR,        /* sending without an address (DHCP) */
    TCPIP_DROP_NO_ROUTE,       /* off-link without a gateway */
    TCPIP_DROP_ARP_QUEUE,      /* too many packets waiting for one ARP answer */
    TCPIP_DROP_ARP_FAILED,     /* no answer to our ARP requests */
    TCPIP_DROP_TX,             /* the netif refused a frame */
    TCPIP_DROP_CORE_COUNT
};

/* One ARP cache entry (arp_cache.c). */
struct tcpip_arp_entry {
    mira_ipv4_t ip;            /* MIRA_IPV4_ANY: free */
    uint8_t mac[MIRA_ETH_ADDR_LEN];
    bool resolved;
    uint8_t tries;             /* requests sent while unresolved */
    mira_time_t expires;       /* resolved: when to forget it */
    mira_time_t next_try;      /* unresolved: when to ask again */
    mira_time_t used;          /* last lookup, for eviction */
    struct mira_pbuf **queue;  /* IPv4 packets waiting: arp_queue_max slots */
    unsigned queued;
};

struct tcpip_udp;   /* udp_sock.c */
struct tcpip_dhcp;  /* dhcp_client.c */

struct tcpip_stack {
    struct mira_stack dev;        /* first: the runtime sees only this */
    struct mira_netif *netif;
    struct mira_netif_info info;

    /* IPv4 in force; addr MIRA_IPV4_ANY while DHCP has none. */
    struct mira_ipv4_config cfg;
    uint16_t ip_id;
    uint32_t mtu;                 /* IPv4 packet size: the netif's MTU */

    /* ARP (arp_cache.c) */
    struct tcpip_arp_entry *arp;
    size_t arp_size;
    unsigned arp_queue_max;       /* packets waiting per unresolved entry */
    mira_time_t arp_timeout;

    /* IPv4 reassembly (ip.c) */
    struct mira_ipv4_reass reass;
    uint8_t *reass_buf;           /* a whole datagram, taken out */

    /* UDP (udp_sock.c) */
    struct tcpip_udp *udp;        /* every bound socket */
    uint16_t udp_next_port;
    unsigned udp_queue_max;       /* datagrams a socket keeps unread */

    struct tcpip_dhcp *dhcp;      /* NULL: static configuration */
    struct mira_waitq cfg_changed; /* woken when the address changes */

    struct tcpip_tcp *tcp;        /* the TCP module's */

    /* the input fiber */
    struct mira_fiber *rx;
    bool stopping;

    uint64_t drops[MIRA_DROP_COUNT];
    uint64_t core_drops[TCPIP_DROP_CORE_COUNT];
};

/* stack.c */
void tcpip_count_core_drop(struct tcpip_stack *s, enum tcpip_core_drop reason);
const char *tcpip_core_drop_name(enum tcpip_core_drop reason);
/* Sends IPv4 packet p (starting at its IP header) to next-hop MAC mac:
 * pushes the Ethernet header and hands it to the netif.  Takes p. */
int tcpip_eth_output(struct tcpip_stack *s, const uint8_t mac[MIRA_ETH_ADDR_LEN], uint16_t type,
                     struct mira_pbuf *p);
/* A fresh packet of len bytes with headroom for every header below it. */
struct mira_pbuf *tcpip_alloc(struct tcpip_stack *s, size_t len);
/* The address changed (DHCP): new is in s->cfg; logs it, announces it. */
void tcpip_address_changed(struct tcpip_stack *s);

/* arp_cache.c */
int tcpip_arp_init(struct tcpip_stack *s, size_t size);
void tcpip_arp_fini(struct tcpip_stack *s);
/* An ARP frame's payload [p, p + len). */
void tcpip_arp_input(struct tcpip_stack *s, const uint8_t *p, size_t len);
/* Sends IPv4 packet p to next hop ip, resolving it.  Takes p. */
int tcpip_arp_output(struct tcpip_stack *s, mira_ipv4_t next_hop, struct mira_pbuf *p);
/* Retries, expiries; returns the next time it needs to run. */
mira_time_t tcpip_arp_tick(struct tcpip_stack *s, mira_time_t now);
/* Broadcasts a gratuitous ARP for our address. */
void tcpip_arp_announce(struct tcpip_stack *s);
/* Forgets every entry (the address changed). */
void tcpip_arp_flush(struct tcpip_stack *s);

/* ip.c */
int tcpip_ip_init(struct tcpip_stack *s, const struct mira_ipv4_reass_limits *limits);
void tcpip_ip_fini(struct tcpip_stack *s);
/* An IPv4 frame: p starts at the IP header; takes p. */
void tcpip_ip_input(struct tcpip_stack *s, struct mira_pbuf *p);
void tcpip_ip_tick(struct tcpip_stack *s, mira_time_t now);
/* dst is on our link (or a broadcast). */
bool tcpip_ip_on_link(const struct tcpip_stack *s, mira_ipv4_t dst);
/* As tcpip_ipv4_output; with src_any a source of 0.0.0.0 goes out as it
 * is (DHCP before it has an address). */
int tcpip_ip_output(struct tcpip_stack *s, mira_ipv4_t src, mira_ipv4_t dst, uint8_t proto,
                    struct mira_pbuf *p, bool src_any);
/* The ones'-complement sum of len bytes of p from byte off on. */
uint32_t tcpip_chain_sum(const struct mira_pbuf *p, size_t off, size_t len, uint32_t sum);

/* udp_sock.c */
/* A datagram for us: p starts at the UDP header, checksum not yet checked;
 * takes p.  bcast: sent to a broadcast address. */
void tcpip_udp_input(struct tcpip_stack *s, mira_ipv4_t src, mira_ipv4_t dst,
                     struct mira_pbuf *p);
/* Sends len bytes of buf from sport to `to`, from src (0: ours). */
int tcpip_udp_output(struct tcpip_stack *s, mira_ipv4_t src, uint16_t sport,
                     const struct mira_endpoint *to, const void *buf, size_t len);
void tcpip_udp_fini(struct tcpip_stack *s);
int tcpip_udp_bind(struct mira_stack *dev, uint16_t port, struct mira_udp **out);
long tcpip_udp_recv(struct mira_udp *u, void *buf, size_t len, struct mira_endpoint *from,
                    struct mira_endpoint *to, mira_time_t deadline);
int tcpip_udp_send(struct mira_udp *u, const struct mira_endpoint *to, const void *buf,
                   size_t len);
void tcpip_udp_close(struct mira_udp *u);
void tcpip_udp_free(struct mira_udp *u);

/* dhcp_client.c */
int tcpip_dhcp_start(struct tcpip_stack *s);
void tcpip_dhcp_fini(struct tcpip_stack *s);
/* A datagram to port 68: the UDP data. */
void tcpip_dhcp_input(struct tcpip_stack *s, const uint8_t *p, size_t len);
mira_time_t tcpip_dhcp_tick(struct tcpip_stack *s, mira_time_t now);

#endif
