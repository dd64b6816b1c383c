/* Unit tests of the grant-reference free list (runtime/src/platform/xen/
 * gnttab_refs.c): growth a frame at a time, exhaustion, double ends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <mira/error.h>
#include "../../../runtime/src/platform/xen/gnttab_refs.h"

#define PER_FRAME 512u /* v1 entries in a 4 KiB frame */
#define MAX_FRAMES 8u

static uint32_t link[MAX_FRAMES * PER_FRAME];

static void test_empty_then_grow(void **state)
{
    (void)state;
    struct mira_gnttab_refs r;
    mira_gnttab_refs_init(&r, link, MAX_FRAMES * PER_FRAME);
    assert_int_equal(mira_gnttab_refs_get(&r), MIRA_ENOMEM);
    assert_int_equal(mira_gnttab_refs_grow(&r, PER_FRAME), 0);
    assert_int_equal(r.nfree, PER_FRAME - MIRA_GNTTAB_RESERVED);
    assert_int_equal(mira_gnttab_refs_get(&r), MIRA_GNTTAB_RESERVED); /* lowest first */
    assert_int_equal(mira_gnttab_refs_get(&r), MIRA_GNTTAB_RESERVED + 1);
    assert_int_equal(r.nfree, PER_FRAME - MIRA_GNTTAB_RESERVED - 2);
}

static void test_exhaust_and_grow(void **state)
{
    (void)state;
    struct mira_gnttab_refs r;
    mira_gnttab_refs_init(&r, link, MAX_FRAMES * PER_FRAME);
    assert_int_equal(mira_gnttab_refs_grow(&r, PER_FRAME), 0);
    static unsigned char seen[MAX_FRAMES * PER_FRAME];
    memset(seen, 0, sizeof(seen));
    uint32_t got = 0;
    for (uint32_t frames = 1; frames <= MAX_FRAMES; frames++) {
        long ref;
        while ((ref = mira_gnttab_refs_get(&r)) >= 0) {
            assert_true(ref >= MIRA_GNTTAB_RESERVED && ref < frames * PER_FRAME);
            assert_int_equal(seen[ref], 0); /* each ref handed out once */
            seen[ref] = 1;
            got++;
        }
        assert_int_equal(ref, MIRA_ENOMEM);
        assert_int_equal(r.nfree, 0);
        if (frames < MAX_FRAMES) {
            assert_int_equal(mira_gnttab_refs_grow(&r, (frames + 1) * PER_FRAME), 0);
            assert_int_equal(r.nfree, PER_FRAME);
        }
    }
    assert_int_equal(got, MAX_FRAMES * PER_FRAME - MIRA_GNTTAB_RESERVED);
    /* Beyond the largest table, and shrinking, are refused. */
    assert_int_equal(mira_gnttab_refs_grow(&r, (MAX_FRAMES + 1) * PER_FRAME), MIRA_EINVAL);
    assert_int_equal(mira_gnttab_refs_grow(&r, PER_FRAME), MIRA_EINVAL);
    /* Everything returns. */
    for (uint32_t ref = MIRA_GNTTAB_RESERVED; ref < MAX_FRAMES * PER_FRAME; ref++)
        assert_int_equal(mira_gnttab_refs_put(&r, ref), 0);
    assert_int_equal(r.nfree, got);
}

static void test_bad_put(void **state)
{
    (void)state;
    struct mira_gnttab_refs r;
    mira_gnttab_refs_init(&r, link, MAX_FRAMES * PER_FRAME);
    assert_int_equal(mira_gnttab_refs_grow(&r, PER_FRAME), 0);
    long ref = mira_gnttab_refs_get(&r);
    assert_true(ref > 0);
    assert_true(mira_gnttab_refs_in_use(&r, (uint32_t)ref));
    assert_int_equal(mira_gnttab_refs_put(&r, (uint32_t)ref), 0);
    assert_false(mira_gnttab_refs_in_use(&r, (uint32_t)ref));
    uint32_t nfree = r.nfree;
    assert_int_equal(mira_gnttab_refs_put(&r, (uint32_t)ref), MIRA_EINVAL); /* twice */
    assert_int_equal(mira_gnttab_refs_put(&r, 3), MIRA_EINVAL);             /* reserved */
    assert_int_equal(mira_gnttab_refs_put(&r, PER_FRAME), MIRA_EINVAL);     /* beyond */
    assert_int_equal(mira_gnttab_refs_put(&r, MIRA_GNTTAB_RESERVED + 7), MIRA_EINVAL); /* free */
    assert_int_equal(r.nfree, nfree);
    /* The list still hands out distinct refs. */
    long a = mira_gnttab_refs_get(&r), b = mira_gnttab_refs_get(&r);
    assert_true(a > 0 && b > 0 && a != b);
}

/* LIFO: the ref ended last is reused first (a cache-warm entry). */
static void test_reuse_order(void **state)
{
    (void)state;
    struct mira_gnttab_refs r;
    mira_gnttab_refs_init(&r, link, MAX_FRAMES * PER_FRAME);
    assert_int_equal(mira_gnttab_refs_grow(&r, PER_FRAME), 0);
    long a = mira_gnttab_refs_get(&r), b = mira_gnttab_refs_get(&r);
    assert_int_equal(mira_gnttab_refs_put(&r, (uint32_t)a), 0);
    assert_int_equal(mira_gnttab_refs_put(&r, (uint32_t)b), 0);
    assert_int_equal(mira_gnttab_refs_get(&r), b);
    assert_int_equal(mira_gnttab_refs_get(&r), a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_then_grow),
        cmocka_unit_test(test_exhaust_and_grow),
        cmocka_unit_test(test_bad_put),
        cmocka_unit_test(test_reuse_order),
    };
    return cmocka_run_group_tests_name("xen grant refs", tests, NULL, NULL);
}
