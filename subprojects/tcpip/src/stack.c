/* stack.c - the stack as a device (mira/tcpip.h): parameters, connect and
 * close, the ops table, the input fiber (a batch of frames per wake-up,
 * each parsed in place and handed up without a copy) and Ethernet in and
 * out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mira/byteorder.h>
#include <mira/log.h>
#include <mira/param.h>
#include <mira/random.h>
#include <mira/runtime.h>
#include <mira/tcpip.h>
#include <mira/tcpip/arp.h>

#include "core.h"

#define DRIVER "tcpip"
/* Frames taken from the netif per wake-up. */
#define RX_BATCH 32
/* The longest the input fiber sleeps: how soon it sees a close. */
#define RX_POLL MIRA_MILLISECONDS(100)

#ifndef MIRA_TCPIP_DHCP_DEFAULT
#define MIRA_TCPIP_DHCP_DEFAULT "false"
#endif

MIRA_PARAM_DECLARE(ipv4, "*-ipv4", "10.0.0.2/24", "our IPv4 address and prefix (without DHCP)");
MIRA_PARAM_DECLARE(gateway, "*-gateway", "10.0.0.1",
                   "the default router (0.0.0.0: none; without DHCP)");
MIRA_PARAM_DECLARE(dhcp, "*-dhcp", MIRA_TCPIP_DHCP_DEFAULT,
                   "configure IPv4 by DHCP (true or false)");
MIRA_PARAM_DECLARE(dhcp_timeout, "*-dhcp-timeout", "30",
                   "seconds to wait for the first DHCP lease");
MIRA_PARAM_DECLARE(arp_size, "*-arp-cache-size", "64", "ARP cache entries");
MIRA_PARAM_DECLARE(arp_timeout, "*-arp-timeout", "60", "seconds an ARP answer is trusted");
MIRA_PARAM_DECLARE(arp_queue, "*-arp-queue", "64",
                   "packets kept per next hop while ARP resolves it");
MIRA_PARAM_DECLARE(reass_dgrams, "*-reass-datagrams", "16",
                   "fragmented IPv4 datagrams reassembled at once");
MIRA_PARAM_DECLARE(reass_bytes, "*-reass-bytes", "1048576",
                   "bytes of memory for IPv4 reassembly");
MIRA_PARAM_DECLARE(reass_timeout, "*-reass-timeout", "15",
                   "seconds to wait for a datagram's fragments");
MIRA_PARAM_DECLARE(udp_queue, "*-udp-queue", "256", "datagrams a UDP socket keeps unread");

static const char *const core_drop_names[TCPIP_DROP_CORE_COUNT] = {
    [TCPIP_DROP_NOT_OURS] = "not-ours",
    [TCPIP_DROP_ETH_TYPE] = "eth-type",
    [TCPIP_DROP_PROTO] = "ip-proto",
    [TCPIP_DROP_UDP_PORT] = "udp-port",
    [TCPIP_DROP_UDP_QUEUE] = "udp-queue",
    [TCPIP_DROP_NOMEM] = "nomem",
    [TCPIP_DROP_NO_ADDR] = "no-address",
    [TCPIP_DROP_NO_ROUTE] = "no-route",
    [TCPIP_DROP_ARP_QUEUE] = "arp-queue",
    [TCPIP_DROP_ARP_FAILED] = "arp-failed",
    [TCPIP_DROP_TX] = "tx",
};

const char *tcpip_core_drop_name(enum tcpip_core_drop reason)
{
    return (unsigned)reason < TCPIP_DROP_CORE_COUNT ? core_drop_names[reason] : "unknown";
}

void tcpip_count_core_drop(struct tcpip_stack *s, enum tcpip_core_drop reason)
{
    s->core_drops[reason]++;
}

void tcpip_count_drop(struct tcpip_stack *s, enum mira_tcpip_drop reason)
{
    if ((unsigned)reason < MIRA_DROP_COUNT)
        s->drops[reason]++;
}

/* --- the seam's accessors (stack_internal.h) --- */

mira_ipv4_t tcpip_addr(struct tcpip_stack *s)
{
    return s->cfg.addr;
}

struct mira_stack *tcpip_dev(struct tcpip_stack *s)
{
    return &s->dev;
}

