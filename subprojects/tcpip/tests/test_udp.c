/* test_udp.c - UDP: Linux's datagrams (one to a closed port, DHCP's)
 * parsed and rebuilt byte for byte; zero checksum accepted; length and
 * checksum validation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <mira/byteorder.h>
#include <mira/tcpip/udp.h>
#include "vectors.h"

struct l4 {
    const uint8_t *p;
    size_t len;
    uint32_t src, dst;
};

static struct l4 l4(const uint8_t *frame)
{
    const uint8_t *ip = frame + 14;
    size_t ihl = (size_t)(ip[0] & 15) * 4;
    struct l4 r = {ip + ihl, mira_load_be16(ip + 2) - ihl, mira_load_be32(ip + 12), mira_load_be32(ip + 16)};
    return r;
}

static void test_linux_datagrams(void **state)
{
    (void)state;
    const uint8_t *vecs[] = {vec_udp_closed_port, vec_dhcp_discover, vec_dhcp_offer, vec_dhcp_request, vec_dhcp_ack};
    for (size_t i = 0; i < 5; i++) {
        struct l4 d = l4(vecs[i]);
        struct mira_udp_hdr u;
        assert_int_equal(mira_udp_parse(d.p, d.len, d.src, d.dst, &u, NULL), 8);
        assert_int_equal(u.data_len, d.len - 8);
        assert_ptr_equal(u.data, d.p + 8);
        /* rebuilt from its data, it is the same datagram */
        uint8_t buf[400];
        memcpy(buf + 8, u.data, u.data_len);
        assert_int_equal(mira_udp_build(buf, sizeof(buf), d.src, d.dst, u.sport, u.dport, u.data_len), 8);
        assert_memory_equal(buf, d.p, d.len);
        if (i == 0) {
            assert_int_equal(u.dport, 9999);
            assert_memory_equal(u.data, "mira wire layer", 15);
        }
    }
}

static void test_zero_checksum_and_trailer(void **state)
{
    (void)state;
    struct l4 d = l4(vec_udp_closed_port);
    uint8_t b[64];
    memcpy(b, d.p, d.len);
    mira_store_be16(b + 6, 0); /* the sender computed none */
    struct mira_udp_hdr u;
    assert_int_equal(mira_udp_parse(b, d.len, d.src ^ 0xffff, d.dst, &u, NULL), 8);
    assert_int_equal(u.checksum, 0);
    /* bytes after the UDP length are not data */
    memcpy(b, d.p, d.len);
    b[d.len] = 0xee;
    assert_int_equal(mira_udp_parse(b, d.len + 1, d.src, d.dst, &u, NULL), 8);
    assert_int_equal(u.data_len, 15);
}

static void test_checksum_zero_sent_as_ffff(void **state)
{
    (void)state;
    /* find data whose checksum computes to 0: then 0xffff is sent */
    uint8_t b[10];
    for (unsigned x = 0; x < 0x10000; x++) {
        mira_store_be16(b + 8, (uint16_t)x);
        assert_int_equal(mira_udp_build(b, sizeof(b), 0x01020304, 0x05060708, 1, 2, 2), 8);
        struct mira_udp_hdr u;
        assert_int_equal(mira_udp_parse(b, sizeof(b), 0x01020304, 0x05060708, &u, NULL), 8);
        assert_int_not_equal(u.checksum, 0);
        if (u.checksum == 0xffff)
            return;
    }
    fail_msg("no data gave a computed checksum of 0");
}

static void test_malformed(void **state)
{
    (void)state;
    struct l4 d = l4(vec_udp_closed_port);
    uint8_t b[64];
    struct mira_udp_hdr u;
    enum mira_tcpip_drop why;
    for (size_t k = 0; k < 8; k++) {
        why = MIRA_DROP_NONE;
        assert_int_equal(mira_udp_parse(d.p, k, d.src, d.dst, &u, &why), MIRA_ECORRUPT);
        assert_int_equal(why, MIRA_DROP_UDP_SHORT);
    }
    why = MIRA_DROP_NONE;
    assert_int_equal(mira_udp_parse(d.p, d.len - 1, d.src, d.dst, &u, &why), MIRA_ECORRUPT);
    assert_int_equal(why, MIRA_DROP_UDP_LENGTH);
    memcpy(b, d.p, d.len);
    for (unsigned l = 0; l < 8; l++) {
        mira_store_be16(b + 4, (uint16_t)l);
        why = MIRA_DROP_NONE;
        assert_int_equal(mira_udp_parse(b, d.len, d.src, d.dst, &u, &why), MIRA_ECORRUPT);
        assert_int_equal(why, MIRA_DROP_UDP_LENGTH);
    }
    for (size_t bit = 0; bit < d.len * 8; bit++) {
        memcpy(b, d.p, d.len);
        if (bit / 8 == 4 || bit / 8 == 5)
            continue; /* the length: checked first */
        b[bit / 8] ^= (uint8_t)(1 << (bit % 8));
        if (mira_load_be16(b + 6) == 0)
            continue; /* flipped into "no checksum" */
        why = MIRA_DROP_NONE;
        assert_int_equal(mira_udp_parse(b, d.len, d.src, d.dst, &u, &why), MIRA_ECORRUPT);
        assert_int_equal(why, MIRA_DROP_UDP_CHECKSUM);
    }
    /* another pseudo-header */
    assert_int_equal(mira_udp_parse(d.p, d.len, d.src, d.dst + 1, &u, &why), MIRA_ECORRUPT);
    assert_int_equal(why, MIRA_DROP_UDP_CHECKSUM);
    assert_int_equal(mira_udp_build(b, 22, 1, 2, 3, 4, 15), MIRA_ENOMEM);
    assert_int_equal(mira_udp_build(b, sizeof(b), 1, 2, 3, 4, 65508), MIRA_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linux_datagrams),
        cmocka_unit_test(test_zero_checksum_and_trailer),
        cmocka_unit_test(test_checksum_zero_sent_as_ffff),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests_name("tcpip-udp", tests, NULL, NULL);
}
