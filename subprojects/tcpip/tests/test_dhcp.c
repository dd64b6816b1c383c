/* test_dhcp.c - DHCP: dhclient's and dnsmasq's messages parsed; ours built
 * and parsed back; option overload (52) into file and sname; every
 * validation with its drop reason. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <mira/byteorder.h>
#include <mira/tcpip/dhcp.h>
#include "vectors.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
static const uint8_t mac_a[6] = {2, 0, 0, 0, 0, 0x0a};

/* The DHCP message inside a captured frame. */
static const uint8_t *msg(const uint8_t *frame, size_t *len)
{
    const uint8_t *ip = frame + 14;
    size_t ihl = (size_t)(ip[0] & 15) * 4;
    *len = mira_load_be16(ip + 2) - ihl - 8;
    return ip + ihl + 8;
}

static void test_dhclient_and_dnsmasq(void **state)
{
    (void)state;
    size_t n;
    struct mira_dhcp_msg m;
    const uint8_t *p = msg(vec_dhcp_discover, &n);
    assert_int_equal(mira_dhcp_parse(p, n, &m, NULL), 0);
    assert_int_equal(m.op, MIRA_DHCP_BOOTREQUEST);
    assert_int_equal(m.msg_type, MIRA_DHCP_DISCOVER);
    assert_memory_equal(m.chaddr, mac_a, 6);
    assert_true(m.present & MIRA_DHCP_HAS_PARAM_REQUEST);
    assert_true(m.param_request_len > 4);
    assert_non_null(memchr(m.param_request, MIRA_DHCP_OPT_ROUTER, m.param_request_len));
    uint32_t xid = m.xid;

    p = msg(vec_dhcp_offer, &n);
    assert_int_equal(mira_dhcp_parse(p, n, &m, NULL), 0);
    assert_int_equal(m.op, MIRA_DHCP_BOOTREPLY);
    assert_int_equal(m.msg_type, MIRA_DHCP_OFFER);
    assert_int_equal(m.xid, xid);
    assert_int_equal(m.yiaddr, IP(10, 99, 0, 53));
    assert_int_equal(m.server_id, IP(10, 99, 0, 2));
    assert_int_equal(m.lease_time, 3600);
    assert_int_equal(m.t1, 1800);
    assert_int_equal(m.t2, 3150);
    assert_int_equal(m.subnet_mask, IP(255, 255, 255, 0));
    assert_int_equal(m.router_count, 1);
    assert_int_equal(m.routers[0], IP(10, 99, 0, 2));
    assert_int_equal(m.dns_count, 2);
    assert_int_equal(m.dns[1], IP(10, 99, 0, 3));

    p = msg(vec_dhcp_request, &n);
    assert_int_equal(mira_dhcp_parse(p, n, &m, NULL), 0);
    assert_int_equal(m.msg_type, MIRA_DHCP_REQUEST);
    assert_int_equal(m.requested_ip, IP(10, 99, 0, 53));
    assert_int_equal(m.server_id, IP(10, 99, 0, 2));

    p = msg(vec_dhcp_ack, &n);
    assert_int_equal(mira_dhcp_parse(p, n, &m, NULL), 0);
    assert_int_equal(m.msg_type, MIRA_DHCP_ACK);
    assert_int_equal(m.yiaddr, IP(10, 99, 0, 53));
}

