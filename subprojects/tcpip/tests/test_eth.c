/* test_eth.c - Ethernet II parse and build: real frames from Linux, 802.1Q
 * tags, and malformed frames with their drop reasons. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <mira/tcpip/eth.h>
#include "vectors.h"

static const uint8_t mac_a[6] = {2, 0, 0, 0, 0, 0x0a};
static const uint8_t mac_b[6] = {2, 0, 0, 0, 0, 0x0b};

static void test_real_frames(void **state)
{
    (void)state;
    struct mira_eth_hdr h;
    enum mira_tcpip_drop why = MIRA_DROP_NONE;
    assert_int_equal(mira_eth_parse(vec_arp_request, sizeof(vec_arp_request), &h, &why), 14);
    assert_memory_equal(h.dst, mira_eth_broadcast, 6);
    assert_memory_equal(h.src, mac_a, 6);
    assert_int_equal(h.type, MIRA_ETH_TYPE_ARP);
    assert_false(h.vlan);
    assert_true(mira_eth_is_broadcast(h.dst));
    assert_true(mira_eth_is_multicast(h.dst));

    assert_int_equal(mira_eth_parse(vec_tcp_syn, sizeof(vec_tcp_syn), &h, &why), 14);
    assert_memory_equal(h.dst, mac_b, 6);
    assert_int_equal(h.type, MIRA_ETH_TYPE_IPV4);
    assert_false(mira_eth_is_multicast(h.dst));

    /* other types parse: the stack dispatches on them */
    assert_int_equal(mira_eth_parse(vec_ipv6_frame, sizeof(vec_ipv6_frame), &h, &why), 14);
    assert_int_equal(h.type, MIRA_ETH_TYPE_IPV6);
    assert_true(mira_eth_is_multicast(h.dst));
    assert_false(mira_eth_is_broadcast(h.dst));
    assert_int_equal(why, MIRA_DROP_NONE);
}

static void test_build_matches_linux(void **state)
{
    (void)state;
    uint8_t buf[14];
    struct mira_eth_hdr h;
    assert_int_equal(mira_eth_parse(vec_icmp_echo_reply, sizeof(vec_icmp_echo_reply), &h, NULL), 14);
    assert_int_equal(mira_eth_build(buf, sizeof(buf), &h), 14);
    assert_memory_equal(buf, vec_icmp_echo_reply, 14);
    assert_int_equal(mira_eth_build(buf, 13, &h), MIRA_ENOMEM);
    h.type = 0x05dc;
    assert_int_equal(mira_eth_build(buf, sizeof(buf), &h), MIRA_EINVAL);
    h.type = MIRA_ETH_TYPE_VLAN;
    assert_int_equal(mira_eth_build(buf, sizeof(buf), &h), MIRA_EINVAL);
}

static void test_vlan_tag(void **state)
{
    (void)state;
    uint8_t f[64];
    struct mira_eth_hdr h = {.type = MIRA_ETH_TYPE_IPV4, .vlan = true, .tci = 0x6064};
    memcpy(h.dst, mac_b, 6);
    memcpy(h.src, mac_a, 6);
    assert_int_equal(mira_eth_build(f, 17, &h), MIRA_ENOMEM);
    assert_int_equal(mira_eth_build(f, sizeof(f), &h), 18);
    const uint8_t want[18] = {2, 0, 0, 0, 0, 0x0b, 2, 0, 0, 0, 0, 0x0a, 0x81, 0x00, 0x60, 0x64, 0x08, 0x00};
    assert_memory_equal(f, want, 18);
    struct mira_eth_hdr g;
    assert_int_equal(mira_eth_parse(f, 18, &g, NULL), 18);
    assert_true(g.vlan);
    assert_int_equal(g.tci & MIRA_ETH_VLAN_VID_MASK, 0x064);
    assert_int_equal(g.type, MIRA_ETH_TYPE_IPV4);
}

static void test_malformed(void **state)
{
    (void)state;
    uint8_t f[64];
    struct mira_eth_hdr h;
    enum mira_tcpip_drop why;
    memcpy(f, vec_tcp_syn, sizeof(f));

    for (size_t n = 0; n < 14; n++) {
        why = MIRA_DROP_NONE;
        assert_int_equal(mira_eth_parse(f, n, &h, &why), MIRA_ECORRUPT);
        assert_int_equal(why, MIRA_DROP_ETH_SHORT);
    }
    /* an 802.3 length field */
    f[12] = 0x05, f[13] = 0xff;
    assert_int_equal(mira_eth_parse(f, 60, &h, &why), MIRA_ENOTSUP);
    assert_int_equal(why, MIRA_DROP_ETH_NOT_DIX);
    f[12] = 0x06, f[13] = 0x00; /* the first type value is one */
    assert_int_equal(mira_eth_parse(f, 60, &h, NULL), 14);
    /* a tag cut short */
    f[12] = 0x81, f[13] = 0x00;
    assert_int_equal(mira_eth_parse(f, 17, &h, &why), MIRA_ECORRUPT);
    assert_int_equal(why, MIRA_DROP_ETH_SHORT);
    /* QinQ: an S-tag outside, or two C-tags */
    f[16] = 0x81, f[17] = 0x00;
    assert_int_equal(mira_eth_parse(f, 60, &h, &why), MIRA_ENOTSUP);
    assert_int_equal(why, MIRA_DROP_ETH_VLAN_STACKED);
    f[16] = 0x88, f[17] = 0xa8;
    why = MIRA_DROP_NONE;
    assert_int_equal(mira_eth_parse(f, 60, &h, &why), MIRA_ENOTSUP);
    assert_int_equal(why, MIRA_DROP_ETH_VLAN_STACKED);
    f[12] = 0x88, f[13] = 0xa8;
    why = MIRA_DROP_NONE;
    assert_int_equal(mira_eth_parse(f, 60, &h, &why), MIRA_ENOTSUP);
    assert_int_equal(why, MIRA_DROP_ETH_VLAN_STACKED);
    /* a tag with an 802.3 length inside */
    f[12] = 0x81, f[13] = 0x00, f[16] = 0x00, f[17] = 0x40;
    assert_int_equal(mira_eth_parse(f, 60, &h, &why), MIRA_ENOTSUP);
    assert_int_equal(why, MIRA_DROP_ETH_NOT_DIX);
}

static void test_pad(void **state)
{
    (void)state;
    uint8_t f[64];
    memset(f, 0xaa, sizeof(f));
    assert_int_equal(mira_eth_pad(f, 42, 59), MIRA_ENOMEM);
    assert_int_equal(f[42], 0xaa);
    assert_int_equal(mira_eth_pad(f, 42, sizeof(f)), 60);
    for (int i = 42; i < 60; i++)
        assert_int_equal(f[i], 0);
    assert_int_equal(f[60], 0xaa);
    assert_int_equal(mira_eth_pad(f, 61, 61), 61);
}

static void test_drop_names(void **state)
{
    (void)state;
    for (int r = 0; r < MIRA_DROP_COUNT; r++)
        assert_string_not_equal(mira_tcpip_drop_name((enum mira_tcpip_drop)r), "unknown");
    assert_string_equal(mira_tcpip_drop_name(MIRA_DROP_COUNT), "unknown");
    assert_string_equal(mira_tcpip_drop_name(MIRA_DROP_TCP_DATA_OFFSET), "tcp-data-offset");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_frames),
        cmocka_unit_test(test_build_matches_linux),
        cmocka_unit_test(test_vlan_tag),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_pad),
        cmocka_unit_test(test_drop_names),
    };
    return cmocka_run_group_tests_name("tcpip-eth", tests, NULL, NULL);
}
