/* test_netif.c - what the runtime does for every netif driver (frame
 * checks, counters, freeing refused frames) against a fake driver, and the
 * address helpers: IPv4 and MAC text, netmasks, random MACs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <mira/driver/netif.h>
#include <mira/ipv4.h>

/* A driver that keeps what it is sent and hands back what it was given. */
struct fake {
    struct mira_netif dev;
    struct mira_pbuf *sent[8];
    int nsent;
    int send_result;
    struct mira_pbuf *to_recv[8];
    int nrecv;
};

static int fake_send(struct mira_netif *n, struct mira_pbuf *f)
{
    struct fake *k = (struct fake *)n;
    if (k->send_result < 0) {
        mira_netif_count_drop(n, false, MIRA_NETIF_DROP_TX_FULL);
        mira_pbuf_free(f);
        return k->send_result;
    }
    k->sent[k->nsent++] = f;
    return 0;
}

static int fake_recv(struct mira_netif *n, struct mira_pbuf **frames, int max, mira_time_t d)
{
    (void)d;
    struct fake *k = (struct fake *)n;
    int i = 0;
    for (; i < max && i < k->nrecv; i++)
        frames[i] = k->to_recv[i];
    return i ? i : MIRA_ETIMEDOUT;
}

static const struct mira_netif_ops fake_ops = { .send = fake_send, .recv = fake_recv };

static void fake_init(struct fake *k)
{
    memset(k, 0, sizeof(*k));
    k->dev.ops = &fake_ops;
    k->dev.name = "net0";
    k->dev.info.mtu = 1500;
}

static size_t pieces_alive(void)
{
    struct mira_pbuf_stats st;
    mira_pbuf_stats(&st);
    return st.pieces;
}

static void test_send_checks_and_counts(void **state)
{
    (void)state;
    struct fake k;
    fake_init(&k);
    assert_int_equal(mira_netif_send(&k.dev, mira_pbuf_alloc(1514, 0)), 0);
    assert_int_equal(mira_netif_send(&k.dev, mira_pbuf_alloc(60, 0)), 0);
    /* Too long, too short: refused, counted, freed; the driver never sees them. */
    assert_int_equal(mira_netif_send(&k.dev, mira_pbuf_alloc(1515, 0)), MIRA_EINVAL);
    assert_int_equal(mira_netif_send(&k.dev, mira_pbuf_alloc(13, 0)), MIRA_EINVAL);
    /* GSO only on a device that has it. */
    struct mira_pbuf *g = mira_pbuf_alloc(9000, 0);
    g->offload.gso_type = MIRA_PBUF_GSO_TCPV4;
    assert_int_equal(mira_netif_send(&k.dev, g), MIRA_EINVAL);
    assert_int_equal(k.nsent, 2);
    /* A driver's own drop is counted once, not as sent. */
    k.send_result = MIRA_EAGAIN;
    assert_int_equal(mira_netif_send(&k.dev, mira_pbuf_alloc(100, 0)), MIRA_EAGAIN);

    struct mira_netif_stats st;
    mira_netif_stats(&k.dev, &st);
    assert_int_equal(st.tx_frames, 2);
    assert_int_equal(st.tx_bytes, 1514 + 60);
    assert_int_equal(st.tx_drops[MIRA_NETIF_DROP_TOO_LONG], 2);
    assert_int_equal(st.tx_drops[MIRA_NETIF_DROP_TOO_SHORT], 1);
    assert_int_equal(st.tx_drops[MIRA_NETIF_DROP_TX_FULL], 1);
    assert_int_equal(st.rx_frames, 0);
    for (int i = 0; i < k.nsent; i++)
        mira_pbuf_free(k.sent[i]);
    assert_int_equal(pieces_alive(), 0);
}

static void test_recv_counts(void **state)
{
    (void)state;
    struct fake k;
    fake_init(&k);
    k.to_recv[0] = mira_pbuf_alloc(60, 0);
    k.to_recv[1] = mira_pbuf_alloc(1514, 0);
    k.nrecv = 2;
    struct mira_pbuf *f[4];
    assert_int_equal(mira_netif_recv(&k.dev, f, 4, MIRA_TIME_NEVER), 2);
    k.nrecv = 0;
    assert_int_equal(mira_netif_recv(&k.dev, f + 2, 2, 0), MIRA_ETIMEDOUT);
    struct mira_netif_stats st;
    mira_netif_stats(&k.dev, &st);
    assert_int_equal(st.rx_frames, 2);
    assert_int_equal(st.rx_bytes, 1574);
    mira_pbuf_free(f[0]);
    mira_pbuf_free(f[1]);
}

