/*
 * mira/tcpip/wire_dhcp.h - a DHCP message on the wire (RFC 2131 2, the
 * BOOTP fixed part, then the magic cookie and options of RFC 2132).
 * Layout only; mira/tcpip/dhcp.h parses and builds.
 *
 *   0 op 1 htype 2 hlen 3 hops 4 xid 8 secs 10 flags 12 ciaddr 16 yiaddr
 *   20 siaddr 24 giaddr 28 chaddr(16) 44 sname(64) 108 file(128)
 *   236 magic cookie 99.130.83.99  240 options (code, length, value; pad 0, end 255)
 */
#ifndef MIRA_TCPIP_WIRE_DHCP_H
#define MIRA_TCPIP_WIRE_DHCP_H

#define MIRA_DHCP_OFF_OP 0
#define MIRA_DHCP_OFF_HTYPE 1
#define MIRA_DHCP_OFF_HLEN 2
#define MIRA_DHCP_OFF_HOPS 3
#define MIRA_DHCP_OFF_XID 4
#define MIRA_DHCP_OFF_SECS 8
#define MIRA_DHCP_OFF_FLAGS 10
#define MIRA_DHCP_OFF_CIADDR 12
#define MIRA_DHCP_OFF_YIADDR 16
#define MIRA_DHCP_OFF_SIADDR 20
#define MIRA_DHCP_OFF_GIADDR 24
#define MIRA_DHCP_OFF_CHADDR 28
#define MIRA_DHCP_CHADDR_LEN 16
#define MIRA_DHCP_OFF_SNAME 44
#define MIRA_DHCP_SNAME_LEN 64
#define MIRA_DHCP_OFF_FILE 108
#define MIRA_DHCP_FILE_LEN 128
#define MIRA_DHCP_OFF_COOKIE 236
#define MIRA_DHCP_OFF_OPTIONS 240
#define MIRA_DHCP_MIN_LEN 240        /* fixed part and cookie */
#define MIRA_DHCP_BOOTP_MIN_LEN 300  /* RFC 1542 3.1.1: what relays expect */
#define MIRA_DHCP_MAGIC 0x63825363u

#define MIRA_DHCP_BOOTREQUEST 1
#define MIRA_DHCP_BOOTREPLY 2
#define MIRA_DHCP_FLAG_BROADCAST 0x8000
#define MIRA_DHCP_SERVER_PORT 67
#define MIRA_DHCP_CLIENT_PORT 68

/* Option codes (RFC 2132) */
#define MIRA_DHCP_OPT_PAD 0
#define MIRA_DHCP_OPT_SUBNET_MASK 1
#define MIRA_DHCP_OPT_ROUTER 3
#define MIRA_DHCP_OPT_DNS 6
#define MIRA_DHCP_OPT_HOSTNAME 12
#define MIRA_DHCP_OPT_REQUESTED_IP 50
#define MIRA_DHCP_OPT_LEASE_TIME 51
#define MIRA_DHCP_OPT_OVERLOAD 52
#define MIRA_DHCP_OPT_MSG_TYPE 53
#define MIRA_DHCP_OPT_SERVER_ID 54
#define MIRA_DHCP_OPT_PARAM_REQUEST 55
#define MIRA_DHCP_OPT_MAX_MSG_SIZE 57
#define MIRA_DHCP_OPT_RENEWAL_T1 58
#define MIRA_DHCP_OPT_REBINDING_T2 59
#define MIRA_DHCP_OPT_CLIENT_ID 61
#define MIRA_DHCP_OPT_END 255

/* Option 52's values: which of file and sname also carry options. */
#define MIRA_DHCP_OVERLOAD_FILE 1
#define MIRA_DHCP_OVERLOAD_SNAME 2
#define MIRA_DHCP_OVERLOAD_BOTH 3

/* Message types (option 53, RFC 2132 9.6) */
#define MIRA_DHCP_DISCOVER 1
#define MIRA_DHCP_OFFER 2
#define MIRA_DHCP_REQUEST 3
#define MIRA_DHCP_DECLINE 4
#define MIRA_DHCP_ACK 5
#define MIRA_DHCP_NAK 6
#define MIRA_DHCP_RELEASE 7
#define MIRA_DHCP_INFORM 8

#endif
