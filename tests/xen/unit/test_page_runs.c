/* Unit tests of the xen platform's first-fit page-run allocator
 * (runtime/src/platform/xen/page_runs.c), over an ordinary aligned buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <mira/error.h>
#include "../../../runtime/src/platform/xen/page_runs.h"

#define PG MIRA_PAGE_RUNS_PAGE
#define NPAGES 64

static char *arena;

static int setup(void **state)
{
    (void)state;
    arena = aligned_alloc(PG, NPAGES * PG);
    return arena ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(arena);
    return 0;
}

static uintptr_t pg(size_t i)
{
    return (uintptr_t)arena + i * PG;
}

/* Checks the invariants: runs sorted, inside the arena, never touching
 * (fully coalesced), and adding up to free_pages. */
static void check_runs(const struct mira_page_runs *a)
{
    size_t total = 0;
    for (const struct mira_page_run *r = a->head; r; r = r->next) {
        assert_true((uintptr_t)r >= pg(0) && (uintptr_t)r + r->npages * PG <= pg(NPAGES));
        assert_true(r->npages > 0);
        if (r->next)
            assert_true((uintptr_t)r + r->npages * PG < (uintptr_t)r->next);
        total += r->npages;
    }
    assert_int_equal(total, a->free_pages);
}

static void test_single_alloc_free(void **state)
{
    (void)state;
    struct mira_page_runs a;
    mira_page_runs_init(&a);
    assert_null(mira_page_runs_alloc(&a, 1));
    assert_int_equal(mira_page_runs_free(&a, pg(0), 4), 0);
    assert_int_equal(a.free_pages, 4);
    char *p = mira_page_runs_alloc(&a, 1);
    assert_ptr_equal(p, (char *)pg(3)); /* the top of the run */
    assert_int_equal(a.free_pages, 3);
    memset(p, 0xa5, PG); /* the caller owns the whole page */
    check_runs(&a);
    assert_int_equal(mira_page_runs_free(&a, (uintptr_t)p, 1), 0);
    assert_int_equal(a.free_pages, 4);
    assert_int_equal(mira_page_runs_count(&a), 1);
    assert_null(mira_page_runs_alloc(&a, 0));
}

static void test_coalesce_prev(void **state)
{
    (void)state;
    struct mira_page_runs a;
    mira_page_runs_init(&a);
    assert_int_equal(mira_page_runs_free(&a, pg(2), 1), 0);
    assert_int_equal(mira_page_runs_free(&a, pg(3), 2), 0); /* right after */
    assert_int_equal(mira_page_runs_count(&a), 1);
    assert_int_equal(mira_page_runs_largest(&a), 3);
    assert_ptr_equal(a.head, (void *)pg(2));
    check_runs(&a);
}

static void test_coalesce_next(void **state)
{
    (void)state;
    struct mira_page_runs a;
    mira_page_runs_init(&a);
    assert_int_equal(mira_page_runs_free(&a, pg(5), 2), 0);
    assert_int_equal(mira_page_runs_free(&a, pg(3), 2), 0); /* right before */
    assert_int_equal(mira_page_runs_count(&a), 1);
    assert_int_equal(mira_page_runs_largest(&a), 4);
    assert_ptr_equal(a.head, (void *)pg(3));
    check_runs(&a);
}

static void test_coalesce_both(void **state)
{
    (void)state;
    struct mira_page_runs a;
    mira_page_runs_init(&a);
    assert_int_equal(mira_page_runs_free(&a, pg(10), 1), 0);
    assert_int_equal(mira_page_runs_free(&a, pg(2), 1), 0);
    assert_int_equal(mira_page_runs_free(&a, pg(4), 2), 0);
    assert_int_equal(mira_page_runs_count(&a), 3);
    assert_int_equal(mira_page_runs_free(&a, pg(3), 1), 0); /* fills the hole */
    assert_int_equal(mira_page_runs_count(&a), 2);
    assert_int_equal(mira_page_runs_largest(&a), 4);
    assert_int_equal(a.free_pages, 5);
    check_runs(&a);
}

static void test_exhaustion(void **state)
{
    (void)state;
    struct mira_page_runs a;
    mira_page_runs_init(&a);
    assert_int_equal(mira_page_runs_free(&a, pg(0), 8), 0);
    assert_null(mira_page_runs_alloc(&a, 9));
    assert_int_equal(a.free_pages, 8); /* a failed allocation takes nothing */
    for (int i = 0; i < 8; i++)
        assert_non_null(mira_page_runs_alloc(&a, 1));
    assert_null(mira_page_runs_alloc(&a, 1));
    assert_int_equal(a.free_pages, 0);
    assert_null(a.head);
}

static void test_contiguous(void **state)
{
    (void)state;
    struct mira_page_runs a;
    mira_page_runs_init(&a);
    assert_int_equal(mira_page_runs_free(&a, pg(0), 16), 0);
    char *x = mira_page_runs_alloc(&a, 5);
    char *y = mira_page_runs_alloc(&a, 7);
    assert_ptr_equal(x, (char *)pg(11));
    assert_ptr_equal(y, (char *)pg(4));
    memset(x, 1, 5 * PG);
    memset(y, 2, 7 * PG);
    check_runs(&a);
    assert_int_equal(a.free_pages, 4);
    assert_null(mira_page_runs_alloc(&a, 5));
    assert_int_equal(mira_page_runs_free(&a, (uintptr_t)x, 5), 0);
    assert_int_equal(mira_page_runs_free(&a, (uintptr_t)y, 7), 0);
    assert_int_equal(mira_page_runs_count(&a), 1);
    assert_ptr_equal(mira_page_runs_alloc(&a, 16), (char *)pg(0));
}