struct tcpip_stack *tcpip_from_dev(struct mira_stack *dev)
{
    return (struct tcpip_stack *)dev;
}

const struct mira_netif_info *tcpip_netif_info(struct tcpip_stack *s)
{
    return &s->info;
}

struct tcpip_tcp *tcpip_tcp_state(struct tcpip_stack *s)
{
    return s->tcp;
}

void tcpip_set_tcp_state(struct tcpip_stack *s, struct tcpip_tcp *t)
{
    s->tcp = t;
}

/* --- Ethernet --- */

struct mira_pbuf *tcpip_alloc(struct tcpip_stack *s, size_t len)
{
    return mira_pbuf_alloc(len, MIRA_TCPIP_HEADROOM + s->info.headroom + 8);
}

int tcpip_eth_output(struct tcpip_stack *s, const uint8_t mac[MIRA_ETH_ADDR_LEN], uint16_t type,
                     struct mira_pbuf *p)
{
    uint8_t *h = mira_pbuf_push(&p, MIRA_ETH_HDR_LEN);
    if (h == NULL) {
        mira_pbuf_free(p);
        tcpip_count_core_drop(s, TCPIP_DROP_NOMEM);
        return MIRA_ENOMEM;
    }
    memcpy(h + MIRA_ETH_OFF_DST, mac, MIRA_ETH_ADDR_LEN);
    memcpy(h + MIRA_ETH_OFF_SRC, s->info.mac, MIRA_ETH_ADDR_LEN);
    mira_store_be16(h + MIRA_ETH_OFF_TYPE, type);
    if (p->offload.flags & MIRA_PBUF_CSUM_PARTIAL)
        p->offload.csum_start += MIRA_ETH_HDR_LEN;
    if (p->offload.gso_type != MIRA_PBUF_GSO_NONE)
        p->offload.hdr_len += MIRA_ETH_HDR_LEN;
    int r = mira_netif_send(s->netif, p);
    if (r < 0) {
        tcpip_count_core_drop(s, TCPIP_DROP_TX);
        return MIRA_EIO;
    }
    return MIRA_OK;
}

static void eth_input(struct tcpip_stack *s, struct mira_pbuf *p)
{
    size_t tot = p->tot_len;
    size_t want = tot < MIRA_ETH_VLAN_HDR_LEN ? tot : MIRA_ETH_VLAN_HDR_LEN;
    uint8_t *b = mira_pbuf_pullup(&p, want);
    struct mira_eth_hdr h;
    enum mira_tcpip_drop why = MIRA_DROP_ETH_SHORT;
    int hl = b ? mira_eth_parse(b, want, &h, &why) : MIRA_ECORRUPT;
    if (hl < 0) {
        tcpip_count_drop(s, why);
        mira_pbuf_free(p);
        return;
    }
    if (memcmp(h.dst, s->info.mac, MIRA_ETH_ADDR_LEN) != 0 && !mira_eth_is_broadcast(h.dst)) {
        tcpip_count_core_drop(s, TCPIP_DROP_NOT_OURS);
        mira_pbuf_free(p);
        return;
    }
    /* A VLAN other than none is not ours: Mira's stack is on one link. */
    if (h.vlan || (h.type != MIRA_ETH_TYPE_IPV4 && h.type != MIRA_ETH_TYPE_ARP)) {
        tcpip_count_core_drop(s, TCPIP_DROP_ETH_TYPE);
        mira_pbuf_free(p);
        return;
    }
    mira_pbuf_pull(&p, (size_t)hl);
    if (h.type == MIRA_ETH_TYPE_IPV4) {
        tcpip_ip_input(s, p);
        return;
    }
    size_t n = p->tot_len < MIRA_ARP_LEN ? p->tot_len : MIRA_ARP_LEN;
    uint8_t *a = mira_pbuf_pullup(&p, n);
    if (a != NULL)
        tcpip_arp_input(s, a, n);
    else
        tcpip_count_drop(s, MIRA_DROP_ARP_SHORT);
    mira_pbuf_free(p);
}

/* --- the input fiber --- */

