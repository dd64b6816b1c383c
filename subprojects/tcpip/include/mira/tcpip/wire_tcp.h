/*
 * mira/tcpip/wire_tcp.h - the TCP header on the wire (RFC 9293 3.1) and
 * its options (RFC 9293 3.2, RFC 7323, RFC 2018).  Layout only;
 * mira/tcpip/tcp.h parses and builds.
 *
 *   0 source port  2 destination port  4 sequence  8 acknowledgment
 *   12 data offset(4 bits, 32-bit words) reserved(4 bits)  13 flags
 *   14 window  16 checksum  18 urgent pointer  20 options ... data
 */
#ifndef MIRA_TCPIP_WIRE_TCP_H
#define MIRA_TCPIP_WIRE_TCP_H

#define MIRA_TCP_HDR_LEN 20          /* without options */
#define MIRA_TCP_MAX_HDR_LEN 60      /* data offset 15 */
#define MIRA_TCP_OFF_SPORT 0
#define MIRA_TCP_OFF_DPORT 2
#define MIRA_TCP_OFF_SEQ 4
#define MIRA_TCP_OFF_ACK 8
#define MIRA_TCP_OFF_DOFF 12
#define MIRA_TCP_OFF_FLAGS 13
#define MIRA_TCP_OFF_WINDOW 14
#define MIRA_TCP_OFF_CHECKSUM 16
#define MIRA_TCP_OFF_URGENT 18

#define MIRA_TCP_FIN 0x01
#define MIRA_TCP_SYN 0x02
#define MIRA_TCP_RST 0x04
#define MIRA_TCP_PSH 0x08
#define MIRA_TCP_ACK 0x10
#define MIRA_TCP_URG 0x20
#define MIRA_TCP_ECE 0x40
#define MIRA_TCP_CWR 0x80

/* Option kinds and their fixed lengths (kind and length bytes included). */
#define MIRA_TCP_OPT_EOL 0
#define MIRA_TCP_OPT_NOP 1
#define MIRA_TCP_OPT_MSS 2
#define MIRA_TCP_OPT_MSS_LEN 4
#define MIRA_TCP_OPT_WSCALE 3
#define MIRA_TCP_OPT_WSCALE_LEN 3
#define MIRA_TCP_OPT_SACK_PERM 4
#define MIRA_TCP_OPT_SACK_PERM_LEN 2
#define MIRA_TCP_OPT_SACK 5          /* 2 + 8 bytes per block */
#define MIRA_TCP_OPT_TS 8
#define MIRA_TCP_OPT_TS_LEN 10

#define MIRA_TCP_MAX_WSCALE 14       /* RFC 7323 2.3: larger shifts are taken as 14 */

#endif
