/* test_pbuf.c - packet buffers: headroom, chains, references, copies, and
 * that every test gives back every piece, block and page it took. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <mira/page.h>
#include <mira/pbuf.h>

/* Nothing alive: every piece, memory block and page came back. */
static void assert_nothing_held(void)
{
    struct mira_pbuf_stats st;
    mira_pbuf_stats(&st);
    assert_int_equal(st.pieces, 0);
    assert_int_equal(st.mems, 0);
    assert_int_equal(st.pages, 0);
}

static int teardown(void **state)
{
    (void)state;
    assert_nothing_held();
    mira_pbuf_cache_release();
    return 0;
}

/* Every piece's tot_len is its len plus the next piece's tot_len. */
static void assert_consistent(const struct mira_pbuf *p)
{
    for (; p; p = p->next) {
        uint32_t after = p->next ? p->next->tot_len : 0;
        assert_int_equal(p->tot_len, p->len + after);
        assert_true(p->data >= p->mem->base);
        assert_true(p->data + p->len <= p->mem->base + p->mem->size);
    }
}

static void fill(uint8_t *b, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(i * 7 + seed);
}

static void test_alloc_one_page(void **state)
{
    (void)state;
    struct mira_pbuf *p = mira_pbuf_alloc(1514, MIRA_PBUF_HEADROOM);
    assert_non_null(p);
    assert_null(p->next);
    assert_int_equal(p->len, 1514);
    assert_int_equal(p->tot_len, 1514);
    assert_int_equal(mira_pbuf_headroom(p), MIRA_PBUF_HEADROOM);
    /* Page-backed: the piece lies in one page. */
    assert_int_equal((uintptr_t)p->mem->base % MIRA_PAGE_SIZE, 0);
    assert_int_equal(p->mem->size, MIRA_PAGE_SIZE);
    assert_true(mira_pbuf_writable(p));
    struct mira_pbuf_stats st;
    mira_pbuf_stats(&st);
    assert_int_equal(st.pieces, 1);
    assert_int_equal(st.pages, 1);
    mira_pbuf_free(p);
}

static void test_alloc_chain_of_pages(void **state)
{
    (void)state;
    /* 10,000 bytes after 160 of headroom: 3936 + 4096 + 1968. */
    struct mira_pbuf *p = mira_pbuf_alloc(10000, MIRA_PBUF_HEADROOM);
    assert_non_null(p);
    assert_int_equal(mira_pbuf_pieces(p), 3);
    assert_int_equal(p->len, MIRA_PAGE_SIZE - MIRA_PBUF_HEADROOM);
    assert_int_equal(p->next->len, MIRA_PAGE_SIZE);
    assert_int_equal(p->next->next->len, 10000 - p->len - MIRA_PAGE_SIZE);
    assert_int_equal(p->tot_len, 10000);
    assert_consistent(p);
    for (const struct mira_pbuf *q = p; q; q = q->next)
        assert_int_equal((uintptr_t)q->mem->base % MIRA_PAGE_SIZE, 0);
    mira_pbuf_free(p);
}

static void test_alloc_empty(void **state)
{
    (void)state;
    struct mira_pbuf *p = mira_pbuf_alloc(0, 64);
    assert_non_null(p);
    assert_int_equal(p->tot_len, 0);
    /* Headers only: a TCP ACK. */
    uint8_t *h = mira_pbuf_push(&p, 20);
    assert_non_null(h);
    assert_int_equal(mira_pbuf_headroom(p), 44);
    assert_int_equal(p->tot_len, 20);
    mira_pbuf_free(p);
}

static void test_push_pull_headroom(void **state)
{
    (void)state;
    struct mira_pbuf *p = mira_pbuf_alloc(100, 64);
    assert_non_null(p);
    struct mira_pbuf *orig = p;
    uint8_t payload[100];
    fill(payload, sizeof(payload), 1);
    assert_int_equal(mira_pbuf_copy_in(p, 0, payload, 100), 100);
    uint8_t *tcp = mira_pbuf_push(&p, 20);
    memset(tcp, 0xaa, 20);
    uint8_t *ip = mira_pbuf_push(&p, 20);
    memset(ip, 0xbb, 20);
    uint8_t *eth = mira_pbuf_push(&p, 14);
    memset(eth, 0xcc, 14);
    /* In place: the same piece, the headers right before the payload. */
    assert_ptr_equal(p, orig);
    assert_ptr_equal(eth + 14, ip);
    assert_ptr_equal(ip + 20, tcp);
    assert_int_equal(p->tot_len, 154);
    assert_int_equal(mira_pbuf_headroom(p), 10);

    /* The receiving side reads and pulls them off again. */
    assert_int_equal(mira_pbuf_pull(&p, 14), 0);
    assert_int_equal(p->data[0], 0xbb);
    assert_int_equal(mira_pbuf_pull(&p, 40), 0);
    assert_int_equal(p->tot_len, 100);
    assert_memory_equal(p->data, payload, 100);
    /* More than there is: refused, nothing changed. */
    assert_int_equal(mira_pbuf_pull(&p, 101), MIRA_EINVAL);
    assert_int_equal(p->tot_len, 100);
    mira_pbuf_free(p);
}

