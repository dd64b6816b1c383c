/* test_icmp.c - ICMP: Linux's echo request and reply and its port
 * unreachable parsed; echo reply and unreachable built byte for byte as
 * Linux did; checksum and quote validation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <mira/byteorder.h>
#include <mira/tcpip/icmp.h>
#include <mira/tcpip/ipv4.h>
#include "vectors.h"

static const uint8_t *l4(const uint8_t *frame, size_t *len)
{
    const uint8_t *ip = frame + 14;
    size_t ihl = (size_t)(ip[0] & 15) * 4;
    *len = mira_load_be16(ip + 2) - ihl;
    return ip + ihl;
}

static void test_echo_like_linux(void **state)
{
    (void)state;
    size_t n, rn;
    const uint8_t *req = l4(vec_icmp_echo_request, &n);
    const uint8_t *rep = l4(vec_icmp_echo_reply, &rn);
    struct mira_icmp_msg m;
    assert_int_equal(mira_icmp_parse(req, n, &m, NULL), 8);
    assert_int_equal(m.type, MIRA_ICMP_ECHO_REQUEST);
    assert_int_equal(m.data_len, 56);
    /* our reply to Linux's request is Linux's reply */
    uint8_t buf[64 + 8];
    assert_int_equal(mira_icmp_build_echo(buf, sizeof(buf), MIRA_ICMP_ECHO_REPLY, m.id, m.seq, m.data, m.data_len), 64);
    assert_int_equal(rn, 64);
    assert_memory_equal(buf, rep, 64);
    /* and in place, over the request itself */
    uint8_t inplace[64];
    memcpy(inplace, req, 64);
    assert_int_equal(mira_icmp_build_echo(inplace, 64, MIRA_ICMP_ECHO_REPLY, m.id, m.seq, inplace + 8, 56), 64);
    assert_memory_equal(inplace, rep, 64);
    assert_int_equal(mira_icmp_build_echo(buf, 63, MIRA_ICMP_ECHO_REPLY, 1, 1, m.data, 56), MIRA_ENOMEM);
    assert_int_equal(mira_icmp_build_echo(buf, sizeof(buf), MIRA_ICMP_DEST_UNREACH, 1, 1, m.data, 56), MIRA_EINVAL);
}

static void test_port_unreachable(void **state)
{
    (void)state;
    size_t n;
    const uint8_t *p = l4(vec_icmp_port_unreach, &n);
    struct mira_icmp_msg m;
    struct mira_icmp_quote q;
    assert_int_equal(mira_icmp_parse(p, n, &m, NULL), 8);
    assert_int_equal(m.type, MIRA_ICMP_DEST_UNREACH);
    assert_int_equal(m.code, MIRA_ICMP_UNREACH_PORT);
    assert_int_equal(mira_icmp_parse_quote(&m, &q, NULL), 0);
    assert_int_equal(q.proto, MIRA_IPV4_PROTO_UDP);
    assert_int_equal(q.src, 0x0a630001);
    assert_int_equal(q.dst, 0x0a630002);
    assert_int_equal(mira_load_be16(q.data + 2), 9999); /* the closed port */
    /* what we would send for Linux's datagram is what Linux sent for it */
    size_t dn;
    const uint8_t *dgram = vec_udp_closed_port + 14;
    l4(vec_udp_closed_port, &dn);
    uint8_t buf[128];
    int len = mira_icmp_build_unreach(buf, sizeof(buf), MIRA_ICMP_UNREACH_PORT, 0, dgram, dn + 20);
    /* Linux quotes the whole datagram (RFC 1812 allows more than 8 bytes);
     * we quote RFC 792's header + 8: compare the common part */
    assert_int_equal(len, 8 + 20 + 8);
    struct mira_icmp_msg mine;
    assert_int_equal(mira_icmp_parse(buf, (size_t)len, &mine, NULL), 8);
    assert_memory_equal(buf + 8, p + 8, 28);
    assert_int_equal(buf[0], p[0]);
    assert_int_equal(buf[1], p[1]);
    assert_int_equal(mira_icmp_build_unreach(buf, 35, 3, 0, dgram, dn + 20), MIRA_ENOMEM);
    /* fragmentation needed carries the MTU */
    len = mira_icmp_build_unreach(buf, sizeof(buf), MIRA_ICMP_UNREACH_FRAG_NEEDED, 1400, dgram, dn + 20);
    assert_int_equal(mira_icmp_parse(buf, (size_t)len, &mine, NULL), 8);
    assert_int_equal(mine.seq, 1400);
    /* a datagram shorter than its header, or than 20 */
    assert_int_equal(mira_icmp_build_unreach(buf, sizeof(buf), 3, 0, dgram, 19), MIRA_EINVAL);
    uint8_t bad[24];
    memcpy(bad, dgram, 24);
    bad[0] = 0x47;
    assert_int_equal(mira_icmp_build_unreach(buf, sizeof(buf), 3, 0, bad, 24), MIRA_EINVAL);
}

