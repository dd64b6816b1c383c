/* tests/xen/guests/netfront: netfront against Linux netback over the rig's
 * bridge (Xen only), through the netif interface alone (no IP stack).
 * The guest is 10.0.0.2: it announces itself with a gratuitous ARP, then
 * answers ARP requests for 10.0.0.2 and ICMP echo requests to it, building
 * each reply by hand (an echo reply in place, in the very receive page it
 * came in: swap the MACs and the addresses, type 0, checksum updated), while
 * dom0 runs `ping -c 20` and `ping -c 5 -s 1400`.  Once it has answered
 * ECHOES requests and the backend has taken every reply, it prints its
 * statistics and checks that every receive page is back on the ring. */
#include <string.h>
#include <mira/byteorder.h>
#include <mira/console.h>
#include <mira/format.h>
#include <mira/netfront.h>
#include <mira/netif.h>
#include <mira/tcpip/arp.h>
#include <mira/tcpip/csum.h>
#include <mira/tcpip/eth.h>
#include <mira/tcpip/icmp.h>
#include <mira/tcpip/wire_ipv4.h>

#define ECHOES 25   /* dom0: 20 + 5 large */
#define BIG 1400    /* ping -s 1400: the echo data bytes */
#define OUR_IP 0x0a000002u /* 10.0.0.2 */

static struct mira_console *con;
static struct mira_netif *net;
static struct mira_netif_info info;
static unsigned echoes, big_echoes, arp_replies, ignored;

#define FAIL(...)                                                    \
    do {                                                             \
        mira_console_log(con, "netfront: FAIL: " __VA_ARGS__);       \
        return 1;                                                    \
    } while (0)

/* An ARP packet from us to dst, in a fresh 60-byte frame. */
static int send_arp(const uint8_t dst[6], const struct mira_arp *a)
{
    struct mira_pbuf *f = mira_pbuf_alloc(MIRA_ETH_MIN_FRAME, 0);
    if (f == NULL)
        return MIRA_ENOMEM;
    uint8_t *p = f->data;
    struct mira_eth_hdr h = { .type = MIRA_ETH_TYPE_ARP };
    memcpy(h.dst, dst, 6);
    memcpy(h.src, info.mac, 6);
    int n = mira_eth_build(p, MIRA_ETH_MIN_FRAME, &h);
    n += mira_arp_build(p + n, MIRA_ETH_MIN_FRAME - (size_t)n, a);
    memset(p + n, 0, MIRA_ETH_MIN_FRAME - (size_t)n); /* padding */
    return mira_netif_send(net, f);
}

/* An echo request to us becomes its reply in place and goes back.  The
 * IPv4 header is checked by hand (tcpip's header parser clashes by name
 * with mira/ipv4.h's text parser until the tcpip branches rename it). */
static void answer_echo(struct mira_pbuf *f, const struct mira_eth_hdr *eh, size_t ip_len)
{
    uint8_t *p = f->data;
    uint8_t *ip = p + MIRA_ETH_HDR_LEN;
    if (ip_len < 20 || (ip[0] >> 4) != 4)
        goto ignore;
    size_t hlen = (size_t)(ip[0] & 15) * 4, total = mira_load_be16(ip + 2);
    if (hlen < 20 || total < hlen || total > ip_len ||
        mira_csum_finish(mira_csum_partial(ip, hlen, 0)) != 0 ||
        (mira_load_be16(ip + 6) & 0x3fff) != 0 /* a fragment */ ||
        ip[9] != MIRA_IPV4_PROTO_ICMP || mira_load_be32(ip + 16) != OUR_IP)
        goto ignore;
    uint8_t *icmp = ip + hlen;
    struct mira_icmp_msg m;
    enum mira_tcpip_drop why;
    if (mira_icmp_parse(icmp, total - hlen, &m, &why) < 0 || m.type != MIRA_ICMP_ECHO_REQUEST)
        goto ignore;
    /* Ethernet: back to the sender.  IPv4: addresses swapped (the header
     * checksum is a sum: unchanged).  ICMP: type 8 -> 0, checksum updated. */
    memcpy(p + MIRA_ETH_OFF_DST, eh->src, 6);
    memcpy(p + MIRA_ETH_OFF_SRC, info.mac, 6);
    uint8_t a[4];
    memcpy(a, ip + 12, 4);
    memcpy(ip + 12, ip + 16, 4);
    memcpy(ip + 16, a, 4);
    uint16_t old = mira_load_be16(icmp);
    icmp[0] = MIRA_ICMP_ECHO_REPLY;
    mira_store_be16(icmp + 2, mira_csum_update16(mira_load_be16(icmp + 2), old,
                                                 mira_load_be16(icmp)));
    /* Cut Ethernet padding, if any. */
    (void)mira_pbuf_trim(f, MIRA_ETH_HDR_LEN + total);
    if (mira_netif_send(net, f) == 0) {
        echoes++;
        big_echoes += m.data_len >= BIG;
    }
    return;
ignore:
    ignored++;
    mira_pbuf_free(f);
}

