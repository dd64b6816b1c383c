/*
 * mira/tcpip/drop.h - why the wire layer refused a packet.
 *
 * The contract of every mira/tcpip parser (mira_eth_parse, mira_arp_parse,
 * mira_ipv4_hdr_parse, mira_icmp_parse, mira_udp_parse, mira_tcp_parse,
 * mira_dhcp_parse, the reassembler's input): on success a non-negative
 * count (a header length, a payload length); on a packet to drop a
 * negative MIRA_E* (mira/error.h) and, through the `why` pointer when it is
 * not NULL, one value of enum mira_tcpip_drop, so that the stack can count
 * drops by reason.  MIRA_ECORRUPT means the bytes break the protocol (a bad
 * length, checksum, option); MIRA_ENOTSUP means well-formed but outside
 * what Mira speaks (an ARP for another hardware type, stacked VLAN tags);
 * MIRA_ENOMEM, MIRA_ETIMEDOUT are the reassembler's limits.  A refused
 * packet changes nothing but `why` (and the reassembler's own state as its
 * header documents).  Parsers never allocate, never read outside
 * [p, p + len) and never write outside their output struct.
 *
 * Builders write into a caller buffer of `cap` bytes and return the bytes
 * written; MIRA_ENOMEM when cap is too small (nothing is written then),
 * MIRA_EINVAL when a field is out of its documented range.
 */
#ifndef MIRA_TCPIP_DROP_H
#define MIRA_TCPIP_DROP_H

enum mira_tcpip_drop {
    MIRA_DROP_NONE = 0,
    /* Ethernet II (mira/tcpip/eth.h) */
    MIRA_DROP_ETH_SHORT,          /* fewer than 14 bytes (18 with a tag) */
    MIRA_DROP_ETH_NOT_DIX,        /* type/length < 0x0600: an 802.3 frame */
    MIRA_DROP_ETH_VLAN_STACKED,   /* a second 802.1Q/802.1ad tag (QinQ) */
    /* ARP (mira/tcpip/arp.h) */
    MIRA_DROP_ARP_SHORT,          /* fewer than 28 bytes */
    MIRA_DROP_ARP_HTYPE,          /* hardware type is not Ethernet (1) */
    MIRA_DROP_ARP_PTYPE,          /* protocol type is not IPv4 (0x0800) */
    MIRA_DROP_ARP_HLEN,           /* hardware address length is not 6 */
    MIRA_DROP_ARP_PLEN,           /* protocol address length is not 4 */
    MIRA_DROP_ARP_OPER,           /* operation is neither request nor reply */
    MIRA_DROP_ARP_SENDER,         /* sender hardware address not unicast */
    /* IPv4 (mira/tcpip/ipv4.h) */
    MIRA_DROP_IPV4_SHORT,         /* fewer than 20 bytes */
    MIRA_DROP_IPV4_VERSION,       /* version is not 4 */
    MIRA_DROP_IPV4_IHL,           /* IHL < 5 or the header past the buffer */
    MIRA_DROP_IPV4_TOTAL_LENGTH,  /* total length < IHL*4 or past the buffer */
    MIRA_DROP_IPV4_CHECKSUM,      /* header checksum does not verify */
    MIRA_DROP_IPV4_RESERVED_FLAG, /* the reserved flag bit is set */
    MIRA_DROP_IPV4_FRAG_TOO_BIG,  /* offset + payload beyond 65535 bytes */
    /* IPv4 reassembly (mira/tcpip/ipv4_reass.h) */
    MIRA_DROP_REASS_FRAG_ALIGN,   /* not the last, payload not a multiple of 8 */
    MIRA_DROP_REASS_EMPTY,        /* a fragment without payload */
    MIRA_DROP_REASS_DUPLICATE,    /* same range, same bytes: ignored */
    MIRA_DROP_REASS_OVERLAP,      /* overlapping fragments: datagram dropped */
    MIRA_DROP_REASS_INCONSISTENT, /* a second, different end; data past it */
    MIRA_DROP_REASS_TOO_BIG,      /* beyond the per-datagram or total limit */
    MIRA_DROP_REASS_TIMEOUT,      /* not complete within the timeout */
    MIRA_DROP_REASS_EVICTED,      /* evicted, oldest first, to make room */
    MIRA_DROP_REASS_NOMEM,        /* the allocator refused */
    MIRA_DROP_REASS_NOT_TAKEN,    /* complete, but never taken */
    /* ICMP (mira/tcpip/icmp.h) */
    MIRA_DROP_ICMP_SHORT,         /* fewer than 8 bytes */
    MIRA_DROP_ICMP_CHECKSUM,      /* checksum does not verify */
    MIRA_DROP_ICMP_QUOTE,         /* an error's quoted datagram is malformed */
    /* UDP (mira/tcpip/udp.h) */
    MIRA_DROP_UDP_SHORT,          /* fewer than 8 bytes */
    MIRA_DROP_UDP_LENGTH,         /* length < 8 or past the IP payload */
    MIRA_DROP_UDP_CHECKSUM,       /* non-zero checksum does not verify */
    /* TCP (mira/tcpip/tcp.h) */
    MIRA_DROP_TCP_SHORT,          /* fewer than 20 bytes */
    MIRA_DROP_TCP_DATA_OFFSET,    /* data offset < 5 or past the segment */
    MIRA_DROP_TCP_CHECKSUM,       /* checksum does not verify */
    MIRA_DROP_TCP_OPT_OVERRUN,    /* an option's kind/length runs past the header */
    MIRA_DROP_TCP_OPT_LENGTH,     /* an option's length is wrong for its kind */
    /* DHCP (mira/tcpip/dhcp.h) */
    MIRA_DROP_DHCP_SHORT,         /* fewer than 240 bytes (fixed part, cookie) */
    MIRA_DROP_DHCP_OP,            /* op is neither BOOTREQUEST nor BOOTREPLY */
    MIRA_DROP_DHCP_HTYPE,         /* not Ethernet (htype 1, hlen 6) */
    MIRA_DROP_DHCP_COOKIE,        /* no magic cookie 99.130.83.99 */
    MIRA_DROP_DHCP_OPT_OVERRUN,   /* an option runs past its field */
    MIRA_DROP_DHCP_OPT_LENGTH,    /* an option's length is wrong for its code */
    MIRA_DROP_DHCP_OVERLOAD,      /* option 52 malformed, repeated or misplaced */
    MIRA_DROP_DHCP_NO_TYPE,       /* no valid DHCP message type (option 53) */
    MIRA_DROP_COUNT               /* the number of reasons, for counter arrays */
};

/* mira_tcpip_drop_name: a short constant name of reason ("ipv4-checksum");
 * "unknown" for a value outside the enum.  Never NULL. */
const char *mira_tcpip_drop_name(enum mira_tcpip_drop reason);

#endif