static void test_push_without_headroom_prepends(void **state)
{
    (void)state;
    struct mira_pbuf *p = mira_pbuf_alloc(50, 8);
    assert_non_null(p);
    p->offload.flags = MIRA_PBUF_CSUM_PARTIAL;
    struct mira_pbuf *orig = p;
    uint8_t *h = mira_pbuf_push(&p, 20);
    assert_non_null(h);
    assert_ptr_not_equal(p, orig);
    assert_ptr_equal(p->next, orig);
    assert_int_equal(p->len, 20);
    assert_int_equal(p->tot_len, 70);
    /* Offloads move to the new first piece. */
    assert_int_equal(p->offload.flags, MIRA_PBUF_CSUM_PARTIAL);
    assert_int_equal(orig->offload.flags, 0);
    /* The new piece keeps room for the layers below. */
    assert_true(mira_pbuf_headroom(p) >= 14);
    assert_consistent(p);
    /* Too much at once is refused. */
    assert_null(mira_pbuf_push(&p, MIRA_PBUF_HEADROOM_MAX + 1));
    assert_int_equal(p->tot_len, 70);
    mira_pbuf_free(p);
}

static void test_pull_frees_empty_pieces(void **state)
{
    (void)state;
    struct mira_pbuf *p = mira_pbuf_alloc(9000, 0); /* 4096 + 4096 + 808 */
    assert_int_equal(mira_pbuf_pieces(p), 3);
    assert_int_equal(mira_pbuf_pull(&p, 4096 + 100), 0);
    assert_int_equal(mira_pbuf_pieces(p), 2);
    assert_int_equal(p->len, 3996);
    assert_int_equal(p->tot_len, 9000 - 4196);
    assert_consistent(p);
    /* Everything: one empty piece is left, not none. */
    assert_int_equal(mira_pbuf_pull(&p, p->tot_len), 0);
    assert_non_null(p);
    assert_int_equal(mira_pbuf_pieces(p), 1);
    assert_int_equal(p->tot_len, 0);
    struct mira_pbuf_stats st;
    mira_pbuf_stats(&st);
    assert_int_equal(st.pages, 1);
    mira_pbuf_free(p);
}

static void test_trim(void **state)
{
    (void)state;
    struct mira_pbuf *p = mira_pbuf_alloc(9000, 0);
    assert_int_equal(mira_pbuf_trim(p, 9001), MIRA_EINVAL);
    assert_int_equal(p->tot_len, 9000);
    assert_int_equal(mira_pbuf_trim(p, 5000), 0);
    assert_int_equal(mira_pbuf_pieces(p), 2);
    assert_int_equal(p->tot_len, 5000);
    assert_int_equal(p->next->len, 904);
    assert_consistent(p);
    struct mira_pbuf_stats st;
    mira_pbuf_stats(&st);
    assert_int_equal(st.pages, 2);
    assert_int_equal(mira_pbuf_trim(p, 60), 0);
    assert_int_equal(mira_pbuf_pieces(p), 1);
    assert_int_equal(p->tot_len, 60);
    mira_pbuf_free(p);
}

