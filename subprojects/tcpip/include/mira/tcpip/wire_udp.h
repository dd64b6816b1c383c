/*
 * mira/tcpip/wire_udp.h - the UDP header on the wire (RFC 768): 8 bytes.
 * Layout only; mira/tcpip/udp.h parses and builds.
 *
 *   0 source port  2 destination port  4 length (header + data)  6 checksum
 */
#ifndef MIRA_TCPIP_WIRE_UDP_H
#define MIRA_TCPIP_WIRE_UDP_H

#define MIRA_UDP_HDR_LEN 8
#define MIRA_UDP_OFF_SPORT 0
#define MIRA_UDP_OFF_DPORT 2
#define MIRA_UDP_OFF_LEN 4
#define MIRA_UDP_OFF_CHECKSUM 6

#endif