static void rx_fiber(void *arg)
{
    struct tcpip_stack *s = arg;
    struct mira_pbuf *frames[RX_BATCH];
    mira_time_t next_tick = 0;
    while (!s->stopping) {
        mira_time_t now = mira_clock_monotonic();
        if (now >= next_tick) {
            mira_time_t a = tcpip_arp_tick(s, now);
            mira_time_t d = tcpip_dhcp_tick(s, now);
            tcpip_ip_tick(s, now);
            next_tick = mira_time_add(now, MIRA_SECONDS(1));
            if (a < next_tick)
                next_tick = a;
            if (d < next_tick)
                next_tick = d;
        }
        mira_time_t deadline = mira_time_add(now, RX_POLL);
        if (next_tick < deadline)
            deadline = next_tick;
        int n = mira_netif_recv(s->netif, frames, RX_BATCH, deadline);
        if (n == MIRA_ETIMEDOUT)
            continue;
        if (n < 0) {
            mira_log(MIRA_LOG_ERROR, DRIVER, "%s: receiving from %s: %s; the stack is deaf now",
                     s->dev.name, mira_netif_name(s->netif), mira_strerror(n));
            break;
        }
        for (int i = 0; i < n; i++)
            eth_input(s, frames[i]);
    }
}

/* --- configuration --- */

void tcpip_address_changed(struct tcpip_stack *s)
{
    tcpip_arp_flush(s);
    tcpip_arp_announce(s);
    mira_wake_all(&s->cfg_changed);
}

static int stack_ipv4(struct mira_stack *dev, struct mira_ipv4_config *cfg)
{
    struct tcpip_stack *s = tcpip_from_dev(dev);
    if (s->cfg.addr == MIRA_IPV4_ANY)
        return MIRA_EAGAIN;
    *cfg = s->cfg;
    return MIRA_OK;
}

static void log_drops(struct tcpip_stack *s)
{
    char line[512];
    size_t k = 0;
    line[0] = '\0';
    for (int i = 1; i < MIRA_DROP_COUNT; i++)
        if (s->drops[i] && k < sizeof(line) - 64)
            k += (size_t)snprintf(line + k, sizeof(line) - k, " %s %llu",
                                  mira_tcpip_drop_name(i), (unsigned long long)s->drops[i]);
    for (int i = 0; i < TCPIP_DROP_CORE_COUNT; i++)
        if (s->core_drops[i] && k < sizeof(line) - 64)
            k += (size_t)snprintf(line + k, sizeof(line) - k, " %s %llu",
                                  tcpip_core_drop_name(i), (unsigned long long)s->core_drops[i]);
    if (k > 0)
        mira_log(MIRA_LOG_INFO, DRIVER, "%s: dropped:%s", s->dev.name, line);
}

/* One line of what crossed the netif, GSO frames apart: shows whether the
 * device's offloads were used (tests read it). */
static void log_traffic(struct tcpip_stack *s)
{
    struct mira_netif_stats st;
    mira_netif_stats(s->netif, &st);
    mira_log(MIRA_LOG_INFO, DRIVER, "%s: frames out %llu (gso %llu, %llu bytes), in %llu "
             "(gso %llu, %llu bytes)", s->dev.name, (unsigned long long)st.tx_frames,
             (unsigned long long)st.tx_gso_frames, (unsigned long long)st.tx_bytes,
             (unsigned long long)st.rx_frames, (unsigned long long)st.rx_gso_frames,
             (unsigned long long)st.rx_bytes);
}

static void stack_free(struct tcpip_stack *s)
{
    tcpip_udp_fini(s);
    tcpip_dhcp_fini(s);
    tcpip_ip_fini(s);
    tcpip_arp_fini(s);
    free(s);
}

static void stack_close(struct mira_stack *dev)
{
    struct tcpip_stack *s = tcpip_from_dev(dev);
    s->stopping = true;
    if (s->rx)
        mira_join(s->rx);
    tcpip_tcp_fini(s);
    log_drops(s);
    log_traffic(s);
    stack_free(s);
}

static const struct mira_stack_ops tcpip_ops = {
    .ipv4 = stack_ipv4,
    .udp_bind = tcpip_udp_bind,
    .udp_recv = tcpip_udp_recv,
    .udp_send = tcpip_udp_send,
    .udp_close = tcpip_udp_close,
    .udp_free = tcpip_udp_free,
    .tcp_listen = tcpip_tcp_listen,
    .tcp_accept = tcpip_tcp_accept,
    .listener_close = tcpip_tcp_listener_close,
    .listener_free = tcpip_tcp_listener_free,
    .tcp_connect = tcpip_tcp_connect,
    .tcp_read = tcpip_tcp_read,
    .tcp_write = tcpip_tcp_write,
    .tcp_shutdown = tcpip_tcp_shutdown,
    .tcp_close = tcpip_tcp_close,
    .tcp_free = tcpip_tcp_free,
    .tcp_set_nodelay = tcpip_tcp_set_nodelay,
    .tcp_set_keepalive = tcpip_tcp_set_keepalive,
    .close = stack_close,
};

