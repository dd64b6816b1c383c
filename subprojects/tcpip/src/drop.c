/* drop.c - names of drop reasons.  See mira/tcpip/drop.h. */
#include <mira/tcpip/drop.h>
#include <stddef.h>

static const char *const names[MIRA_DROP_COUNT] = {
    [MIRA_DROP_NONE] = "none",
    [MIRA_DROP_ETH_SHORT] = "eth-short",
    [MIRA_DROP_ETH_NOT_DIX] = "eth-not-dix",
    [MIRA_DROP_ETH_VLAN_STACKED] = "eth-vlan-stacked",
    [MIRA_DROP_ARP_SHORT] = "arp-short",
    [MIRA_DROP_ARP_HTYPE] = "arp-htype",
    [MIRA_DROP_ARP_PTYPE] = "arp-ptype",
    [MIRA_DROP_ARP_HLEN] = "arp-hlen",
    [MIRA_DROP_ARP_PLEN] = "arp-plen",
    [MIRA_DROP_ARP_OPER] = "arp-oper",
    [MIRA_DROP_ARP_SENDER] = "arp-sender",
    [MIRA_DROP_IPV4_SHORT] = "ipv4-short",
    [MIRA_DROP_IPV4_VERSION] = "ipv4-version",
    [MIRA_DROP_IPV4_IHL] = "ipv4-ihl",
    [MIRA_DROP_IPV4_TOTAL_LENGTH] = "ipv4-total-length",
    [MIRA_DROP_IPV4_CHECKSUM] = "ipv4-checksum",
    [MIRA_DROP_IPV4_RESERVED_FLAG] = "ipv4-reserved-flag",
    [MIRA_DROP_IPV4_FRAG_TOO_BIG] = "ipv4-frag-too-big",
    [MIRA_DROP_REASS_FRAG_ALIGN] = "reass-frag-align",
    [MIRA_DROP_REASS_EMPTY] = "reass-empty",
    [MIRA_DROP_REASS_DUPLICATE] = "reass-duplicate",
    [MIRA_DROP_REASS_OVERLAP] = "reass-overlap",
    [MIRA_DROP_REASS_INCONSISTENT] = "reass-inconsistent",
    [MIRA_DROP_REASS_TOO_BIG] = "reass-too-big",
    [MIRA_DROP_REASS_TIMEOUT] = "reass-timeout",
    [MIRA_DROP_REASS_EVICTED] = "reass-evicted",
    [MIRA_DROP_REASS_NOMEM] = "reass-nomem",
    [MIRA_DROP_REASS_NOT_TAKEN] = "reass-not-taken",
    [MIRA_DROP_ICMP_SHORT] = "icmp-short",
    [MIRA_DROP_ICMP_CHECKSUM] = "icmp-checksum",
    [MIRA_DROP_ICMP_QUOTE] = "icmp-quote",
    [MIRA_DROP_UDP_SHORT] = "udp-short",
    [MIRA_DROP_UDP_LENGTH] = "udp-length",
    [MIRA_DROP_UDP_CHECKSUM] = "udp-checksum",
    [MIRA_DROP_TCP_SHORT] = "tcp-short",
    [MIRA_DROP_TCP_DATA_OFFSET] = "tcp-data-offset",
    [MIRA_DROP_TCP_CHECKSUM] = "tcp-checksum",
    [MIRA_DROP_TCP_OPT_OVERRUN] = "tcp-opt-overrun",
    [MIRA_DROP_TCP_OPT_LENGTH] = "tcp-opt-length",
    [MIRA_DROP_DHCP_SHORT] = "dhcp-short",
    [MIRA_DROP_DHCP_OP] = "dhcp-op",
    [MIRA_DROP_DHCP_HTYPE] = "dhcp-htype",
    [MIRA_DROP_DHCP_COOKIE] = "dhcp-cookie",
    [MIRA_DROP_DHCP_OPT_OVERRUN] = "dhcp-opt-overrun",
    [MIRA_DROP_DHCP_OPT_LENGTH] = "dhcp-opt-length",
    [MIRA_DROP_DHCP_OVERLOAD] = "dhcp-overload",
    [MIRA_DROP_DHCP_NO_TYPE] = "dhcp-no-type",
};

const char *mira_tcpip_drop_name(enum mira_tcpip_drop reason)
{
    if ((unsigned)reason >= MIRA_DROP_COUNT || names[reason] == NULL)
        return "unknown";
    return names[reason];
}
