/*
 * mira/tcpip/wire_icmp.h - ICMP messages on the wire (RFC 792): an 8-byte
 * header (type, code, checksum over the whole message, 4 bytes that
 * depend on the type) and data.  Layout only; mira/tcpip/icmp.h.
 *
 *   echo:         0 type 1 code 2 checksum 4 identifier 6 sequence 8 data
 *   unreachable:  0 type 1 code 2 checksum 4 unused(2) 6 next-hop MTU (RFC 1191)
 *                 8 the offending datagram's IP header + its first 8 bytes
 */
#ifndef MIRA_TCPIP_WIRE_ICMP_H
#define MIRA_TCPIP_WIRE_ICMP_H

#define MIRA_ICMP_HDR_LEN 8
#define MIRA_ICMP_OFF_TYPE 0
#define MIRA_ICMP_OFF_CODE 1
#define MIRA_ICMP_OFF_CHECKSUM 2
#define MIRA_ICMP_OFF_ID 4
#define MIRA_ICMP_OFF_SEQ 6
#define MIRA_ICMP_OFF_MTU 6
#define MIRA_ICMP_QUOTE_DATA_LEN 8   /* bytes of the datagram's data quoted */

#define MIRA_ICMP_ECHO_REPLY 0
#define MIRA_ICMP_DEST_UNREACH 3
#define MIRA_ICMP_SOURCE_QUENCH 4
#define MIRA_ICMP_ECHO_REQUEST 8
#define MIRA_ICMP_TIME_EXCEEDED 11
#define MIRA_ICMP_PARAM_PROBLEM 12

/* Destination unreachable codes */
#define MIRA_ICMP_UNREACH_NET 0
#define MIRA_ICMP_UNREACH_HOST 1
#define MIRA_ICMP_UNREACH_PROTO 2
#define MIRA_ICMP_UNREACH_PORT 3
#define MIRA_ICMP_UNREACH_FRAG_NEEDED 4

#endif
