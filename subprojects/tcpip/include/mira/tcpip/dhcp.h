/*
 * mira/tcpip/dhcp.h - DHCP messages (RFC 2131, options of RFC 2132):
 * parse, build, for a DHCP client on Ethernet.
 *
 * Contract: mira/tcpip/drop.h; every drop is MIRA_ECORRUPT.
 * mira_dhcp_parse checks: 240 bytes at least (DHCP_SHORT), op
 * BOOTREQUEST/BOOTREPLY (DHCP_OP), htype 1 and hlen 6 (DHCP_HTYPE), the
 * magic cookie (DHCP_COOKIE); then the options field, and the file and
 * sname fields when option 52 says they carry options (in that order, RFC
 * 2131 4.1).  Options are code, length, value; pad (0) is skipped; end
 * (255) ends a field, and so does the field's own end (a missing end
 * option is tolerated, as ISC dhclient does).  An option whose length byte
 * or value runs past its field is DHCP_OPT_OVERRUN; one split across
 * fields, or concatenated from several instances (RFC 3396), is not
 * supported: a repeated option keeps its last instance.  The known options
 * must have their lengths (DHCP_OPT_LENGTH): message type 1, addresses and
 * times 4, routers and DNS servers a non-zero multiple of 4 (the first
 * MIRA_DHCP_MAX_ADDRS are kept, the count says how many were there),
 * parameter request list >= 1, client id >= 2, maximum message size 2.
 * Option 52 must have length 1 and a value 1..3, appear once and only in
 * the options field (DHCP_OVERLOAD).  A message without a message type of
 * 1..8 is DHCP_NO_TYPE.  Unknown options are skipped.  Addresses and times
 * are host order.  Pointers in a parsed message point into p.
 */
#ifndef MIRA_TCPIP_DHCP_H
#define MIRA_TCPIP_DHCP_H

#include <stddef.h>
#include <stdint.h>
#include <mira/error.h>
#include <mira/tcpip/drop.h>
#include <mira/tcpip/wire_dhcp.h>

/* Which options a message carries (struct mira_dhcp_msg.present). */
#define MIRA_DHCP_HAS_MSG_TYPE 0x001
#define MIRA_DHCP_HAS_SERVER_ID 0x002
#define MIRA_DHCP_HAS_REQUESTED_IP 0x004
#define MIRA_DHCP_HAS_LEASE_TIME 0x008
#define MIRA_DHCP_HAS_T1 0x010
#define MIRA_DHCP_HAS_T2 0x020
#define MIRA_DHCP_HAS_SUBNET_MASK 0x040
#define MIRA_DHCP_HAS_ROUTER 0x080
#define MIRA_DHCP_HAS_DNS 0x100
#define MIRA_DHCP_HAS_PARAM_REQUEST 0x200
#define MIRA_DHCP_HAS_CLIENT_ID 0x400
#define MIRA_DHCP_HAS_MAX_MSG_SIZE 0x800

#define MIRA_DHCP_MAX_ADDRS 4

/* A DHCP message, host order. */
struct mira_dhcp_msg {
    uint8_t op;                 /* MIRA_DHCP_BOOTREQUEST or _BOOTREPLY */
    uint8_t hops;
    uint32_t xid;
    uint16_t secs;
    uint16_t flags;             /* MIRA_DHCP_FLAG_BROADCAST */
    uint32_t ciaddr, yiaddr, siaddr, giaddr;
    uint8_t chaddr[6];          /* htype 1, hlen 6: an Ethernet address */
    uint8_t overload;           /* option 52 as received (parse only), or 0 */
    uint16_t present;           /* MIRA_DHCP_HAS_* */
    uint8_t msg_type;           /* MIRA_DHCP_DISCOVER ... */
    uint32_t server_id;
    uint32_t requested_ip;
    uint32_t lease_time;        /* seconds */
    uint32_t t1;                /* renewal time, seconds */
    uint32_t t2;                /* rebinding time, seconds */
    uint32_t subnet_mask;
    uint8_t router_count;       /* as received; the first MIRA_DHCP_MAX_ADDRS kept */
    uint32_t routers[MIRA_DHCP_MAX_ADDRS];
    uint8_t dns_count;
    uint32_t dns[MIRA_DHCP_MAX_ADDRS];
    uint16_t max_msg_size;
    const uint8_t *param_request; /* option codes */
    uint8_t param_request_len;
    const uint8_t *client_id;     /* type byte, then the id */
    uint8_t client_id_len;
};

/* mira_dhcp_parse: parses the message [p, p + len) (the UDP data) into *m;
 * returns 0. */
int mira_dhcp_parse(const uint8_t *p, size_t len, struct mira_dhcp_msg *m, enum mira_tcpip_drop *why);

/* mira_dhcp_build: writes m at buf: the fixed part (htype 1, hlen 6,
 * chaddr, sname and file zero), the cookie, the options m->present names
 * (message type first, never option 52), end, and zero padding up to 300
 * bytes (RFC 1542).  Returns the length; MIRA_ENOMEM if cap is smaller;
 * MIRA_EINVAL if the message type is missing or not 1..8, a count exceeds
 * MIRA_DHCP_MAX_ADDRS or is 0 while present, a list is empty or NULL while
 * present, or the client id is shorter than 2. */
int mira_dhcp_build(uint8_t *buf, size_t cap, const struct mira_dhcp_msg *m);

#endif