static void test_fragmentation(void **state)
{
    (void)state;
    struct mira_page_runs a;
    mira_page_runs_init(&a);
    for (size_t i = 0; i < 16; i += 2) /* every other page */
        assert_int_equal(mira_page_runs_free(&a, pg(i), 1), 0);
    assert_int_equal(a.free_pages, 8);
    assert_int_equal(mira_page_runs_count(&a), 8);
    assert_null(mira_page_runs_alloc(&a, 2)); /* 8 free, none adjacent */
    for (size_t i = 1; i < 16; i += 2)
        assert_int_equal(mira_page_runs_free(&a, pg(i), 1), 0);
    assert_int_equal(mira_page_runs_count(&a), 1);
    assert_ptr_equal(mira_page_runs_alloc(&a, 16), (char *)pg(0));
}

static void test_bad_free(void **state)
{
    (void)state;
    struct mira_page_runs a;
    mira_page_runs_init(&a);
    assert_int_equal(mira_page_runs_free(&a, pg(4), 4), 0);
    assert_int_equal(mira_page_runs_free(&a, pg(4), 1), MIRA_EINVAL);  /* inside */
    assert_int_equal(mira_page_runs_free(&a, pg(2), 3), MIRA_EINVAL);  /* overlaps the start */
    assert_int_equal(mira_page_runs_free(&a, pg(7), 2), MIRA_EINVAL);  /* overlaps the end */
    assert_int_equal(mira_page_runs_free(&a, pg(0) + 1, 1), MIRA_EINVAL); /* unaligned */
    assert_int_equal(mira_page_runs_free(&a, pg(0), 0), MIRA_EINVAL);
    assert_int_equal(mira_page_runs_free(&a, 0, 1), MIRA_EINVAL);
    assert_int_equal(mira_page_runs_free(&a, UINTPTR_MAX & ~(uintptr_t)(PG - 1), 2),
                     MIRA_EINVAL); /* wraps */
    assert_int_equal(a.free_pages, 4);
    assert_int_equal(mira_page_runs_count(&a), 1);
    check_runs(&a);
}

/* Random allocations and frees, checked against a model: a byte per page
 * (0 free, else the owner's tag) and the tag written over each held block. */
static void test_churn(void **state)
{
    (void)state;
    struct mira_page_runs a;
    mira_page_runs_init(&a);
    unsigned char owner[NPAGES] = {0};
    struct { char *p; size_t n; unsigned char tag; } held[NPAGES];
    size_t nheld = 0;
    assert_int_equal(mira_page_runs_free(&a, pg(0), NPAGES), 0);
    srand(12345);
    for (int step = 0; step < 20000; step++) {
        if (nheld == 0 || (rand() % 2 && nheld < NPAGES)) {
            size_t n = 1 + (size_t)rand() % 8;
            size_t model_free = 0, best = 0, run = 0;
            for (size_t i = 0; i < NPAGES; i++) {
                run = owner[i] ? 0 : run + 1;
                best = run > best ? run : best;
                model_free += !owner[i];
            }
            char *p = mira_page_runs_alloc(&a, n);
            if (n > best) {
                assert_null(p);
                continue;
            }
            assert_non_null(p);
            size_t first = ((uintptr_t)p - pg(0)) / PG;
            assert_true(((uintptr_t)p - pg(0)) % PG == 0 && first + n <= NPAGES);
            unsigned char tag = (unsigned char)(1 + step % 250);
            for (size_t i = first; i < first + n; i++) {
                assert_int_equal(owner[i], 0); /* never hands out a held page */
                owner[i] = tag;
            }
            memset(p, tag, n * PG);
            held[nheld].p = p;
            held[nheld].n = n;
            held[nheld].tag = tag;
            nheld++;
            assert_int_equal(a.free_pages, model_free - n);
        } else {
            size_t k = (size_t)rand() % nheld;
            size_t first = ((uintptr_t)held[k].p - pg(0)) / PG;
            for (size_t b = 0; b < held[k].n * PG; b++) /* nobody wrote into it */
                assert_int_equal((unsigned char)held[k].p[b], held[k].tag);
            for (size_t i = first; i < first + held[k].n; i++)
                owner[i] = 0;
            assert_int_equal(mira_page_runs_free(&a, (uintptr_t)held[k].p, held[k].n), 0);
            held[k] = held[--nheld];
        }
        check_runs(&a);
        /* Every free run matches the model's free pages. */
        size_t model_runs = 0;
        for (size_t i = 0; i < NPAGES; i++)
            model_runs += !owner[i] && (i == 0 || owner[i - 1]);
        assert_int_equal(mira_page_runs_count(&a), model_runs);
        for (const struct mira_page_run *r = a.head; r; r = r->next)
            for (size_t i = 0; i < r->npages; i++)
                assert_int_equal(owner[((uintptr_t)r - pg(0)) / PG + i], 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_alloc_free),
        cmocka_unit_test(test_coalesce_prev),
        cmocka_unit_test(test_coalesce_next),
        cmocka_unit_test(test_coalesce_both),
        cmocka_unit_test(test_exhaustion),
        cmocka_unit_test(test_contiguous),
        cmocka_unit_test(test_fragmentation),
        cmocka_unit_test(test_bad_free),
        cmocka_unit_test(test_churn),
    };
    return cmocka_run_group_tests_name("xen page runs", tests, setup, teardown);
}
