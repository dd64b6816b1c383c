/* test_vnet.c - the tap's virtio-net header to and from packet-buffer
 * offloads: what the kernel sends us (checksum left partial, checked,
 * coalesced TCP segments), what we send it (TSO), and every malformed
 * header refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <mira/error.h>

#include "../src/vnet.h"

/* A header from its fields, as the kernel lays it out (little-endian). */
static void make(uint8_t h[TAP_VNET_HDR_LEN], uint8_t flags, uint8_t type, uint16_t hdr_len,
                 uint16_t gso_size, uint16_t start, uint16_t offset)
{
    const uint16_t v[4] = { hdr_len, gso_size, start, offset };
    h[0] = flags;
    h[1] = type;
    for (int i = 0; i < 4; i++) {
        h[2 + 2 * i] = (uint8_t)(v[i] & 0xff);
        h[3 + 2 * i] = (uint8_t)(v[i] >> 8);
    }
}

static void test_plain(void **state)
{
    (void)state;
    uint8_t h[TAP_VNET_HDR_LEN];
    make(h, 0, TAP_VNET_GSO_NONE, 0, 0, 0, 0);
    struct mira_pbuf_offload o = { .flags = 0xff };
    assert_int_equal(tap_vnet_to_offload(h, 60, &o), 0);
    assert_int_equal(o.flags, 0);
    assert_int_equal(o.gso_type, MIRA_PBUF_GSO_NONE);
}

static void test_data_valid(void **state)
{
    (void)state;
    uint8_t h[TAP_VNET_HDR_LEN];
    make(h, TAP_VNET_F_DATA_VALID, 0, 0, 0, 0, 0);
    struct mira_pbuf_offload o;
    assert_int_equal(tap_vnet_to_offload(h, 60, &o), 0);
    assert_int_equal(o.flags, MIRA_PBUF_CSUM_VALID);
}

/* A TCP segment of the host's with its checksum left to the device: a
 * partial checksum over good data, at Ethernet 14 + IPv4 20, field 16. */
static void test_needs_csum(void **state)
{
    (void)state;
    uint8_t h[TAP_VNET_HDR_LEN];
    make(h, TAP_VNET_F_NEEDS_CSUM, 0, 0, 0, 34, 16);
    struct mira_pbuf_offload o;
    assert_int_equal(tap_vnet_to_offload(h, 54, &o), 0);
    assert_int_equal(o.flags, MIRA_PBUF_CSUM_PARTIAL | MIRA_PBUF_CSUM_VALID);
    assert_int_equal(o.csum_start, 34);
    assert_int_equal(o.csum_offset, 16);
    /* The field's 2 bytes end exactly at the frame's end: fine; one past: not. */
    assert_int_equal(tap_vnet_to_offload(h, 52, &o), 0);
    assert_int_equal(tap_vnet_to_offload(h, 51, &o), MIRA_ECORRUPT);
}

/* A coalesced segment (GRO on the host, or TSO of its stack). */
static void test_gso_received(void **state)
{
    (void)state;
    uint8_t h[TAP_VNET_HDR_LEN];
    make(h, TAP_VNET_F_NEEDS_CSUM, TAP_VNET_GSO_TCPV4, 66, 1448, 34, 16);
    struct mira_pbuf_offload o;
    assert_int_equal(tap_vnet_to_offload(h, 65000, &o), 0);
    assert_int_equal(o.gso_type, MIRA_PBUF_GSO_TCPV4);
    assert_int_equal(o.gso_size, 1448);
    assert_int_equal(o.hdr_len, 66);
    assert_int_equal(o.flags, MIRA_PBUF_CSUM_PARTIAL | MIRA_PBUF_CSUM_VALID);
}

/* What the tap should never send, refused with *o left as it was. */
static void test_malformed(void **state)
{
    (void)state;
    struct {
        uint8_t flags, type;
        uint16_t hdr_len, gso_size, start, offset;
    } bad[] = {
        { 0x04, 0, 0, 0, 0, 0 },                                 /* RSC_INFO: not asked for */
        { 0x80, 0, 0, 0, 0, 0 },                                 /* unknown flag */
        { TAP_VNET_F_NEEDS_CSUM, 0, 0, 0, 140, 16 },             /* range past the end */
        { TAP_VNET_F_NEEDS_CSUM, 0, 0, 0, 34, 0xffff },          /* offset past the end */
        { 0, TAP_VNET_GSO_TCPV4, 54, 1448, 0, 0 },               /* GSO, no partial sum */
        { TAP_VNET_F_NEEDS_CSUM, TAP_VNET_GSO_TCPV4, 54, 0, 34, 16 },  /* gso_size 0 */
        { TAP_VNET_F_NEEDS_CSUM, TAP_VNET_GSO_TCPV4, 200, 1448, 34, 16 }, /* headers past end */
        { TAP_VNET_F_NEEDS_CSUM, TAP_VNET_GSO_UDP, 42, 1472, 34, 6 },
        { TAP_VNET_F_NEEDS_CSUM, TAP_VNET_GSO_TCPV6, 74, 1428, 54, 16 },
        { TAP_VNET_F_NEEDS_CSUM, TAP_VNET_GSO_TCPV4 | TAP_VNET_GSO_ECN, 54, 1448, 34, 16 },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t h[TAP_VNET_HDR_LEN];
        make(h, bad[i].flags, bad[i].type, bad[i].hdr_len, bad[i].gso_size, bad[i].start,
             bad[i].offset);
        struct mira_pbuf_offload o = { .flags = 0x55, .gso_size = 7 };
        print_message("# case %zu\n", i);
        assert_int_equal(tap_vnet_to_offload(h, 150, &o), MIRA_ECORRUPT);
        assert_int_equal(o.flags, 0x55);
        assert_int_equal(o.gso_size, 7);
    }
}

