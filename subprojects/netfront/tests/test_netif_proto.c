/* test_netif_proto.c - netfront's protocol core against a backend that
 * behaves (Linux netback's answers) and one that does not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <mira/netif_proto.h>
#include <mira/pbuf.h>

static struct mira_nettx tx;
static struct mira_netrx rx;
static int cookies[8];

static struct mira_nettx_seg seg(uint16_t off, uint16_t len, grant_ref_t gref)
{
    return (struct mira_nettx_seg){ .page = 0x10000, .offset = off, .len = len, .gref = gref };
}

static void split_cuts_at_pages(void **state)
{
    (void)state;
    struct mira_nettx_piece p[3] = {
        { 0x1000 + 4000, 200 },  /* crosses into the next page */
        { 0x9000, 0 },           /* empty: skipped */
        { 0x20000, 4096 * 2 },   /* two whole pages */
    };
    struct mira_nettx_seg s[8];
    assert_int_equal(mira_nettx_split(p, 3, s, 8), 4);
    assert_int_equal(s[0].page, 0x1000);
    assert_int_equal(s[0].offset, 4000);
    assert_int_equal(s[0].len, 96);
    assert_int_equal(s[1].page, 0x2000);
    assert_int_equal(s[1].offset, 0);
    assert_int_equal(s[1].len, 104);
    assert_int_equal(s[2].page, 0x20000);
    assert_int_equal(s[2].len, 4096);
    assert_int_equal(s[3].page, 0x21000);
    assert_int_equal(mira_nettx_split(p, 3, s, 3), MIRA_EINVAL);
    struct mira_nettx_piece huge = { 0x1000, 0x10000 };
    assert_int_equal(mira_nettx_split(&huge, 1, s, 8), MIRA_EINVAL);
}

static void build_fills_slots(void **state)
{
    (void)state;
    mira_nettx_init(&tx, 0);
    struct mira_nettx_seg s[3] = { seg(100, 54, 7), seg(0, 1000, 8), seg(0, 446, 9) };
    netif_tx_request_t rq[3];
    assert_int_equal(mira_nettx_build(&tx, s, 3, NETTXF_csum_blank | NETTXF_more_data,
                                      &cookies[0], rq), 3);
    assert_int_equal(rq[0].size, 1500); /* first slot: the whole frame */
    assert_int_equal(rq[0].offset, 100);
    assert_int_equal(rq[0].gref, 7);
    assert_int_equal(rq[0].flags, NETTXF_csum_blank | NETTXF_more_data);
    assert_int_equal(rq[1].size, 1000);
    assert_int_equal(rq[1].flags, NETTXF_more_data);
    assert_int_equal(rq[2].size, 446);
    assert_int_equal(rq[2].flags, 0);
    assert_true(rq[0].id != rq[1].id && rq[1].id != rq[2].id && rq[0].id != rq[2].id);
    assert_int_equal(tx.nfree, MIRA_NETPROTO_SLOTS - 3);
    assert_int_equal(tx.unanswered, 3);
}

static void build_refuses_bad_segments(void **state)
{
    (void)state;
    mira_nettx_init(&tx, 0);
    netif_tx_request_t rq[MIRA_NETTX_MAX_SLOTS + 1];
    struct mira_nettx_seg s[MIRA_NETTX_MAX_SLOTS + 1];
    for (int i = 0; i <= MIRA_NETTX_MAX_SLOTS; i++)
        s[i] = seg(0, 100, 1);
    assert_int_equal(mira_nettx_build(&tx, s, 0, 0, NULL, rq), MIRA_EINVAL);
    assert_int_equal(mira_nettx_build(&tx, s, MIRA_NETTX_MAX_SLOTS + 1, 0, NULL, rq), MIRA_EINVAL);
    s[0] = seg(4000, 100, 1); /* past the page */
    assert_int_equal(mira_nettx_build(&tx, s, 1, 0, NULL, rq), MIRA_EINVAL);
    s[0] = seg(0, 0, 1);      /* empty */
    assert_int_equal(mira_nettx_build(&tx, s, 1, 0, NULL, rq), MIRA_EINVAL);
    for (int i = 0; i < MIRA_NETTX_MAX_SLOTS; i++)
        s[i] = seg(0, 4096, 1); /* 72 KiB: more than a frame may be */
    assert_int_equal(mira_nettx_build(&tx, s, MIRA_NETTX_MAX_SLOTS, 0, NULL, rq), MIRA_EINVAL);
    assert_int_equal(tx.nfree, MIRA_NETPROTO_SLOTS); /* nothing taken */
}

