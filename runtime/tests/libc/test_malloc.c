/* test_malloc.c - the guest's heap (runtime/src/libc/malloc.c) over the
 * hosted page allocator of page_stub.c: alignment, calloc's zeroing and
 * overflow, realloc keeping contents, running out of pages, large blocks
 * going back to the pages, freed blocks being reused, and a long random
 * alloc/realloc/free churn in which every live block keeps its contents. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "guest_libc.h"
#include "../../src/libc/libc_internal.h"

/* Fills p[0..n) with a pattern that depends on tag and the offset. */
static void fill(void *p, size_t n, unsigned tag)
{
    unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)(tag * 131u + i * 7u + (i >> 8));
}

/* Whether p[0..n) still holds fill(p, n, tag)'s pattern. */
static int intact(const void *p, size_t n, unsigned tag)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != (unsigned char)(tag * 131u + i * 7u + (i >> 8)))
            return 0;
    return 1;
}

static void test_alignment_and_sizes(void **state)
{
    (void)state;
    void *p[600];
    for (size_t size = 0; size < 600; size++) {
        p[size] = mira_guest_malloc(size * 13);
        assert_non_null(p[size]);
        assert_int_equal((uintptr_t)p[size] % 16, 0);
        fill(p[size], size * 13, (unsigned)size);
    }
    for (size_t size = 0; size < 600; size++) {
        assert_true(intact(p[size], size * 13, (unsigned)size));
        mira_guest_free(p[size]);
    }
    mira_guest_free(NULL);
    /* malloc(0): a unique pointer that free takes. */
    void *a = mira_guest_malloc(0), *b = mira_guest_malloc(0);
    assert_non_null(a);
    assert_ptr_not_equal(a, b);
    mira_guest_free(a);
    mira_guest_free(b);
}

static void test_calloc_zeroes(void **state)
{
    (void)state;
    /* Dirty the blocks first so that zeroing is calloc's, not luck. */
    for (size_t size = 1; size < 5000; size += 97) {
        void *d = mira_guest_malloc(size);
        memset(d, 0xff, size);
        mira_guest_free(d);
        unsigned char *p = mira_guest_calloc(size, 1);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        for (size_t i = 0; i < size; i++)
            assert_int_equal(p[i], 0);
        mira_guest_free(p);
    }
    uint32_t *q = mira_guest_calloc(1000, sizeof(uint32_t));
    assert_non_null(q);
    for (size_t i = 0; i < 1000; i++)
        assert_int_equal(q[i], 0);
    mira_guest_free(q);
    /* n * size overflows size_t: NULL, not a small block. */
    size_t taken = mira_test_pages_taken;
    assert_null(mira_guest_calloc(SIZE_MAX / 2 + 1, 2));
    assert_null(mira_guest_calloc((size_t)1 << 32, (size_t)1 << 32));
    assert_null(mira_guest_calloc(SIZE_MAX, SIZE_MAX));
    assert_null(mira_guest_calloc(3, SIZE_MAX / 3 + 1));
    assert_int_equal(mira_test_pages_taken, taken);
    void *z = mira_guest_calloc(0, 16);
    mira_guest_free(z);
    z = mira_guest_calloc(16, 0);
    mira_guest_free(z);
}

static void test_too_large(void **state)
{
    (void)state;
    size_t taken = mira_test_pages_taken;
    assert_null(mira_guest_malloc(SIZE_MAX));
    assert_null(mira_guest_malloc(SIZE_MAX - 15));
    assert_null(mira_guest_malloc(SIZE_MAX - 16));
    assert_null(mira_guest_malloc(SIZE_MAX / 2));
    assert_int_equal(mira_test_pages_taken, taken);
    void *p = mira_guest_malloc(100);
    assert_null(mira_guest_realloc(p, SIZE_MAX - 8));
    mira_guest_free(p);
}

static void test_large_blocks_return_pages(void **state)
{
    (void)state;
    const size_t sizes[] = {2033, 4080, 4081, 4096, 8192, 100000,
                            1u << 20, 16u << 20};
    size_t live = mira_test_pages_live;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t before = mira_test_pages_live;
        unsigned char *p = mira_guest_malloc(sizes[i]);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        /* At most the pages the block needs with its header. */
        assert_true(mira_test_pages_live - before
                    <= (sizes[i] + 16 + MIRA_PAGE_SIZE - 1) / MIRA_PAGE_SIZE);
        fill(p, sizes[i], (unsigned)i);
        assert_true(intact(p, sizes[i], (unsigned)i));
        mira_guest_free(p);
    }
    /* Every one was a page run, and every run went back. */
    assert_int_equal(mira_test_pages_live, live);
}

static void test_realloc_keeps(void **state)
{
    (void)state;
    assert_null(mira_guest_realloc(mira_guest_malloc(10), 0) /* frees */);
    unsigned char *p = mira_guest_realloc(NULL, 5); /* malloc */
    assert_non_null(p);
    fill(p, 5, 0);
    size_t size = 5;
    /* Grow through every class into page runs, then shrink back. */
    const size_t steps[] = {17, 30, 100, 1000, 2032, 2033, 5000, 70000,
                            300000, 70000, 4000, 100, 3, 1, 60000, 2};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        unsigned char *q = mira_guest_realloc(p, steps[i]);
        assert_non_null(q);
        assert_int_equal((uintptr_t)q % 16, 0);
        size_t keep = size < steps[i] ? size : steps[i];
        assert_true(intact(q, keep, (unsigned)i));
        fill(q, steps[i], (unsigned)i + 1);
        p = q;
        size = steps[i];
    }
    mira_guest_free(p);
}

