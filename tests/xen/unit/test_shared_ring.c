/* Xen's <xen/io/ring.h> through mira/xen/shared_ring.h: a toy request and
 * response type on one page, the front and the back end in one process,
 * run through index wrap-around and the notification (event index) logic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <mira/xen/shared_ring.h>

struct toy_req {
    uint64_t id;
    uint32_t value;
};
struct toy_rsp {
    uint64_t id;
    int32_t status;
    uint32_t doubled;
};
DEFINE_RING_TYPES(toy, struct toy_req, struct toy_rsp);

static struct toy_sring *sring;
static struct toy_front_ring front;
static struct toy_back_ring back;

static int setup(void **state)
{
    (void)state;
    sring = aligned_alloc(MIRA_PAGE_SIZE, MIRA_PAGE_SIZE);
    if (sring == NULL)
        return -1;
    SHARED_RING_INIT(sring);
    FRONT_RING_INIT(&front, sring, MIRA_PAGE_SIZE);
    BACK_RING_INIT(&back, sring, MIRA_PAGE_SIZE);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(sring);
    return 0;
}

/* Puts every index (shared and private) at start, as after a long run. */
static void reset_at(RING_IDX start)
{
    SHARED_RING_INIT(sring);
    FRONT_RING_INIT(&front, sring, MIRA_PAGE_SIZE);
    BACK_RING_INIT(&back, sring, MIRA_PAGE_SIZE);
    sring->req_prod = sring->rsp_prod = start;
    sring->req_event = sring->rsp_event = start + 1;
    front.req_prod_pvt = front.rsp_cons = start;
    back.rsp_prod_pvt = back.req_cons = start;
}

/* The back end: answers every unconsumed request; returns whether the
 * front must be notified. */
static bool back_serve(int *served)
{
    RING_IDX rp = back.sring->req_prod;
    xen_rmb();
    *served = 0;
    while (back.req_cons != rp) {
        /* A request and its response share one slot: copy the request out
         * before writing the response over it (as RING_COPY_REQUEST does;
         * reading through a pointer into the slot worked only by luck of
         * the compiler's load order, and an ASan build showed it). */
        struct toy_req rq;
        RING_COPY_REQUEST(&back, back.req_cons, &rq);
        struct toy_rsp *rs = RING_GET_RESPONSE(&back, back.rsp_prod_pvt);
        rs->id = rq.id;
        rs->status = 0;
        rs->doubled = rq.value * 2;
        back.req_cons++;
        back.rsp_prod_pvt++;
        (*served)++;
    }
    bool notify;
    RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&back, notify);
    return notify;
}

static void test_size(void **state)
{
    (void)state;
    /* (4096 - 64-byte header) / 16-byte entries = 252, rounded down to a
     * power of two. */
    assert_int_equal(sizeof(union toy_sring_entry), 16);
    assert_int_equal(RING_SIZE(&front), 128);
    assert_int_equal(RING_FREE_REQUESTS(&front), 128);
    assert_false(RING_FULL(&front));
}

/* Pushes rounds of requests through the ring, more than its size in all,
 * starting at start (so the 32-bit indices wrap when start is near 2^32). */
static void run_traffic(RING_IDX start)
{
    reset_at(start);
    uint64_t next_id = 1, next_expected = 1;
    for (int round = 0; round < 40; round++) {
        int batch = 1 + round * 7 % RING_SIZE(&front);
        for (int i = 0; i < batch; i++) {
            assert_false(RING_FULL(&front));
            struct toy_req *rq = RING_GET_REQUEST(&front, front.req_prod_pvt);
            rq->id = next_id;
            rq->value = (uint32_t)next_id * 3;
            next_id++;
            front.req_prod_pvt++;
        }
        bool notify;
        RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&front, notify);
        (void)notify;
        int served;
        back_serve(&served);
        assert_int_equal(served, batch);
        int more;
        do {
            RING_IDX rp = front.sring->rsp_prod;
            xen_rmb();
            while (front.rsp_cons != rp) {
                struct toy_rsp *rs = RING_GET_RESPONSE(&front, front.rsp_cons);
                assert_int_equal(rs->id, next_expected);
                assert_int_equal(rs->doubled, (uint32_t)next_expected * 6);
                next_expected++;
                front.rsp_cons++;
            }
            RING_FINAL_CHECK_FOR_RESPONSES(&front, more);
        } while (more);
    }
    assert_int_equal(next_expected, next_id);
    assert_true(next_id - 1 > 2 * RING_SIZE(&front)); /* wrapped the slots */
}