static void build_full_ring_is_eagain(void **state)
{
    (void)state;
    mira_nettx_init(&tx, 0);
    struct mira_nettx_seg s[2] = { seg(0, 60, 1), seg(0, 60, 2) };
    netif_tx_request_t rq[2];
    for (unsigned i = 0; i < MIRA_NETPROTO_SLOTS - 1; i++)
        assert_int_equal(mira_nettx_build(&tx, s, 1, 0, &cookies[1], rq), 1);
    assert_int_equal(mira_nettx_build(&tx, s, 2, 0, &cookies[1], rq), MIRA_EAGAIN);
    assert_int_equal(tx.nfree, 1);
    assert_int_equal(mira_nettx_build(&tx, s, 1, 0, &cookies[1], rq), 1);
    assert_int_equal(mira_nettx_build(&tx, s, 1, 0, &cookies[1], rq), MIRA_EAGAIN);
}

static void tx_frame_done_with_last_slot(void **state)
{
    (void)state;
    mira_nettx_init(&tx, 0);
    struct mira_nettx_seg s[3] = { seg(0, 100, 11), seg(0, 100, 12), seg(0, 100, 13) };
    netif_tx_request_t rq[3];
    assert_int_equal(mira_nettx_build(&tx, s, 3, 0, &cookies[2], rq), 3);
    assert_int_equal(mira_nettx_check_rsp_prod(&tx, 0, 3), 0);
    struct mira_nettx_done d;
    netif_tx_response_t r = { .id = rq[1].id, .status = NETIF_RSP_OKAY };
    assert_int_equal(mira_nettx_response(&tx, &r, &d), 0);
    assert_int_equal(d.gref, 12);
    assert_null(d.cookie);
    r = (netif_tx_response_t){ .id = rq[0].id, .status = NETIF_RSP_DROPPED };
    assert_int_equal(mira_nettx_response(&tx, &r, &d), 0);
    assert_int_equal(d.gref, 11);
    r = (netif_tx_response_t){ .id = rq[2].id, .status = NETIF_RSP_OKAY };
    assert_int_equal(mira_nettx_response(&tx, &r, &d), 1);
    assert_int_equal(d.gref, 13);
    assert_ptr_equal(d.cookie, &cookies[2]);
    assert_int_equal(d.status, NETIF_RSP_DROPPED); /* the first failure wins */
    assert_int_equal(tx.nfree, MIRA_NETPROTO_SLOTS);
    assert_int_equal(tx.unanswered, 0);
    assert_false(tx.broken);
}

/* A backend answering an id twice, an id never sent, an id out of range,
 * a status the protocol lacks: refused, counted, and the table broken. */
static void tx_misbehaving_backend(void **state)
{
    (void)state;
    struct mira_nettx_seg s[2] = { seg(0, 100, 21), seg(0, 100, 22) };
    netif_tx_request_t rq[2];
    struct mira_nettx_done d;
    const netif_tx_response_t bad[] = {
        { .id = 300, .status = NETIF_RSP_OKAY },   /* out of range */
        { .id = 200, .status = NETIF_RSP_OKAY },   /* never sent */
        { .id = 0, .status = NETIF_RSP_NULL },     /* for extra slots only */
        { .id = 0, .status = -5 },
    };
    const enum mira_netproto_reason why[] = { MIRA_NETPROTO_BAD_ID, MIRA_NETPROTO_BAD_ID,
                                              MIRA_NETPROTO_BAD_STATUS, MIRA_NETPROTO_BAD_STATUS };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        mira_nettx_init(&tx, 0);
        assert_int_equal(mira_nettx_build(&tx, s, 2, 0, &cookies[3], rq), 2);
        assert_int_equal(rq[0].id, 0);
        assert_int_equal(mira_nettx_response(&tx, &bad[i], &d), MIRA_ECORRUPT);
        assert_int_equal(tx.refused[why[i]], 1);
        assert_int_equal(tx.last_reason, why[i]);
        assert_true(tx.broken);
        /* broken: even a good answer is refused now, and so is sending */
        netif_tx_response_t good = { .id = rq[1].id, .status = NETIF_RSP_OKAY };
        assert_int_equal(mira_nettx_response(&tx, &good, &d), MIRA_ECORRUPT);
        assert_int_equal(tx.refused[MIRA_NETPROTO_BROKEN], 1);
        assert_int_equal(mira_nettx_build(&tx, s, 1, 0, NULL, rq), MIRA_EIO);
    }
    /* a duplicate answer */
    mira_nettx_init(&tx, 0);
    assert_int_equal(mira_nettx_build(&tx, s, 2, 0, &cookies[3], rq), 2);
    netif_tx_response_t r = { .id = rq[0].id, .status = NETIF_RSP_OKAY };
    assert_int_equal(mira_nettx_response(&tx, &r, &d), 0);
    assert_int_equal(mira_nettx_response(&tx, &r, &d), MIRA_ECORRUPT);
    assert_int_equal(tx.refused[MIRA_NETPROTO_BAD_ID], 1);
}