static void test_build_and_parse_back(void **state)
{
    (void)state;
    const uint8_t prl[] = {1, 3, 6, 51, 54, 58, 59};
    const uint8_t cid[] = {1, 2, 0, 0, 0, 0, 0x0a};
    struct mira_dhcp_msg m = {
        .op = MIRA_DHCP_BOOTREQUEST, .xid = 0x12345678, .secs = 3, .flags = MIRA_DHCP_FLAG_BROADCAST,
        .present = MIRA_DHCP_HAS_MSG_TYPE | MIRA_DHCP_HAS_REQUESTED_IP | MIRA_DHCP_HAS_SERVER_ID |
                   MIRA_DHCP_HAS_PARAM_REQUEST | MIRA_DHCP_HAS_CLIENT_ID | MIRA_DHCP_HAS_MAX_MSG_SIZE,
        .msg_type = MIRA_DHCP_REQUEST, .requested_ip = IP(10, 99, 0, 53), .server_id = IP(10, 99, 0, 2),
        .max_msg_size = 576, .param_request = prl, .param_request_len = sizeof(prl),
        .client_id = cid, .client_id_len = sizeof(cid),
    };
    memcpy(m.chaddr, mac_a, 6);
    uint8_t buf[400];
    assert_int_equal(mira_dhcp_build(buf, 299, &m), MIRA_ENOMEM);
    assert_int_equal(mira_dhcp_build(buf, sizeof(buf), &m), 300); /* padded to BOOTP's 300 */
    struct mira_dhcp_msg g;
    assert_int_equal(mira_dhcp_parse(buf, 300, &g, NULL), 0);
    assert_int_equal(g.present, m.present);
    assert_int_equal(g.xid, m.xid);
    assert_int_equal(g.flags, m.flags);
    assert_int_equal(g.requested_ip, m.requested_ip);
    assert_int_equal(g.max_msg_size, 576);
    assert_memory_equal(g.param_request, prl, sizeof(prl));
    assert_memory_equal(g.client_id, cid, sizeof(cid));
    assert_memory_equal(g.chaddr, mac_a, 6);

    /* a server-side message with every option, longer than 300 */
    struct mira_dhcp_msg o = {
        .op = MIRA_DHCP_BOOTREPLY, .yiaddr = IP(10, 0, 0, 9),
        .present = 0xfff, .msg_type = MIRA_DHCP_ACK, .server_id = 1, .requested_ip = 2, .lease_time = 3,
        .t1 = 4, .t2 = 5, .subnet_mask = 6, .router_count = 4, .routers = {7, 8, 9, 10}, .dns_count = 4,
        .dns = {11, 12, 13, 14}, .max_msg_size = 1500, .param_request = prl, .param_request_len = 7,
        .client_id = cid, .client_id_len = 7,
    };
    int len = mira_dhcp_build(buf, sizeof(buf), &o);
    assert_int_equal(len, 240 + 3 + 6 * 6 + 18 + 18 + 4 + 9 + 9 + 1);
    assert_int_equal(mira_dhcp_parse(buf, (size_t)len, &g, NULL), 0);
    assert_int_equal(g.present, 0xfff);
    assert_int_equal(g.t2, 5);
    assert_memory_equal(g.routers, o.routers, sizeof(o.routers));
    assert_memory_equal(g.dns, o.dns, sizeof(o.dns));
    /* refusals */
    o.router_count = 5;
    assert_int_equal(mira_dhcp_build(buf, sizeof(buf), &o), MIRA_EINVAL);
    o.router_count = 1;
    o.client_id_len = 1;
    assert_int_equal(mira_dhcp_build(buf, sizeof(buf), &o), MIRA_EINVAL);
    o.client_id_len = 7;
    o.msg_type = 9;
    assert_int_equal(mira_dhcp_build(buf, sizeof(buf), &o), MIRA_EINVAL);
    o.msg_type = MIRA_DHCP_ACK;
    o.present &= (uint16_t)~MIRA_DHCP_HAS_MSG_TYPE;
    assert_int_equal(mira_dhcp_build(buf, sizeof(buf), &o), MIRA_EINVAL);
}

/* A base message (our discover) to break. */
static size_t base(uint8_t *buf)
{
    struct mira_dhcp_msg m = {.op = MIRA_DHCP_BOOTREQUEST, .present = MIRA_DHCP_HAS_MSG_TYPE,
                              .msg_type = MIRA_DHCP_DISCOVER};
    memset(buf, 0, 600);
    return (size_t)mira_dhcp_build(buf, 600, &m);
}

static void check_drop(const uint8_t *p, size_t len, enum mira_tcpip_drop reason)
{
    struct mira_dhcp_msg m, before;
    memset(&m, 0x5a, sizeof(m));
    before = m;
    enum mira_tcpip_drop why = MIRA_DROP_NONE;
    assert_int_equal(mira_dhcp_parse(p, len, &m, &why), MIRA_ECORRUPT);
    assert_int_equal(why, reason);
    assert_memory_equal(&m, &before, sizeof(m));
}

static void test_overload(void **state)
{
    (void)state;
    uint8_t b[600];
    size_t n = base(b);
    struct mira_dhcp_msg m;
    /* options: type, overload 3, end; file: lease time, end; sname: mask */
    uint8_t *o = b + MIRA_DHCP_OFF_OPTIONS;
    const uint8_t opts[] = {53, 1, 2, 52, 1, 3, 255};
    memcpy(o, opts, sizeof(opts));
    const uint8_t file[] = {0, 51, 4, 0, 0, 0x0e, 0x10, 255};
    memcpy(b + MIRA_DHCP_OFF_FILE, file, sizeof(file));
    const uint8_t sname[] = {1, 4, 255, 255, 0, 0, 53, 1, 5}; /* no end: the field ends */
    memcpy(b + MIRA_DHCP_OFF_SNAME, sname, sizeof(sname));
    assert_int_equal(mira_dhcp_parse(b, n, &m, NULL), 0);
    assert_int_equal(m.overload, 3);
    assert_int_equal(m.lease_time, 3600);
    assert_int_equal(m.subnet_mask, IP(255, 255, 0, 0));
    assert_int_equal(m.msg_type, MIRA_DHCP_ACK); /* sname comes last */
    /* overload 1: sname is a name, not options */
    o[5] = 1;
    assert_int_equal(mira_dhcp_parse(b, n, &m, NULL), 0);
    assert_int_equal(m.msg_type, MIRA_DHCP_OFFER);
    assert_false(m.present & MIRA_DHCP_HAS_SUBNET_MASK);
    /* without 52, file is a file name */
    o[3] = 12;
    assert_int_equal(mira_dhcp_parse(b, n, &m, NULL), 0);
    assert_false(m.present & MIRA_DHCP_HAS_LEASE_TIME);
    /* 52 with a bad value, length, twice, inside file */
    o[3] = 52;
    o[5] = 0;
    check_drop(b, n, MIRA_DROP_DHCP_OVERLOAD);
    o[5] = 4;
    check_drop(b, n, MIRA_DROP_DHCP_OVERLOAD);
    o[4] = 2;
    o[5] = 1;
    check_drop(b, n, MIRA_DROP_DHCP_OVERLOAD);
    const uint8_t twice[] = {53, 1, 2, 52, 1, 1, 52, 1, 1, 255};
    memcpy(o, twice, sizeof(twice));
    check_drop(b, n, MIRA_DROP_DHCP_OVERLOAD);
    memcpy(o, opts, sizeof(opts));
    o[5] = 1;
    b[MIRA_DHCP_OFF_FILE] = 52; /* 52, 51: length 51 runs past file? no: 52 is misplaced first */
    b[MIRA_DHCP_OFF_FILE + 1] = 1;
    b[MIRA_DHCP_OFF_FILE + 2] = 1;
    check_drop(b, n, MIRA_DROP_DHCP_OVERLOAD);
    /* an option running past the end of file (not into sname) */
    memset(b + MIRA_DHCP_OFF_FILE, 0, MIRA_DHCP_FILE_LEN);
    b[MIRA_DHCP_OFF_FILE + 126] = 51;
    b[MIRA_DHCP_OFF_FILE + 127] = 4;
    check_drop(b, n, MIRA_DROP_DHCP_OPT_OVERRUN);
}