static void test_traffic_wraps_slots(void **state)
{
    (void)state;
    run_traffic(0);
}

static void test_traffic_wraps_indices(void **state)
{
    (void)state;
    run_traffic(0xffffff80u); /* the free-running indices pass 2^32 */
    assert_true(front.rsp_cons < 0x1000u);
}

static void test_full(void **state)
{
    (void)state;
    reset_at(0xfffffff0u);
    for (unsigned i = 0; i < RING_SIZE(&front); i++) {
        assert_false(RING_FULL(&front));
        front.req_prod_pvt++;
    }
    assert_true(RING_FULL(&front));
    assert_int_equal(RING_FREE_REQUESTS(&front), 0);
    bool notify;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&front, notify);
    assert_true(notify); /* the back end waits since the reset */
    int served;
    back_serve(&served);
    assert_int_equal(served, RING_SIZE(&front));
    /* Responses not yet consumed still occupy the slots. */
    assert_true(RING_FULL(&front));
    front.rsp_cons = front.sring->rsp_prod;
    assert_int_equal(RING_FREE_REQUESTS(&front), RING_SIZE(&front));
}

/* The event indices: a side is notified only when its peer asked for it
 * (by a FINAL_CHECK that found nothing), once per such request. */
static void test_notify_logic(void **state)
{
    (void)state;
    reset_at(0);
    bool notify;
    int more;

    /* The back end waits (req_event = req_cons + 1): the first request
     * notifies it. */
    front.req_prod_pvt++;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&front, notify);
    assert_true(notify);
    /* It has not looked yet: a second push needs no event. */
    front.req_prod_pvt++;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&front, notify);
    assert_false(notify);

    /* The back end consumes, and its final check finds nothing more and
     * re-arms its event; the next push notifies again. */
    RING_IDX rp = back.sring->req_prod;
    back.req_cons = rp;
    RING_FINAL_CHECK_FOR_REQUESTS(&back, more);
    assert_false(more);
    assert_int_equal(sring->req_event, rp + 1);
    front.req_prod_pvt++;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&front, notify);
    assert_true(notify);
    /* A final check with work left says so (and leaves the event alone). */
    RING_FINAL_CHECK_FOR_REQUESTS(&back, more);
    assert_true(more);
    back.req_cons = back.sring->req_prod;

    /* Responses: the front waits from the start (rsp_event = 1). */
    back.rsp_prod_pvt++;
    RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&back, notify);
    assert_true(notify);
    back.rsp_prod_pvt++;
    RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&back, notify);
    assert_false(notify); /* the front has not re-armed */
    RING_FINAL_CHECK_FOR_RESPONSES(&front, more);
    assert_true(more);
    front.rsp_cons = front.sring->rsp_prod;
    RING_FINAL_CHECK_FOR_RESPONSES(&front, more);
    assert_false(more);
    assert_int_equal(sring->rsp_event, front.rsp_cons + 1);
    /* Now a response pushed in a batch of three notifies once. */
    back.rsp_prod_pvt += 3;
    RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&back, notify);
    assert_true(notify);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size),
        cmocka_unit_test(test_traffic_wraps_slots),
        cmocka_unit_test(test_traffic_wraps_indices),
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_notify_logic),
    };
    return cmocka_run_group_tests_name("xen shared ring", tests, setup, teardown);
}