static void tx_rsp_prod_ahead(void **state)
{
    (void)state;
    mira_nettx_init(&tx, 0);
    struct mira_nettx_seg s[1] = { seg(0, 100, 1) };
    netif_tx_request_t rq[1];
    assert_int_equal(mira_nettx_build(&tx, s, 1, 0, NULL, rq), 1);
    assert_int_equal(mira_nettx_check_rsp_prod(&tx, 10, 11), 0);
    assert_int_equal(mira_nettx_check_rsp_prod(&tx, 10, 12), MIRA_ECORRUPT);
    assert_int_equal(tx.refused[MIRA_NETPROTO_RSP_PROD], 1);
    assert_true(tx.broken);
    /* a producer behind the consumer is as wrong (it wraps to huge) */
    mira_nettx_init(&tx, 0);
    assert_int_equal(mira_nettx_check_rsp_prod(&tx, 10, 9), MIRA_ECORRUPT);
}

static void tx_drain_hands_back_everything(void **state)
{
    (void)state;
    mira_nettx_init(&tx, 0);
    struct mira_nettx_seg s[2] = { seg(0, 100, 31), seg(0, 100, 32) };
    netif_tx_request_t rq[2];
    assert_int_equal(mira_nettx_build(&tx, s, 2, 0, &cookies[4], rq), 2);
    assert_int_equal(mira_nettx_build(&tx, s, 1, 0, &cookies[5], rq), 1);
    struct mira_nettx_done d;
    int done = 0, grants = 0;
    while (mira_nettx_drain(&tx, &d) == 1) {
        grants++;
        if (d.cookie) {
            done++;
            assert_int_equal(d.status, NETIF_RSP_DROPPED);
        }
    }
    assert_int_equal(grants, 3);
    assert_int_equal(done, 2);
    assert_int_equal(tx.nfree, MIRA_NETPROTO_SLOTS);
}

static netif_rx_request_t post(int i, grant_ref_t gref)
{
    netif_rx_request_t rq;
    assert_int_equal(mira_netrx_post(&rx, gref, &cookies[i], &rq), 0);
    assert_int_equal(rq.gref, gref);
    return rq;
}

static void rx_good_frames(void **state)
{
    (void)state;
    mira_netrx_init(&rx, 0);
    netif_rx_request_t a = post(0, 40), b = post(1, 41);
    assert_int_equal(rx.posted, 2);
    assert_int_equal(mira_netrx_check_rsp_prod(&rx, 0, 2), 0);
    struct mira_netrx_piece p;
    netif_rx_response_t r = { .id = b.id, .offset = 0, .flags = 0, .status = 98 };
    assert_int_equal(mira_netrx_response(&rx, &r, &p), 1);
    assert_ptr_equal(p.cookie, &cookies[1]);
    assert_int_equal(p.gref, 41);
    assert_int_equal(p.len, 98);
    assert_int_equal(p.csum, 0);
    assert_false(p.more);
    r = (netif_rx_response_t){ .id = a.id, .offset = 2596, .flags = NETRXF_data_validated,
                               .status = 1500 }; /* ends exactly at the page's end */
    assert_int_equal(mira_netrx_response(&rx, &r, &p), 1);
    assert_int_equal(p.offset, 2596);
    assert_int_equal(p.csum, MIRA_PBUF_CSUM_VALID);
    assert_int_equal(rx.posted, 0);
    assert_int_equal(rx.nfree, MIRA_NETPROTO_SLOTS);
}