static void test_malformed(void **state)
{
    (void)state;
    uint8_t b[600];
    size_t n = base(b);
    struct mira_dhcp_msg m;
    assert_int_equal(mira_dhcp_parse(b, n, &m, NULL), 0);
    for (size_t k = 0; k < 240; k += 7)
        check_drop(b, k, MIRA_DROP_DHCP_SHORT);
    check_drop(b, 239, MIRA_DROP_DHCP_SHORT);
    /* 240: no options at all, so no message type */
    check_drop(b, 240, MIRA_DROP_DHCP_NO_TYPE);
    b[0] = 3;
    check_drop(b, n, MIRA_DROP_DHCP_OP);
    b[0] = 1;
    b[1] = 6;
    check_drop(b, n, MIRA_DROP_DHCP_HTYPE);
    b[1] = 1;
    b[2] = 16;
    check_drop(b, n, MIRA_DROP_DHCP_HTYPE);
    b[2] = 6;
    b[237] ^= 1;
    check_drop(b, n, MIRA_DROP_DHCP_COOKIE);
    b[237] ^= 1;
    uint8_t *o = b + MIRA_DHCP_OFF_OPTIONS;
    /* an option whose length runs past the message */
    assert_int_equal(mira_dhcp_parse(b, 243, &m, NULL), 0); /* type, no end */
    o[3] = 51;
    o[4] = 4;
    check_drop(b, 248, MIRA_DROP_DHCP_OPT_OVERRUN);
    check_drop(b, 245, MIRA_DROP_DHCP_OPT_OVERRUN); /* length there, value not */
    check_drop(b, 244, MIRA_DROP_DHCP_OPT_OVERRUN); /* the length byte missing */
    /* wrong lengths of known options */
    const uint8_t bad[][8] = {
        {53, 2, 1, 1}, {54, 3, 1, 1, 1}, {50, 5, 1, 1, 1, 1, 1}, {51, 2, 0, 0}, {58, 0}, {59, 8, 0, 0, 0, 0, 0, 0},
        {1, 1, 0}, {3, 0}, {3, 5, 1, 1, 1, 1, 1}, {6, 3, 1, 1, 1}, {55, 0}, {61, 1, 1}, {57, 1, 1},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        n = base(b);
        memcpy(o + 3, bad[i], sizeof(bad[i]));
        o[3 + 2 + bad[i][1]] = 255;
        check_drop(b, n, MIRA_DROP_DHCP_OPT_LENGTH);
    }
    /* message type 0 and 9, and none */
    n = base(b);
    o[2] = 0;
    check_drop(b, n, MIRA_DROP_DHCP_NO_TYPE);
    o[2] = 9;
    check_drop(b, n, MIRA_DROP_DHCP_NO_TYPE);
    o[0] = 0, o[1] = 0, o[2] = 0; /* pads */
    check_drop(b, n, MIRA_DROP_DHCP_NO_TYPE);
    /* more than 4 routers: counted, 4 kept; unknown options skipped */
    n = base(b);
    const uint8_t many[] = {3, 20, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 224, 2, 9, 9, 255};
    memcpy(o + 3, many, sizeof(many));
    assert_int_equal(mira_dhcp_parse(b, n, &m, NULL), 0);
    assert_int_equal(m.router_count, 5);
    assert_int_equal(m.routers[3], 0x04040404);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dhclient_and_dnsmasq),
        cmocka_unit_test(test_build_and_parse_back),
        cmocka_unit_test(test_overload),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests_name("tcpip-dhcp", tests, NULL, NULL);
}