static void test_malformed(void **state)
{
    (void)state;
    size_t n;
    const uint8_t *p = l4(vec_icmp_port_unreach, &n);
    uint8_t b[128];
    struct mira_icmp_msg m;
    struct mira_icmp_quote q;
    enum mira_tcpip_drop why;
    for (size_t k = 0; k < 8; k++) {
        why = MIRA_DROP_NONE;
        assert_int_equal(mira_icmp_parse(p, k, &m, &why), MIRA_ECORRUPT);
        assert_int_equal(why, MIRA_DROP_ICMP_SHORT);
    }
    for (size_t bit = 0; bit < n * 8; bit += 7) {
        memcpy(b, p, n);
        b[bit / 8] ^= (uint8_t)(1 << (bit % 8));
        why = MIRA_DROP_NONE;
        assert_int_equal(mira_icmp_parse(b, n, &m, &why), MIRA_ECORRUPT);
        assert_int_equal(why, MIRA_DROP_ICMP_CHECKSUM);
    }
    /* quotes: too short for header + 8, a bad version or IHL */
    assert_int_equal(mira_icmp_parse(p, n, &m, NULL), 8);
    struct mira_icmp_msg cut = m;
    cut.data_len = 27;
    assert_int_equal(mira_icmp_parse_quote(&cut, &q, &why), MIRA_ECORRUPT);
    assert_int_equal(why, MIRA_DROP_ICMP_QUOTE);
    cut.data_len = 28;
    assert_int_equal(mira_icmp_parse_quote(&cut, &q, NULL), 0);
    cut.data_len = 19;
    assert_int_equal(mira_icmp_parse_quote(&cut, &q, &why), MIRA_ECORRUPT);
    memcpy(b, m.data, m.data_len);
    cut.data = b;
    cut.data_len = m.data_len;
    b[0] = 0x44;
    assert_int_equal(mira_icmp_parse_quote(&cut, &q, &why), MIRA_ECORRUPT);
    b[0] = 0x46; /* IHL 6: 24 + 8 > 28 quoted? Linux quoted 43 bytes: fits */
    assert_int_equal(mira_icmp_parse_quote(&cut, &q, NULL), 0);
    assert_int_equal(q.data_len, m.data_len - 24);
    b[0] = 0x4f; /* 60 + 8 > 43 */
    assert_int_equal(mira_icmp_parse_quote(&cut, &q, &why), MIRA_ECORRUPT);
    b[0] = 0x65;
    assert_int_equal(mira_icmp_parse_quote(&cut, &q, &why), MIRA_ECORRUPT);
    /* an echo quotes nothing */
    const uint8_t *req = l4(vec_icmp_echo_request, &n);
    assert_int_equal(mira_icmp_parse(req, n, &m, NULL), 8);
    assert_int_equal(mira_icmp_parse_quote(&m, &q, NULL), MIRA_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_like_linux),
        cmocka_unit_test(test_port_unreachable),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests_name("tcpip-icmp", tests, NULL, NULL);
}