static void rx_backend_error_recycles(void **state)
{
    (void)state;
    mira_netrx_init(&rx, 0);
    netif_rx_request_t a = post(2, 50);
    struct mira_netrx_piece p;
    netif_rx_response_t r = { .id = a.id, .status = NETIF_RSP_ERROR };
    assert_int_equal(mira_netrx_response(&rx, &r, &p), MIRA_EIO);
    assert_ptr_equal(p.cookie, &cookies[2]);
    assert_false(rx.broken);
    a = post(2, 50);
    r = (netif_rx_response_t){ .id = a.id, .status = NETIF_RSP_DROPPED };
    assert_int_equal(mira_netrx_response(&rx, &r, &p), MIRA_EIO);
}

/* Responses that name one of our slots but carry what netback must never
 * send: the buffer comes back (to post again), the frame is refused. */
static void rx_refused_slot_comes_back(void **state)
{
    (void)state;
    const netif_rx_response_t bad[] = {
        { .offset = 0, .status = 0 },                       /* empty */
        { .offset = 4000, .status = 200 },                  /* past the page */
        { .offset = 0, .status = 4097 },                    /* longer than a page */
        { .offset = 0xffff, .status = 0x7fff },
        { .offset = 0, .status = -3 },                      /* no such status */
        { .flags = NETRXF_more_data, .status = 100 },       /* SG not negotiated */
        { .flags = NETRXF_csum_blank, .status = 100 },      /* offload not asked for */
        { .flags = NETRXF_extra_info, .status = 100 },      /* GSO not negotiated */
        { .flags = NETRXF_gso_prefix, .status = 100 },
        { .flags = 0x8000, .status = 100 },                 /* unknown flag */
    };
    const enum mira_netproto_reason why[] = {
        MIRA_NETPROTO_BAD_SIZE, MIRA_NETPROTO_BAD_SIZE, MIRA_NETPROTO_BAD_SIZE,
        MIRA_NETPROTO_BAD_SIZE, MIRA_NETPROTO_BAD_STATUS, MIRA_NETPROTO_BAD_FLAGS,
        MIRA_NETPROTO_BAD_FLAGS, MIRA_NETPROTO_BAD_FLAGS, MIRA_NETPROTO_BAD_FLAGS,
        MIRA_NETPROTO_BAD_FLAGS,
    };
    mira_netrx_init(&rx, 0);
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        netif_rx_request_t a = post(3, 60);
        netif_rx_response_t r = bad[i];
        r.id = a.id;
        struct mira_netrx_piece p;
        assert_int_equal(mira_netrx_response(&rx, &r, &p), MIRA_ECORRUPT);
        assert_ptr_equal(p.cookie, &cookies[3]);
        assert_int_equal(p.gref, 60);
        assert_int_equal(rx.last_reason, why[i]);
        assert_false(rx.broken);
        assert_int_equal(rx.posted, 0);
    }
    assert_int_equal(rx.refused[MIRA_NETPROTO_BAD_SIZE], 4);
    assert_int_equal(rx.refused[MIRA_NETPROTO_BAD_STATUS], 1);
    assert_int_equal(rx.refused[MIRA_NETPROTO_BAD_FLAGS], 5);
}

/* With the features negotiated the same flags are accepted (the hooks). */
static void rx_feature_hooks(void **state)
{
    (void)state;
    mira_netrx_init(&rx, MIRA_NETPROTO_SG | MIRA_NETPROTO_RX_CSUM);
    netif_rx_request_t a = post(4, 70);
    struct mira_netrx_piece p;
    netif_rx_response_t r = { .id = a.id, .flags = NETRXF_more_data | NETRXF_csum_blank |
                                                   NETRXF_data_validated, .status = 4096 };
    assert_int_equal(mira_netrx_response(&rx, &r, &p), 1);
    assert_true(p.more);
    assert_int_equal(p.csum, MIRA_PBUF_CSUM_PARTIAL | MIRA_PBUF_CSUM_VALID);
    a = post(4, 70);
    r = (netif_rx_response_t){ .id = a.id, .flags = NETRXF_extra_info, .status = 100 };
    assert_int_equal(mira_netrx_response(&rx, &r, &p), MIRA_ECORRUPT);
}