static void handle(struct mira_pbuf *f)
{
    struct mira_eth_hdr eh;
    enum mira_tcpip_drop why;
    /* netfront gives one piece per frame (no scatter-gather yet) */
    if (f->next != NULL || mira_eth_parse(f->data, f->len, &eh, &why) < 0 || eh.vlan) {
        ignored++;
        mira_pbuf_free(f);
        return;
    }
    size_t plen = f->len - MIRA_ETH_HDR_LEN;
    if (eh.type == MIRA_ETH_TYPE_IPV4) {
        answer_echo(f, &eh, plen);
        return;
    }
    struct mira_arp req, rep;
    if (eh.type == MIRA_ETH_TYPE_ARP &&
        mira_arp_parse(f->data + MIRA_ETH_HDR_LEN, plen, &req, &why) >= 0 &&
        req.oper == MIRA_ARP_OP_REQUEST && req.tpa == OUR_IP && !mira_arp_is_gratuitous(&req)) {
        mira_arp_reply(&rep, &req, info.mac);
        if (send_arp(req.sha, &rep) == 0)
            arp_replies++;
    } else {
        ignored++;
    }
    mira_pbuf_free(f);
}

static void print_stats(void)
{
    struct mira_netif_stats st;
    mira_netif_stats(net, &st);
    mira_console_log(con, "netfront: rx %llu frames %llu bytes, tx %llu frames %llu bytes",
                     (unsigned long long)st.rx_frames, (unsigned long long)st.rx_bytes,
                     (unsigned long long)st.tx_frames, (unsigned long long)st.tx_bytes);
    for (int rx = 1; rx >= 0; rx--) {
        char line[200];
        size_t n = 0;
        line[0] = '\0';
        for (int r = 0; r < MIRA_NETIF_DROP_REASONS; r++) {
            uint64_t c = rx ? st.rx_drops[r] : st.tx_drops[r];
            n += (size_t)mira_snprintf(line + n, sizeof(line) - n, " %s=%llu",
                                       mira_netif_drop_name((enum mira_netif_drop)r),
                                       (unsigned long long)c);
        }
        mira_console_log(con, "netfront: %s drops:%s", rx ? "rx" : "tx", line);
    }
    struct mira_netfront_stats ns;
    mira_netfront_stats(net, &ns);
    mira_console_log(con, "netfront: refused responses: bad-id=%llu bad-status=%llu bad-size=%llu "
                     "bad-flags=%llu rsp-prod=%llu; %u frames gathered",
                     (unsigned long long)ns.refused[0], (unsigned long long)ns.refused[1],
                     (unsigned long long)ns.refused[2], (unsigned long long)ns.refused[3],
                     (unsigned long long)ns.refused[4], ns.tx_linearised);
}

int unikernel_start(struct mira_console *console0, struct mira_netif *net0)
{
    con = console0;
    net = net0;
    mira_netif_info(net, &info);
    const uint8_t *m = info.mac;
    mira_console_log(con, "netfront: mac %02x:%02x:%02x:%02x:%02x:%02x mtu %u", m[0], m[1], m[2],
                     m[3], m[4], m[5], info.mtu);
    struct mira_arp garp;
    mira_arp_gratuitous(&garp, info.mac, OUR_IP);
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    int r = send_arp(bcast, &garp);
    if (r < 0)
        FAIL("gratuitous ARP: %s", mira_strerror(r));
    mira_console_log(con, "netfront: up: announced 10.0.0.2 (gratuitous ARP)");

    struct mira_pbuf *frames[32];
    /* dom0 starts pinging as soon as it sees the line above. */
    mira_time_t deadline = mira_time_add(mira_clock_monotonic(), MIRA_SECONDS(75));
    while (echoes < ECHOES) {
        r = mira_netif_recv(net, frames, 32, deadline);
        if (r < 0) {
            print_stats();
            FAIL("receive after %u echo replies: %s", echoes, mira_strerror(r));
        }
        for (int i = 0; i < r; i++)
            handle(frames[i]);
    }
    mira_console_log(con, "netfront: answered %u echo requests (%u of %u bytes), %u ARP requests; "
                     "%u other frames", echoes, big_echoes, BIG, arp_replies, ignored);
    if (big_echoes < 5)
        FAIL("only %u large echo requests", big_echoes);

    /* Until the backend has taken every reply (its responses reaped). */
    struct mira_netfront_stats ns;
    for (int tries = 0; mira_netfront_stats(net, &ns), ns.tx_inflight > 0; tries++) {
        if (tries == 50)
            FAIL("%u transmit slots still with the backend", ns.tx_inflight);
        r = mira_netif_recv(net, frames, 32, mira_time_add(mira_clock_monotonic(),
                                                           MIRA_MILLISECONDS(100)));
        for (int i = 0; i < r; i++)
            mira_pbuf_free(frames[i]);
    }
    print_stats();
    if (ns.rx_posted != ns.rx_pages)
        FAIL("%u of %u receive pages on the ring", ns.rx_posted, ns.rx_pages);
    mira_console_log(con, "netfront: every receive page back on the ring (%u)", ns.rx_pages);
    for (int i = 0; i < 5; i++)
        if (ns.refused[i] != 0)
            FAIL("the backend sent responses we refused");
    mira_console_log(con, "netfront: ok");
    return 0;
}