/* "<name>-<key>" */
static const char *param_of(const char *name, const char *key, const char *dflt, char *full,
                            size_t size)
{
    int n = snprintf(full, size, "%s-%s", name, key);
    if (n < 0 || (size_t)n >= size)
        mira_panic("tcpip: device name '%s' too long", name);
    return mira_param(full, dflt);
}

/* A whole-number parameter in [min, max]. */
static int uint_param(const char *name, const char *key, const char *dflt, unsigned long min,
                      unsigned long max, unsigned long *out)
{
    char full[128];
    const char *v = param_of(name, key, dflt, full, sizeof(full));
    char *end;
    unsigned long x = strtoul(v, &end, 10);
    if (v[0] < '0' || v[0] > '9' || *end != '\0' || x < min || x > max) {
        mira_connect_error(name, DRIVER, "--%s=%s is not a number from %lu to %lu", full, v,
                           min, max);
        return MIRA_EINVAL;
    }
    *out = x;
    return MIRA_OK;
}

/* Reads every parameter into s; *dhcp, *dhcp_timeout, *limits too. */
static int read_params(struct tcpip_stack *s, const char *name, bool *dhcp,
                       unsigned long *dhcp_timeout, struct mira_ipv4_reass_limits *limits,
                       unsigned long *arp_size)
{
    char full[128];
    const char *v = param_of(name, "dhcp", MIRA_TCPIP_DHCP_DEFAULT, full, sizeof(full));
    if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
        mira_connect_error(name, DRIVER, "--%s=%s is neither true nor false", full, v);
        return MIRA_EINVAL;
    }
    *dhcp = strcmp(v, "true") == 0;
    v = param_of(name, "ipv4", "10.0.0.2/24", full, sizeof(full));
    if (mira_ipv4_parse_cidr(v, &s->cfg.addr, &s->cfg.prefix_len) < 0 ||
        s->cfg.addr == MIRA_IPV4_ANY || s->cfg.prefix_len == 0) {
        mira_connect_error(name, DRIVER, "--%s=%s is not an IPv4 address with its prefix "
                           "(e.g. 10.0.0.2/24)", full, v);
        return MIRA_EINVAL;
    }
    v = param_of(name, "gateway", "10.0.0.1", full, sizeof(full));
    if (mira_ipv4_parse(v, &s->cfg.gateway) < 0) {
        mira_connect_error(name, DRIVER, "--%s=%s is not an IPv4 address (0.0.0.0: no "
                           "gateway)", full, v);
        return MIRA_EINVAL;
    }
    unsigned long arp_timeout, arp_queue, dgrams, bytes, reass_timeout, udp_queue;
    int r = 0;
    r |= uint_param(name, "dhcp-timeout", "30", 1, 86400, dhcp_timeout);
    r |= uint_param(name, "arp-cache-size", "64", 1, 65536, arp_size);
    r |= uint_param(name, "arp-timeout", "60", 1, 86400, &arp_timeout);
    r |= uint_param(name, "arp-queue", "64", 1, 4096, &arp_queue);
    r |= uint_param(name, "reass-datagrams", "16", 1, 4096, &dgrams);
    r |= uint_param(name, "reass-bytes", "1048576", 0, 1ul << 30, &bytes);
    r |= uint_param(name, "reass-timeout", "15", 1, 3600, &reass_timeout);
    r |= uint_param(name, "udp-queue", "256", 1, 1ul << 20, &udp_queue);
    if (r != 0)
        return MIRA_EINVAL;
    s->arp_timeout = MIRA_SECONDS((mira_time_t)arp_timeout);
    s->arp_queue_max = (unsigned)arp_queue;
    s->udp_queue_max = (unsigned)udp_queue;
    *limits = (struct mira_ipv4_reass_limits){
        .max_datagrams = dgrams,
        .max_len = MIRA_IPV4_MAX_LEN - MIRA_IPV4_HDR_LEN,
        .max_bytes = bytes,
        .timeout_ns = (uint64_t)reass_timeout * 1000000000u,
    };
    return MIRA_OK;
}