static void test_gso_frames(void **state)
{
    (void)state;
    struct mira_netif_info info = { .mtu = 1500, .offloads = MIRA_NETIF_TSO4, .gso_max = 65535 };
    assert_int_equal(mira_netif_check_frame(&info, 65535, true), 0);
    assert_int_equal(mira_netif_check_frame(&info, 65536, true), MIRA_EINVAL);
    assert_int_equal(mira_netif_check_frame(&info, 1515, false), MIRA_EINVAL);
    assert_int_equal(mira_netif_check_frame(&info, 14, false), 0);
    assert_int_equal(mira_netif_check_frame(&info, 13, true), MIRA_EINVAL);
    assert_string_equal(mira_netif_drop_name(MIRA_NETIF_DROP_TX_FULL), "tx-full");
    assert_string_equal(mira_netif_drop_name(MIRA_NETIF_DROP_REASONS), "unknown");
}

static void test_mac(void **state)
{
    (void)state;
    uint8_t mac[6] = { 9, 9, 9, 9, 9, 9 };
    static const uint8_t want[6] = { 0x02, 0xab, 0xcd, 0xef, 0x00, 0x19 };
    assert_int_equal(mira_netif_parse_mac("02:AB:cd:ef:00:19", mac), 0);
    assert_memory_equal(mac, want, 6);
    static const char *const bad[] = { "", "02:ab:cd:ef:00", "02:ab:cd:ef:00:19:",
        "02:ab:cd:ef:00:1", "02-ab-cd-ef-00-19", "2:ab:cd:ef:00:19", "02:ab:cd:ef:00:1g",
        "02:ab:cd:ef:00:190" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(mira_netif_parse_mac(bad[i], mac), MIRA_EINVAL);
        assert_memory_equal(mac, want, 6);
    }
    /* Random ones are unicast and locally administered. */
    for (int i = 0; i < 64; i++) {
        mira_netif_random_mac(mac);
        assert_int_equal(mac[0] & 3, 2);
    }
}

static void test_ipv4_text(void **state)
{
    (void)state;
    mira_ipv4_t a = 7;
    char buf[MIRA_IPV4_STRLEN];
    assert_int_equal(mira_ipv4_parse("10.0.0.2", &a), 0);
    assert_int_equal(a, MIRA_IPV4(10, 0, 0, 2));
    assert_string_equal(mira_ipv4_format(a, buf), "10.0.0.2");
    assert_int_equal(mira_ipv4_parse("255.255.255.255", &a), 0);
    assert_string_equal(mira_ipv4_format(a, buf), "255.255.255.255");
    assert_int_equal(mira_ipv4_parse("0.0.0.0", &a), 0);
    assert_int_equal(a, 0);
    a = 7;
    static const char *const bad[] = { "", "10.0.0", "10.0.0.2.", "10.0.0.256", "10.0.0.02",
        "010.0.0.2", "10..0.2", "10.0.0.2 ", " 10.0.0.2", "+10.0.0.2", "10.0.0.1234",
        "10.0.0.-1", "1.2.3.4/24" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(mira_ipv4_parse(bad[i], &a), MIRA_EINVAL);
        assert_int_equal(a, 7);
    }
    unsigned prefix = 99;
    assert_int_equal(mira_ipv4_parse_cidr("10.0.0.2/24", &a, &prefix), 0);
    assert_int_equal(a, MIRA_IPV4(10, 0, 0, 2));
    assert_int_equal(prefix, 24);
    assert_int_equal(mira_ipv4_parse_cidr("10.0.0.3", &a, &prefix), 0);
    assert_int_equal(prefix, 32);
    assert_int_equal(mira_ipv4_parse_cidr("0.0.0.0/0", &a, &prefix), 0);
    assert_int_equal(prefix, 0);
    static const char *const badc[] = { "10.0.0.2/", "10.0.0.2/33", "10.0.0.2/024",
        "10.0.0.2/2x", "10.0.0.2/-1", "10.0.0/24" };
    for (size_t i = 0; i < sizeof(badc) / sizeof(badc[0]); i++) {
        assert_int_equal(mira_ipv4_parse_cidr(badc[i], &a, &prefix), MIRA_EINVAL);
        assert_int_equal(prefix, 0);
    }
    assert_int_equal(mira_ipv4_netmask(24), MIRA_IPV4(255, 255, 255, 0));
    assert_int_equal(mira_ipv4_netmask(0), 0);
    assert_int_equal(mira_ipv4_netmask(32), 0xffffffffu);
    assert_int_equal(mira_ipv4_netmask(40), 0xffffffffu);
    assert_int_equal(mira_ipv4_netmask(1), 0x80000000u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_send_checks_and_counts),
        cmocka_unit_test(test_recv_counts),
        cmocka_unit_test(test_gso_frames),
        cmocka_unit_test(test_mac),
        cmocka_unit_test(test_ipv4_text),
    };
    return cmocka_run_group_tests_name("netif", tests, NULL, NULL);
}
