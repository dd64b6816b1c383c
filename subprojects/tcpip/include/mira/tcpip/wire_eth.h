/*
 * mira/tcpip/wire_eth.h - the Ethernet II frame on the wire (IEEE 802.3
 * clause 3.2.6 type field, 802.1Q tag): sizes, offsets, type codes.
 * Only layout here; mira/tcpip/eth.h parses and builds.
 *
 *   0      6      12        14
 *   | dst  | src  | type    | payload ...
 *   | dst  | src  | 0x8100  | TCI (PCP 3, DEI 1, VID 12) | type | payload
 */
#ifndef MIRA_TCPIP_WIRE_ETH_H
#define MIRA_TCPIP_WIRE_ETH_H

#define MIRA_ETH_ADDR_LEN 6
#define MIRA_ETH_HDR_LEN 14          /* dst, src, type */
#define MIRA_ETH_VLAN_HDR_LEN 18     /* dst, src, 0x8100, TCI, type */
#define MIRA_ETH_MIN_FRAME 60        /* without FCS: shorter frames are padded */
#define MIRA_ETH_OFF_DST 0
#define MIRA_ETH_OFF_SRC 6
#define MIRA_ETH_OFF_TYPE 12
#define MIRA_ETH_OFF_TCI 14          /* after an 802.1Q TPID */
#define MIRA_ETH_OFF_INNER_TYPE 16

#define MIRA_ETH_TYPE_MIN 0x0600     /* below: an 802.3 length, not a type */
#define MIRA_ETH_TYPE_IPV4 0x0800
#define MIRA_ETH_TYPE_ARP 0x0806
#define MIRA_ETH_TYPE_VLAN 0x8100    /* 802.1Q C-tag */
#define MIRA_ETH_TYPE_QINQ 0x88a8    /* 802.1ad S-tag */
#define MIRA_ETH_TYPE_IPV6 0x86dd

#define MIRA_ETH_VLAN_VID_MASK 0x0fff

#endif