static void test_copy_across_pieces(void **state)
{
    (void)state;
    enum { N = 3 * MIRA_PAGE_SIZE + 123 };
    static uint8_t in[N], out[N + 10];
    fill(in, N, 3);
    struct mira_pbuf *p = mira_pbuf_alloc(N, MIRA_PBUF_HEADROOM);
    assert_int_equal(mira_pbuf_pieces(p), 4);
    assert_int_equal(mira_pbuf_copy_in(p, 0, in, N), N);
    memset(out, 0, sizeof(out));
    assert_int_equal(mira_pbuf_copy_out(p, 0, out, N), N);
    assert_memory_equal(in, out, N);
    /* A window straddling the first two piece boundaries. */
    size_t off = MIRA_PAGE_SIZE - MIRA_PBUF_HEADROOM - 5;
    memset(out, 0, sizeof(out));
    assert_int_equal(mira_pbuf_copy_out(p, off, out, MIRA_PAGE_SIZE + 10), MIRA_PAGE_SIZE + 10);
    assert_memory_equal(in + off, out, MIRA_PAGE_SIZE + 10);
    /* Past the end: short counts, nothing written beyond. */
    memset(out, 0xee, sizeof(out));
    assert_int_equal(mira_pbuf_copy_out(p, N - 4, out, 10), 4);
    assert_memory_equal(in + N - 4, out, 4);
    assert_int_equal(out[4], 0xee);
    assert_int_equal(mira_pbuf_copy_out(p, N + 1, out, 10), 0);
    /* copy_in in the middle of a piece boundary. */
    uint8_t patch[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    assert_int_equal(mira_pbuf_copy_in(p, off + 1, patch, 8), 8);
    assert_int_equal(mira_pbuf_copy_out(p, off + 1, out, 8), 8);
    assert_memory_equal(out, patch, 8);
    assert_int_equal(mira_pbuf_copy_in(p, N - 2, patch, 8), 2);
    mira_pbuf_free(p);
}

static void test_pullup(void **state)
{
    (void)state;
    /* A header split across two pieces, as a device may deliver it. */
    struct mira_pbuf *a = mira_pbuf_alloc(10, 32), *b = mira_pbuf_alloc(50, 0);
    uint8_t bytes[60];
    fill(bytes, 60, 9);
    mira_pbuf_copy_in(a, 0, bytes, 10);
    mira_pbuf_copy_in(b, 0, bytes + 10, 50);
    mira_pbuf_cat(a, b);
    assert_int_equal(a->tot_len, 60);
    assert_consistent(a);
    struct mira_pbuf *p = a;
    /* Already contiguous: no copy, same piece. */
    assert_ptr_equal(mira_pbuf_pullup(&p, 10), a->data);
    assert_ptr_equal(p, a);
    uint8_t *h = mira_pbuf_pullup(&p, 20);
    assert_non_null(h);
    assert_int_equal(p->len, 20);
    assert_memory_equal(h, bytes, 20);
    assert_int_equal(p->tot_len, 60);
    assert_consistent(p);
    uint8_t out[60];
    assert_int_equal(mira_pbuf_copy_out(p, 0, out, 60), 60);
    assert_memory_equal(out, bytes, 60);
    assert_null(mira_pbuf_pullup(&p, 61));
    /* Everything: the old pieces all go. */
    assert_non_null(mira_pbuf_pullup(&p, 60));
    assert_int_equal(mira_pbuf_pieces(p), 1);
    assert_int_equal(mira_pbuf_copy_out(p, 0, out, 60), 60);
    assert_memory_equal(out, bytes, 60);
    mira_pbuf_free(p);
}

static void test_clone_shares_memory(void **state)
{
    (void)state;
    struct mira_pbuf *p = mira_pbuf_alloc(6000, MIRA_PBUF_HEADROOM);
    uint8_t in[6000], out[6000];
    fill(in, sizeof(in), 5);
    mira_pbuf_copy_in(p, 0, in, sizeof(in));
    p->offload.gso_size = 1448;
    struct mira_pbuf *c = mira_pbuf_clone(p);
    assert_non_null(c);
    assert_int_equal(mira_pbuf_pieces(c), 2);
    /* Same bytes, same memory: nothing copied. */
    assert_ptr_equal(c->data, p->data);
    assert_ptr_equal(c->next->data, p->next->data);
    assert_int_equal(c->mem->refs, 2);
    assert_int_equal(c->offload.gso_size, 1448);
    assert_false(mira_pbuf_writable(p));
    assert_false(mira_pbuf_writable(c));
    struct mira_pbuf_stats st;
    mira_pbuf_stats(&st);
    assert_int_equal(st.pieces, 4);
    assert_int_equal(st.pages, 2);

    /* A header pushed on the clone must not land in the shared headroom. */
    uint8_t before[MIRA_PBUF_HEADROOM];
    memcpy(before, p->mem->base, MIRA_PBUF_HEADROOM);
    uint8_t *h = mira_pbuf_push(&c, 40);
    memset(h, 0x5a, 40);
    assert_memory_equal(p->mem->base, before, MIRA_PBUF_HEADROOM);
    assert_int_equal(c->tot_len, 6040);

    /* Freeing the original keeps the memory for the clone. */
    mira_pbuf_free(p);
    mira_pbuf_stats(&st);
    assert_int_equal(st.pages, 3);
    assert_int_equal(mira_pbuf_copy_out(c, 40, out, sizeof(out)), sizeof(out));
    assert_memory_equal(out, in, sizeof(in));
    assert_true(mira_pbuf_writable(c));
    mira_pbuf_free(c);
}

/* The netfront pool case: pages the driver owns come back to it. */
struct pool {
    int released;
    void *last;
};

static void pool_release(void *base, void *arg)
{
    struct pool *pl = arg;
    pl->released++;
    pl->last = base;
}

static void test_wrap_releases_to_owner(void **state)
{
    (void)state;
    static uint8_t page[MIRA_PAGE_SIZE] __attribute__((aligned(4096)));
    struct pool pl = { 0 };
    struct mira_pbuf *p = mira_pbuf_wrap(page, sizeof(page), 0, 1514, pool_release, &pl);
    assert_non_null(p);
    assert_int_equal(p->tot_len, 1514);
    assert_int_equal(mira_pbuf_headroom(p), 0);
    struct mira_pbuf *c1 = mira_pbuf_clone(p), *c2 = mira_pbuf_clone(p);
    assert_int_equal(p->mem->refs, 3);
    mira_pbuf_free(p);
    mira_pbuf_pull(&c1, 14);
    mira_pbuf_free(c1);
    assert_int_equal(pl.released, 0);
    /* The last reference: released exactly once, with the base. */
    mira_pbuf_free(c2);
    assert_int_equal(pl.released, 1);
    assert_ptr_equal(pl.last, page);

    /* Headroom of wrapped memory is usable for headers. */
    p = mira_pbuf_wrap(page, sizeof(page), 100, 10, pool_release, &pl);
    assert_int_equal(mira_pbuf_headroom(p), 100);
    assert_ptr_equal(mira_pbuf_push(&p, 14), page + 86);
    mira_pbuf_free(p);
    assert_int_equal(pl.released, 2);
}

static void test_cat_chain_and_free(void **state)
{
    (void)state;
    struct pool pl = { 0 };
    static uint8_t page[MIRA_PAGE_SIZE] __attribute__((aligned(4096)));
    /* Scatter-gather: a header page, then a driver's page, then another. */
    struct mira_pbuf *h = mira_pbuf_alloc(54, MIRA_PBUF_HEADROOM);
    h->offload.flags = MIRA_PBUF_CSUM_VALID;
    struct mira_pbuf *w = mira_pbuf_wrap(page, sizeof(page), 0, 4096, pool_release, &pl);
    struct mira_pbuf *t = mira_pbuf_alloc(5000, 0);
    t->offload.flags = MIRA_PBUF_CSUM_PARTIAL;
    mira_pbuf_cat(w, t);
    mira_pbuf_cat(h, w);
    assert_int_equal(h->tot_len, 54 + 4096 + 5000);
    assert_int_equal(mira_pbuf_pieces(h), 4);
    assert_consistent(h);
    assert_int_equal(h->offload.flags, MIRA_PBUF_CSUM_VALID);
    assert_int_equal(t->offload.flags, 0);
    mira_pbuf_free(h);
    assert_int_equal(pl.released, 1);
}

static void test_page_cache_reuses(void **state)
{
    (void)state;
    struct mira_pbuf *p = mira_pbuf_alloc(100, 0);
    void *pg = p->mem->base;
    mira_pbuf_free(p);
    struct mira_pbuf_stats st;
    mira_pbuf_stats(&st);
    assert_true(st.pages_cached >= 1);
    p = mira_pbuf_alloc(100, 0);
    assert_ptr_equal(p->mem->base, pg);
    mira_pbuf_free(p);
    mira_pbuf_cache_release();
    mira_pbuf_stats(&st);
    assert_int_equal(st.pages_cached, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_alloc_one_page, teardown),
        cmocka_unit_test_teardown(test_alloc_chain_of_pages, teardown),
        cmocka_unit_test_teardown(test_alloc_empty, teardown),
        cmocka_unit_test_teardown(test_push_pull_headroom, teardown),
        cmocka_unit_test_teardown(test_push_without_headroom_prepends, teardown),
        cmocka_unit_test_teardown(test_pull_frees_empty_pieces, teardown),
        cmocka_unit_test_teardown(test_trim, teardown),
        cmocka_unit_test_teardown(test_copy_across_pieces, teardown),
        cmocka_unit_test_teardown(test_pullup, teardown),
        cmocka_unit_test_teardown(test_clone_shares_memory, teardown),
        cmocka_unit_test_teardown(test_wrap_releases_to_owner, teardown),
        cmocka_unit_test_teardown(test_cat_chain_and_free, teardown),
        cmocka_unit_test_teardown(test_page_cache_reuses, teardown),
    };
    return cmocka_run_group_tests_name("pbuf", tests, NULL, NULL);
}