/* An id we never posted (or posted and got back already), a runaway
 * producer: nothing to give back, the table breaks. */
static void rx_bad_id_breaks(void **state)
{
    (void)state;
    const uint16_t ids[] = { 256, 0xffff, 5 };
    for (unsigned i = 0; i < 3; i++) {
        mira_netrx_init(&rx, 0);
        netif_rx_request_t a = post(5, 80);
        assert_int_equal(a.id, 0);
        netif_rx_response_t r = { .id = ids[i], .status = 100 };
        struct mira_netrx_piece p;
        assert_int_equal(mira_netrx_response(&rx, &r, &p), MIRA_ECORRUPT);
        assert_null(p.cookie);
        assert_true(rx.broken);
        assert_int_equal(rx.refused[MIRA_NETPROTO_BAD_ID], 1);
        r.id = a.id; /* a good one now: still refused */
        assert_int_equal(mira_netrx_response(&rx, &r, &p), MIRA_ECORRUPT);
        assert_null(p.cookie);
        assert_int_equal(mira_netrx_post(&rx, 1, NULL, &a), MIRA_EIO);
        /* the posted buffer is still handed back at the end */
        assert_int_equal(mira_netrx_drain(&rx, &p), 1);
        assert_ptr_equal(p.cookie, &cookies[5]);
        assert_int_equal(mira_netrx_drain(&rx, &p), 0);
    }
    /* answered twice */
    mira_netrx_init(&rx, 0);
    netif_rx_request_t a = post(5, 80);
    netif_rx_response_t r = { .id = a.id, .status = 100 };
    struct mira_netrx_piece p;
    assert_int_equal(mira_netrx_response(&rx, &r, &p), 1);
    assert_int_equal(mira_netrx_response(&rx, &r, &p), MIRA_ECORRUPT);
    assert_null(p.cookie);
    /* producer ahead of the posted slots */
    mira_netrx_init(&rx, 0);
    (void)post(6, 81);
    assert_int_equal(mira_netrx_check_rsp_prod(&rx, 0xfffffffe, 0xffffffff), 0); /* wraps */
    assert_int_equal(mira_netrx_check_rsp_prod(&rx, 0xffffffff, 1), MIRA_ECORRUPT);
    assert_int_equal(rx.refused[MIRA_NETPROTO_RSP_PROD], 1);
}

static void rx_full_table(void **state)
{
    (void)state;
    mira_netrx_init(&rx, 0);
    netif_rx_request_t rq;
    for (unsigned i = 0; i < MIRA_NETPROTO_SLOTS; i++)
        assert_int_equal(mira_netrx_post(&rx, i, &cookies[0], &rq), 0);
    assert_int_equal(mira_netrx_post(&rx, 1, &cookies[0], &rq), MIRA_EAGAIN);
    assert_string_equal(mira_netproto_reason_name(MIRA_NETPROTO_BAD_ID), "bad-id");
    assert_string_equal(mira_netproto_reason_name(MIRA_NETPROTO_REASONS), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(split_cuts_at_pages),
        cmocka_unit_test(build_fills_slots),
        cmocka_unit_test(build_refuses_bad_segments),
        cmocka_unit_test(build_full_ring_is_eagain),
        cmocka_unit_test(tx_frame_done_with_last_slot),
        cmocka_unit_test(tx_misbehaving_backend),
        cmocka_unit_test(tx_rsp_prod_ahead),
        cmocka_unit_test(tx_drain_hands_back_everything),
        cmocka_unit_test(rx_good_frames),
        cmocka_unit_test(rx_backend_error_recycles),
        cmocka_unit_test(rx_refused_slot_comes_back),
        cmocka_unit_test(rx_feature_hooks),
        cmocka_unit_test(rx_bad_id_breaks),
        cmocka_unit_test(rx_full_table),
    };
    return cmocka_run_group_tests_name("netif_proto", tests, NULL, NULL);
}