static int fail(struct tcpip_stack *s, int err)
{
    if (s->rx) {
        s->stopping = true;
        mira_join(s->rx);
    }
    stack_free(s);
    return err;
}

int mira_tcpip_connect(struct mira_stack **out, const char *name, struct mira_netif *netif)
{
    if (netif == NULL)
        mira_panic("tcpip: %s has no netif", name);
    struct tcpip_stack *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return MIRA_ENOMEM;
    s->dev.ops = &tcpip_ops;
    s->dev.name = name;
    s->netif = netif;
    mira_netif_info(netif, &s->info);
    s->mtu = s->info.mtu < MIRA_IPV4_MAX_LEN ? s->info.mtu : MIRA_IPV4_MAX_LEN;
    s->ip_id = (uint16_t)mira_random_u32();
    s->udp_next_port = (uint16_t)mira_random_u32();
    mira_waitq_init(&s->cfg_changed, false);
    bool dhcp;
    unsigned long dhcp_timeout, arp_size;
    struct mira_ipv4_reass_limits limits;
    int r = read_params(s, name, &dhcp, &dhcp_timeout, &limits, &arp_size);
    if (r < 0)
        return fail(s, r);
    if (s->mtu < 68) {
        mira_connect_error(name, DRIVER, "%s's MTU of %u is below IPv4's 68",
                           mira_netif_name(netif), (unsigned)s->mtu);
        return fail(s, MIRA_EINVAL);
    }
    if (tcpip_arp_init(s, arp_size) < 0 || tcpip_ip_init(s, &limits) < 0)
        return fail(s, MIRA_ENOMEM);
    if (limits.max_bytes < 4096)
        mira_log(MIRA_LOG_WARN, DRIVER, "%s: reassembly has %lu bytes: fragmented datagrams "
                 "will be dropped", name, (unsigned long)limits.max_bytes);
    if (dhcp) {
        s->cfg = (struct mira_ipv4_config){ .dhcp = true };
        if (tcpip_dhcp_start(s) < 0)
            return fail(s, MIRA_ENOMEM);
    }
    s->rx = mira_spawn_joinable("tcpip-rx", rx_fiber, s, 0);
    if (s->rx == NULL)
        return fail(s, MIRA_ENOMEM);
    char a[MIRA_IPV4_STRLEN], g[MIRA_IPV4_STRLEN];
    if (!dhcp) {
        mira_log(MIRA_LOG_INFO, DRIVER, "%s: %s/%u, gateway %s, on %s", name,
                 mira_ipv4_format(s->cfg.addr, a), s->cfg.prefix_len,
                 mira_ipv4_format(s->cfg.gateway, g), mira_netif_name(netif));
        if (s->cfg.gateway != MIRA_IPV4_ANY && !tcpip_ip_on_link(s, s->cfg.gateway))
            mira_log(MIRA_LOG_WARN, DRIVER, "%s: gateway %s is not on %s/%u", name, g, a,
                     s->cfg.prefix_len);
        tcpip_arp_announce(s);
    } else {
        mira_log(MIRA_LOG_INFO, DRIVER, "%s: asking for an address by DHCP on %s", name,
                 mira_netif_name(netif));
        mira_time_t deadline = mira_time_add(mira_clock_monotonic(),
                                             MIRA_SECONDS((mira_time_t)dhcp_timeout));
        while (s->cfg.addr == MIRA_IPV4_ANY) {
            if (mira_wait_until(&s->cfg_changed, deadline) == MIRA_ETIMEDOUT &&
                s->cfg.addr == MIRA_IPV4_ANY) {
                mira_connect_error(name, DRIVER, "no DHCP lease on %s within %lu s "
                                   "(--%s-dhcp-timeout); is a DHCP server on its link?",
                                   mira_netif_name(netif), dhcp_timeout, name);
                return fail(s, MIRA_ETIMEDOUT);
            }
        }
    }
    r = tcpip_tcp_init(s);
    if (r < 0)
        return fail(s, r);
    *out = &s->dev;
    return MIRA_OK;
}
