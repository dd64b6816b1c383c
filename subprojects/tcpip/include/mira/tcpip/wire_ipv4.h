/*
 * mira/tcpip/wire_ipv4.h - the IPv4 header on the wire (RFC 791 3.1):
 * 20 bytes plus up to 40 bytes of options.  Layout only;
 * mira/tcpip/ipv4.h parses and builds.
 *
 *   0 version(4 bits) IHL(4 bits)  1 TOS  2 total length
 *   4 identification  6 flags(3 bits: reserved, DF, MF) fragment offset(13 bits, 8-byte units)
 *   8 TTL  9 protocol  10 header checksum  12 source  16 destination  20 options
 */
#ifndef MIRA_TCPIP_WIRE_IPV4_H
#define MIRA_TCPIP_WIRE_IPV4_H

#define MIRA_IPV4_HDR_LEN 20         /* without options */
#define MIRA_IPV4_MAX_HDR_LEN 60     /* IHL 15 */
#define MIRA_IPV4_MAX_LEN 65535      /* total length, header included */
#define MIRA_IPV4_OFF_VER_IHL 0
#define MIRA_IPV4_OFF_TOS 1
#define MIRA_IPV4_OFF_TOTAL_LEN 2
#define MIRA_IPV4_OFF_ID 4
#define MIRA_IPV4_OFF_FRAG 6
#define MIRA_IPV4_OFF_TTL 8
#define MIRA_IPV4_OFF_PROTO 9
#define MIRA_IPV4_OFF_CHECKSUM 10
#define MIRA_IPV4_OFF_SRC 12
#define MIRA_IPV4_OFF_DST 16

#define MIRA_IPV4_FLAG_RESERVED 0x8000
#define MIRA_IPV4_FLAG_DF 0x4000
#define MIRA_IPV4_FLAG_MF 0x2000
#define MIRA_IPV4_FRAG_OFFSET_MASK 0x1fff /* in 8-byte units */

#define MIRA_IPV4_PROTO_ICMP 1
#define MIRA_IPV4_PROTO_TCP 6
#define MIRA_IPV4_PROTO_UDP 17

#endif