static void test_out_of_pages(void **state)
{
    (void)state;
    /* A fresh page run is needed and none is left: NULL, and the block
     * being reallocated is untouched and still owned by the caller. */
    unsigned char *p = mira_guest_malloc(3000);
    assert_non_null(p);
    fill(p, 3000, 9);
    mira_test_pages_fail_after = 0;
    assert_null(mira_guest_malloc(100000));
    assert_null(mira_guest_realloc(p, 200000));
    assert_null(mira_guest_calloc(50000, 2));
    assert_true(intact(p, 3000, 9));
    /* Small classes run dry once their free lists are empty. */
    void *small[2000];
    size_t n = 0;
    while (n < 2000 && (small[n] = mira_guest_malloc(1000)) != NULL)
        n++;
    assert_true(n < 2000);
    mira_test_pages_fail_after = -1;
    while (n)
        mira_guest_free(small[--n]);
    unsigned char *q = mira_guest_realloc(p, 200000);
    assert_non_null(q);
    assert_true(intact(q, 3000, 9));
    mira_guest_free(q);
}

/* Freed blocks are reused: 200,000 allocations with at most 64 live,
 * small and large, take a bounded number of pages. */
static void test_reuse(void **state)
{
    (void)state;
    unsigned long long s = 31;
    void *live[64] = {0};
    size_t taken = mira_test_pages_taken, live_pages = mira_test_pages_live;
    for (int i = 0; i < 200000; i++) {
        size_t k = mira_test_below(&s, 64);
        mira_guest_free(live[k]);
        size_t size = mira_test_below(&s, 2033);
        live[k] = mira_guest_malloc(size);
        assert_non_null(live[k]);
    }
    for (size_t k = 0; k < 64; k++)
        mira_guest_free(live[k]);
    /* Each of the 7 classes needs at most 64 blocks: 64 / 8 refills of 4
     * pages for the largest class, fewer for the others. */
    assert_true(mira_test_pages_taken - taken <= 7 * 8 * 4);
    size_t before = mira_test_pages_live;
    for (int i = 0; i < 5000; i++) {
        void *p = mira_guest_malloc(100000 + (size_t)i);
        assert_non_null(p);
        mira_guest_free(p);
    }
    /* Page runs are returned each time. */
    assert_int_equal(mira_test_pages_live, before);
    assert_true(mira_test_pages_live - live_pages <= 7 * 8 * 4);
}

/* Random malloc/calloc/realloc/free over 512 slots: every live block keeps
 * its pattern until it is freed. */
static void test_churn(void **state)
{
    (void)state;
    enum { SLOTS = 512 };
    static unsigned char *blk[SLOTS];
    static size_t len[SLOTS];
    static unsigned tag[SLOTS];
    unsigned long long s = 32;
    unsigned next_tag = 1;
    for (int i = 0; i < 300000; i++) {
        size_t k = mira_test_below(&s, SLOTS);
        unsigned op = (unsigned)mira_test_below(&s, 10);
        size_t size = mira_test_below(&s, 10) == 0 ? mira_test_below(&s, 40000)
                                                   : mira_test_below(&s, 600);
        if (blk[k] != NULL) {
            if (!intact(blk[k], len[k], tag[k]))
                fail_msg("block %zu (%zu bytes) corrupted at step %d", k, len[k], i);
            if (op < 4) { /* realloc: the common prefix survives */
                unsigned char *q = mira_guest_realloc(blk[k], size + 1);
                assert_non_null(q);
                size_t keep = len[k] < size + 1 ? len[k] : size + 1;
                assert_true(intact(q, keep, tag[k]));
                blk[k] = q;
                len[k] = size + 1;
            } else {
                mira_guest_free(blk[k]);
                blk[k] = NULL;
                continue;
            }
        } else if (op < 3) {
            blk[k] = mira_guest_calloc(size, 1);
            assert_non_null(blk[k]);
            for (size_t j = 0; j < size; j++)
                assert_int_equal(blk[k][j], 0);
            len[k] = size;
        } else {
            blk[k] = mira_guest_malloc(size);
            assert_non_null(blk[k]);
            len[k] = size;
        }
        assert_int_equal((uintptr_t)blk[k] % 16, 0);
        tag[k] = next_tag++;
        fill(blk[k], len[k], tag[k]);
    }
    for (size_t k = 0; k < SLOTS; k++) {
        if (blk[k] != NULL)
            assert_true(intact(blk[k], len[k], tag[k]));
        mira_guest_free(blk[k]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alignment_and_sizes),
        cmocka_unit_test(test_calloc_zeroes),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_large_blocks_return_pages),
        cmocka_unit_test(test_realloc_keeps),
        cmocka_unit_test(test_out_of_pages),
        cmocka_unit_test(test_reuse),
        cmocka_unit_test(test_churn),
    };
    return cmocka_run_group_tests_name("libc-malloc", tests, NULL, NULL);
}
