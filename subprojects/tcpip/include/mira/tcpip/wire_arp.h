/*
 * mira/tcpip/wire_arp.h - an ARP packet for IPv4 over Ethernet on the wire
 * (RFC 826): 28 bytes.  Layout only; mira/tcpip/arp.h parses and builds.
 *
 *   0 htype(2) 2 ptype(2) 4 hlen(1) 5 plen(1) 6 oper(2)
 *   8 sha(6) 14 spa(4) 18 tha(6) 24 tpa(4) 28
 */
#ifndef MIRA_TCPIP_WIRE_ARP_H
#define MIRA_TCPIP_WIRE_ARP_H

#define MIRA_ARP_LEN 28
#define MIRA_ARP_OFF_HTYPE 0
#define MIRA_ARP_OFF_PTYPE 2
#define MIRA_ARP_OFF_HLEN 4
#define MIRA_ARP_OFF_PLEN 5
#define MIRA_ARP_OFF_OPER 6
#define MIRA_ARP_OFF_SHA 8
#define MIRA_ARP_OFF_SPA 14
#define MIRA_ARP_OFF_THA 18
#define MIRA_ARP_OFF_TPA 24

#define MIRA_ARP_HTYPE_ETHERNET 1
#define MIRA_ARP_PTYPE_IPV4 0x0800
#define MIRA_ARP_OP_REQUEST 1
#define MIRA_ARP_OP_REPLY 2

#endif
