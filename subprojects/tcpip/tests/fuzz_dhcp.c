/* fuzz_dhcp.c - libFuzzer target of mira_dhcp_parse (options, overload):
 * what parses rebuilds to a message that parses to the same values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mira/tcpip/dhcp.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mira_dhcp_msg m;
    enum mira_tcpip_drop why = MIRA_DROP_NONE;
    if (mira_dhcp_parse(data, size, &m, &why) < 0) {
        if (why == MIRA_DROP_NONE || why >= MIRA_DROP_COUNT)
            abort();
        return 0;
    }
    const uint8_t *end = data + size;
    if ((m.present & MIRA_DHCP_HAS_PARAM_REQUEST) &&
        (m.param_request < data || m.param_request + m.param_request_len > end))
        abort();
    if ((m.present & MIRA_DHCP_HAS_CLIENT_ID) && (m.client_id < data || m.client_id + m.client_id_len > end))
        abort();
    /* counts beyond 4 were cut to 4 kept addresses */
    if (m.router_count > MIRA_DHCP_MAX_ADDRS)
        m.router_count = MIRA_DHCP_MAX_ADDRS;
    if (m.dns_count > MIRA_DHCP_MAX_ADDRS)
        m.dns_count = MIRA_DHCP_MAX_ADDRS;
    static uint8_t buf[2048];
    int n = mira_dhcp_build(buf, sizeof(buf), &m);
    if (n < 300)
        abort();
    struct mira_dhcp_msg b;
    if (mira_dhcp_parse(buf, (size_t)n, &b, NULL) != 0)
        abort();
    if (b.present != m.present || b.msg_type != m.msg_type || b.xid != m.xid || b.op != m.op ||
        b.yiaddr != m.yiaddr || b.ciaddr != m.ciaddr || b.siaddr != m.siaddr || b.giaddr != m.giaddr ||
        b.flags != m.flags || b.secs != m.secs || b.hops != m.hops || memcmp(b.chaddr, m.chaddr, 6) != 0 ||
        b.server_id != m.server_id || b.requested_ip != m.requested_ip || b.lease_time != m.lease_time ||
        b.t1 != m.t1 || b.t2 != m.t2 || b.subnet_mask != m.subnet_mask || b.router_count != m.router_count ||
        b.dns_count != m.dns_count || b.max_msg_size != m.max_msg_size || b.overload != 0)
        abort();
    if (memcmp(b.routers, m.routers, 4u * m.router_count) != 0 || memcmp(b.dns, m.dns, 4u * m.dns_count) != 0)
        abort();
    if ((m.present & MIRA_DHCP_HAS_PARAM_REQUEST) &&
        (b.param_request_len != m.param_request_len ||
         memcmp(b.param_request, m.param_request, m.param_request_len) != 0))
        abort();
    if ((m.present & MIRA_DHCP_HAS_CLIENT_ID) &&
        (b.client_id_len != m.client_id_len || memcmp(b.client_id, m.client_id, m.client_id_len) != 0))
        abort();
    return 0;
}
