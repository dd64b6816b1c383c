/* tests/apps/tapnet: raw Ethernet frames with a Linux kernel through a
 * netif, for tests/integration/netif_tap.py.  Answers ARP requests for
 * --answer-ip (default 10.0.0.2) with the netif's MAC, and after each
 * answer sends a broadcast frame of EtherType 0x88b5 (local experimental)
 * whose payload is "hello from mira"; runs until asked to stop, then prints
 * the netif's counters and returns 0.  The ARP bytes are spelt out here on
 * purpose: this app tests the netif, not a protocol library. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <mira/byteorder.h>
#include <mira/console.h>
#include <mira/fiber.h>
#include <mira/ipv4.h>
#include <mira/netif.h>
#include <mira/param.h>
#include <mira/stop.h>

MIRA_PARAM_DECLARE(answer_ip, "answer-ip", "10.0.0.2", "the IPv4 address to answer ARP for");

#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_HELLO 0x88b5
#define ARP_LEN 28

static struct {
    struct mira_console *c;
    struct mira_netif *n;
    struct mira_netif_info info;
    mira_ipv4_t ip;
    unsigned answered;
    bool stop, rx_done;
    struct mira_waitq done_q;
} A = { .done_q = MIRA_WAITQ_INIT };

static void put_eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    mira_store_be16(f + 12, type);
}

static void send_hello(void)
{
    static const char text[] = "hello from mira";
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    struct mira_pbuf *p = mira_pbuf_alloc(sizeof(text) - 1, MIRA_PBUF_HEADROOM);
    if (p == NULL)
        return;
    mira_pbuf_copy_in(p, 0, text, sizeof(text) - 1);
    uint8_t *eth = mira_pbuf_push(&p, MIRA_ETH_HLEN);
    put_eth(eth, bcast, A.info.mac, ETHERTYPE_HELLO);
    mira_netif_send(A.n, p);
}

/* An ARP request for our address: answer it. */
static void handle(struct mira_pbuf *f)
{
    uint8_t *h = mira_pbuf_pullup(&f, MIRA_ETH_HLEN + ARP_LEN);
    if (h == NULL || mira_load_be16(h + 12) != ETHERTYPE_ARP)
        goto out;
    const uint8_t *arp = h + MIRA_ETH_HLEN;
    /* Ethernet/IPv4, lengths 6 and 4, a request. */
    if (mira_load_be16(arp) != 1 || mira_load_be16(arp + 2) != 0x0800 || arp[4] != 6 ||
        arp[5] != 4 || mira_load_be16(arp + 6) != 1 || mira_load_be32(arp + 24) != A.ip)
        goto out;
    uint8_t sha[6];
    memcpy(sha, arp + 8, 6);
    uint32_t spa = mira_load_be32(arp + 14);
    char who[MIRA_IPV4_STRLEN], tell[MIRA_IPV4_STRLEN];
    mira_console_log(A.c, "ARP: who-has %s tell %s", mira_ipv4_format(A.ip, who),
                     mira_ipv4_format(spa, tell));

    struct mira_pbuf *r = mira_pbuf_alloc(ARP_LEN, MIRA_PBUF_HEADROOM);
    if (r == NULL)
        goto out;
    uint8_t *a = r->data;
    mira_store_be16(a, 1);
    mira_store_be16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    mira_store_be16(a + 6, 2); /* reply */
    memcpy(a + 8, A.info.mac, 6);
    mira_store_be32(a + 14, A.ip);
    memcpy(a + 18, sha, 6);
    mira_store_be32(a + 24, spa);
    put_eth(mira_pbuf_push(&r, MIRA_ETH_HLEN), sha, A.info.mac, ETHERTYPE_ARP);
    int err = mira_netif_send(A.n, r);
    if (err < 0) {
        mira_console_log(A.c, "ARP reply not sent: %s", mira_strerror(err));
    } else {
        A.answered++;
        send_hello();
    }
out:
    mira_pbuf_free(f);
}

static void rx_fiber(void *arg)
{
    (void)arg;
    struct mira_pbuf *frames[16];
    while (!A.stop) {
        /* A short deadline: the netif has no close that ends a wait. */
        mira_time_t deadline = mira_time_add(mira_clock_monotonic(), MIRA_MILLISECONDS(100));
        int n = mira_netif_recv(A.n, frames, 16, deadline);
        if (n == MIRA_ETIMEDOUT)
            continue;
        if (n < 0) {
            mira_console_log(A.c, "receive failed: %s", mira_strerror(n));
            break;
        }
        for (int i = 0; i < n; i++)
            handle(frames[i]);
    }
    A.rx_done = true;
    mira_wake_all(&A.done_q);
}

int unikernel_start(struct mira_console *c, struct mira_netif *n)
{
    A.c = c;
    A.n = n;
    /* Before the first line: a SIGTERM after it must find the app catching. */
    mira_stop_catch();
    mira_netif_info(n, &A.info);
    const char *ip = mira_param("answer-ip", "10.0.0.2");
    if (mira_ipv4_parse(ip, &A.ip) < 0) {
        mira_console_log(c, "--answer-ip=%s is not an IPv4 address", ip);
        return 2;
    }
    const uint8_t *m = A.info.mac;
    mira_console_log(c, "MAC %02x:%02x:%02x:%02x:%02x:%02x MTU %u", m[0], m[1], m[2], m[3],
                     m[4], m[5], (unsigned)A.info.mtu);
    if (mira_spawn("rx", rx_fiber, NULL, 0) < 0)
        return 1;
    mira_stop_wait(MIRA_TIME_NEVER);
    A.stop = true;
    while (!A.rx_done)
        mira_wait(&A.done_q);

    struct mira_netif_stats st;
    mira_netif_stats(n, &st);
    uint64_t drops = 0;
    for (int i = 0; i < MIRA_NETIF_DROP_REASONS; i++)
        drops += st.rx_drops[i] + st.tx_drops[i];
    mira_console_log(c, "answered %u; rx %llu frames %llu bytes; tx %llu frames %llu bytes; "
                     "drops %llu", A.answered, (unsigned long long)st.rx_frames,
                     (unsigned long long)st.rx_bytes, (unsigned long long)st.tx_frames,
                     (unsigned long long)st.tx_bytes, (unsigned long long)drops);
    return 0;
}
