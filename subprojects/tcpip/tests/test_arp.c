/* test_arp.c - ARP: Linux's request, reply and gratuitous ARP parsed and
 * rebuilt byte for byte, and each validation with its drop reason. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <mira/tcpip/arp.h>
#include "vectors.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
static const uint8_t mac_a[6] = {2, 0, 0, 0, 0, 0x0a};
static const uint8_t mac_b[6] = {2, 0, 0, 0, 0, 0x0b};

static void test_linux_request_and_reply(void **state)
{
    (void)state;
    struct mira_arp req, rep, mine;
    uint8_t buf[28];
    assert_int_equal(mira_arp_parse(vec_arp_request + 14, sizeof(vec_arp_request) - 14, &req, NULL), 28);
    assert_int_equal(req.oper, MIRA_ARP_OP_REQUEST);
    assert_memory_equal(req.sha, mac_a, 6);
    assert_int_equal(req.spa, IP(10, 99, 0, 1));
    assert_int_equal(req.tpa, IP(10, 99, 0, 2));
    assert_false(mira_arp_is_gratuitous(&req));

    assert_int_equal(mira_arp_parse(vec_arp_reply + 14, sizeof(vec_arp_reply) - 14, &rep, NULL), 28);
    assert_int_equal(rep.oper, MIRA_ARP_OP_REPLY);
    assert_memory_equal(rep.sha, mac_b, 6);
    /* what we would answer is what Linux answered */
    mira_arp_reply(&mine, &req, mac_b);
    assert_int_equal(mira_arp_build(buf, sizeof(buf), &mine), 28);
    assert_memory_equal(buf, vec_arp_reply + 14, 28);
    /* in place too */
    mira_arp_reply(&req, &req, mac_b);
    assert_int_equal(mira_arp_build(buf, sizeof(buf), &req), 28);
    assert_memory_equal(buf, vec_arp_reply + 14, 28);
}

static void test_build_request(void **state)
{
    (void)state;
    struct mira_arp a;
    uint8_t buf[28];
    mira_arp_request(&a, mac_a, IP(10, 99, 0, 1), IP(10, 99, 0, 2));
    assert_int_equal(mira_arp_build(buf, 27, &a), MIRA_ENOMEM);
    assert_int_equal(mira_arp_build(buf, sizeof(buf), &a), 28);
    /* Linux's arping sets tha to broadcast; we send zero (RFC 826 leaves it) */
    uint8_t want[28];
    memcpy(want, vec_arp_request + 14, 28);
    memset(want + MIRA_ARP_OFF_THA, 0, 6);
    assert_memory_equal(buf, want, 28);
}

static void test_gratuitous(void **state)
{
    (void)state;
    struct mira_arp a, g;
    assert_int_equal(mira_arp_parse(vec_arp_gratuitous + 14, 28, &a, NULL), 28);
    assert_true(mira_arp_is_gratuitous(&a));
    assert_int_equal(a.spa, IP(10, 99, 0, 1));
    mira_arp_gratuitous(&g, mac_a, IP(10, 99, 0, 1));
    assert_true(mira_arp_is_gratuitous(&g));
    assert_int_equal(g.oper, MIRA_ARP_OP_REQUEST);
    assert_int_equal(g.tpa, g.spa);
    /* an RFC 5227 probe (sender 0.0.0.0) is not an announcement */
    g.spa = g.tpa = 0;
    assert_false(mira_arp_is_gratuitous(&g));
}

static void check_drop(const uint8_t *p, size_t len, int err, enum mira_tcpip_drop reason)
{
    struct mira_arp a;
    enum mira_tcpip_drop why = MIRA_DROP_NONE;
    memset(&a, 0x5a, sizeof(a));
    struct mira_arp before = a;
    assert_int_equal(mira_arp_parse(p, len, &a, &why), err);
    assert_int_equal(why, reason);
    assert_memory_equal(&a, &before, sizeof(a)); /* a refused packet writes nothing */
}

static void test_malformed(void **state)
{
    (void)state;
    uint8_t p[46];
    memcpy(p, vec_arp_request + 14, 28);
    memset(p + 28, 0, 18); /* Ethernet padding is ignored */
    struct mira_arp a;
    assert_int_equal(mira_arp_parse(p, sizeof(p), &a, NULL), 28);
    for (size_t n = 0; n < 28; n++)
        check_drop(p, n, MIRA_ECORRUPT, MIRA_DROP_ARP_SHORT);
    p[1] = 6; /* IEEE 802 */
    check_drop(p, 28, MIRA_ENOTSUP, MIRA_DROP_ARP_HTYPE);
    p[1] = 1;
    p[2] = 0x86, p[3] = 0xdd;
    check_drop(p, 28, MIRA_ENOTSUP, MIRA_DROP_ARP_PTYPE);
    p[2] = 0x08, p[3] = 0x00;
    p[4] = 8;
    check_drop(p, 28, MIRA_ECORRUPT, MIRA_DROP_ARP_HLEN);
    p[4] = 6;
    p[5] = 16;
    check_drop(p, 28, MIRA_ECORRUPT, MIRA_DROP_ARP_PLEN);
    p[5] = 4;
    for (unsigned op = 0; op < 10; op++) {
        p[7] = (uint8_t)op;
        if (op == 1 || op == 2)
            assert_int_equal(mira_arp_parse(p, 28, &a, NULL), 28);
        else
            check_drop(p, 28, MIRA_ECORRUPT, MIRA_DROP_ARP_OPER);
    }
    p[7] = 1;
    p[8] |= 1; /* a multicast sender */
    check_drop(p, 28, MIRA_ECORRUPT, MIRA_DROP_ARP_SENDER);
}

static void test_build_refuses(void **state)
{
    (void)state;
    struct mira_arp a;
    uint8_t buf[28];
    mira_arp_request(&a, mac_a, 1, 2);
    a.oper = 3;
    assert_int_equal(mira_arp_build(buf, sizeof(buf), &a), MIRA_EINVAL);
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    mira_arp_request(&a, bcast, 1, 2);
    assert_int_equal(mira_arp_build(buf, sizeof(buf), &a), MIRA_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linux_request_and_reply),
        cmocka_unit_test(test_build_request),
        cmocka_unit_test(test_gratuitous),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_build_refuses),
    };
    return cmocka_run_group_tests_name("tcpip-arp", tests, NULL, NULL);
}