/* Sending: a TSO frame of ours, byte for byte as the kernel reads it. */
static void test_send_tso(void **state)
{
    (void)state;
    struct mira_pbuf_offload o = { .flags = MIRA_PBUF_CSUM_PARTIAL, .gso_type = MIRA_PBUF_GSO_TCPV4,
                                   .gso_size = 1460, .hdr_len = 54, .csum_start = 34,
                                   .csum_offset = 16 };
    uint8_t h[TAP_VNET_HDR_LEN];
    assert_int_equal(tap_vnet_from_offload(&o, 65000, h), 0);
    static const uint8_t want[TAP_VNET_HDR_LEN] = { 0x01, 0x01, 54, 0, 0xb4, 0x05, 34, 0, 16, 0 };
    assert_memory_equal(h, want, sizeof(want));
    /* ... and back: the same offloads (plus VALID: our own data). */
    struct mira_pbuf_offload back;
    assert_int_equal(tap_vnet_to_offload(h, 65000, &back), 0);
    assert_int_equal(back.gso_size, 1460);
    assert_int_equal(back.hdr_len, 54);
    assert_int_equal(back.csum_start, 34);
    assert_int_equal(back.csum_offset, 16);
}

static void test_send_plain(void **state)
{
    (void)state;
    uint8_t h[TAP_VNET_HDR_LEN];
    memset(h, 0xee, sizeof(h));
    /* A received frame's VALID flag is nothing the tap needs to hear. */
    struct mira_pbuf_offload o = { .flags = MIRA_PBUF_CSUM_VALID };
    assert_int_equal(tap_vnet_from_offload(&o, 60, h), 0);
    static const uint8_t zero[TAP_VNET_HDR_LEN] = { 0 };
    assert_memory_equal(h, zero, sizeof(zero));
    o = (struct mira_pbuf_offload){ .flags = MIRA_PBUF_CSUM_PARTIAL, .csum_start = 34,
                                    .csum_offset = 6 };
    assert_int_equal(tap_vnet_from_offload(&o, 60, h), 0);
    static const uint8_t udp[TAP_VNET_HDR_LEN] = { 0x01, 0, 0, 0, 0, 0, 34, 0, 6, 0 };
    assert_memory_equal(h, udp, sizeof(udp));
}

static void test_send_refused(void **state)
{
    (void)state;
    const struct mira_pbuf_offload bad[] = {
        { .gso_type = MIRA_PBUF_GSO_TCPV4, .gso_size = 1460, .hdr_len = 54 }, /* no partial */
        { .flags = MIRA_PBUF_CSUM_PARTIAL, .gso_type = MIRA_PBUF_GSO_TCPV4, .hdr_len = 54,
          .csum_start = 34, .csum_offset = 16 },                              /* size 0 */
        { .flags = MIRA_PBUF_CSUM_PARTIAL, .gso_type = 9, .gso_size = 1460,
          .csum_start = 34, .csum_offset = 16 },                              /* unknown type */
        { .flags = MIRA_PBUF_CSUM_PARTIAL, .csum_start = 59, .csum_offset = 0 }, /* past end */
        { .flags = MIRA_PBUF_CSUM_PARTIAL, .gso_type = MIRA_PBUF_GSO_TCPV4, .gso_size = 1460,
          .hdr_len = 61, .csum_start = 34, .csum_offset = 16 },               /* headers past */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t h[TAP_VNET_HDR_LEN];
        memset(h, 0xee, sizeof(h));
        print_message("# case %zu\n", i);
        assert_int_equal(tap_vnet_from_offload(&bad[i], 60, h), MIRA_EINVAL);
        assert_int_equal(h[0], 0xee);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),        cmocka_unit_test(test_data_valid),
        cmocka_unit_test(test_needs_csum),   cmocka_unit_test(test_gso_received),
        cmocka_unit_test(test_malformed),    cmocka_unit_test(test_send_tso),
        cmocka_unit_test(test_send_plain),   cmocka_unit_test(test_send_refused),
    };
    return cmocka_run_group_tests_name("netif-tap-vnet", tests, NULL, NULL);
}
