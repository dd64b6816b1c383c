/* test_ipv4_reass.c - fragment reassembly: Linux's fragments in every
 * order, duplicates, overlaps, inconsistent ends, every limit (datagrams,
 * bytes, length, time), allocator failure, and memory accounting against
 * an allocator that counts what is live. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <mira/tcpip/csum.h>
#include <mira/tcpip/ipv4_reass.h>
#include "vectors.h"

#define MS 1000000ull

/* The allocator: counts live bytes and blocks, fails when told to. */
struct counting {
    size_t live_bytes, live_blocks, peak;
    int fail_after; /* allocations left before failing; -1: never */
};

static void *c_alloc(void *ctx, size_t size)
{
    struct counting *c = ctx;
    if (c->fail_after == 0)
        return NULL;
    if (c->fail_after > 0)
        c->fail_after--;
    void *p = malloc(size);
    if (p != NULL) {
        c->live_bytes += size;
        c->live_blocks++;
        if (c->live_bytes > c->peak)
            c->peak = c->live_bytes;
    }
    return p;
}

static void c_free(void *ctx, void *p, size_t size)
{
    struct counting *c = ctx;
    assert_true(c->live_blocks > 0 && c->live_bytes >= size);
    c->live_bytes -= size;
    c->live_blocks--;
    free(p);
}

struct fixture {
    struct counting c;
    struct mira_ipv4_reass r;
};

static struct fixture *setup_with(size_t max_dgrams, size_t max_len, size_t max_bytes, uint64_t timeout)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->c.fail_after = -1;
    struct mira_ipv4_reass_limits lim = {max_dgrams, max_len, max_bytes, timeout};
    struct mira_ipv4_reass_allocator a = {c_alloc, c_free, &f->c};
    assert_int_equal(mira_ipv4_reass_init(&f->r, &lim, &a), 0);
    return f;
}

static int setup(void **state)
{
    *state = setup_with(4, 65515, 256 * 1024, 1000 * MS);
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    mira_ipv4_reass_fini(&f->r);
    assert_int_equal(f->r.bytes, 0);
    assert_int_equal(f->c.live_bytes, 0); /* nothing leaks */
    assert_int_equal(f->c.live_blocks, 0);
    free(f);
    return 0;
}

/* A fragment header: payload len at byte offset off. */
static struct mira_ipv4_hdr frag(uint16_t id, size_t off, size_t len, bool mf)
{
    struct mira_ipv4_hdr h = {
        .hdr_len = 20, .total_len = (uint16_t)(20 + len), .id = id, .mf = mf,
        .frag_off = (uint16_t)off, .ttl = 64, .proto = 17, .src = 0x0a000001, .dst = 0x0a000002,
    };
    return h;
}

static uint8_t pattern[65536];

static int feed(struct fixture *f, uint16_t id, size_t off, size_t len, bool mf, uint64_t now,
                enum mira_tcpip_drop *why)
{
    struct mira_ipv4_hdr h = frag(id, off, len, mf);
    int r = mira_ipv4_reass_input(&f->r, &h, pattern + off, now, why);
    /* the accounting is exact, and within the limit */
    assert_int_equal(f->r.bytes, f->c.live_bytes);
    assert_true(f->c.live_bytes <= f->r.limits.max_bytes);
    return r;
}

static void check_take(struct fixture *f, size_t len)
{
    static uint8_t out[65536];
    struct mira_ipv4_hdr h;
    memset(out, 0, len);
    assert_int_equal(mira_ipv4_reass_take(&f->r, &h, out, len), (int)len);
    assert_memory_equal(out, pattern, len);
    assert_int_equal(h.total_len, 20 + len);
    assert_false(h.mf);
    assert_int_equal(h.frag_off, 0);
    assert_int_equal(f->r.bytes, f->c.live_bytes);
}

static void test_linux_fragments_every_order(void **state)
{
    struct fixture *f = *state;
    const uint8_t *v[3] = {vec_frag1 + 14, vec_frag2 + 14, vec_frag3 + 14};
    const int orders[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    for (int o = 0; o < 6; o++) {
        int got = 0;
        for (int k = 0; k < 3; k++) {
            struct mira_ipv4_hdr h;
            const uint8_t *ip = v[orders[o][k]];
            assert_int_equal(mira_ipv4_hdr_parse(ip, 1500, &h, NULL), 20);
            got = mira_ipv4_reass_input(&f->r, &h, ip + 20, (uint64_t)o * MS, NULL);
            assert_int_equal(got, k < 2 ? 0 : 3008);
        }
        uint8_t out[3008];
        struct mira_ipv4_hdr h;
        assert_int_equal(mira_ipv4_reass_take(&f->r, &h, out, sizeof(out)), 3008);
        /* the reassembled ICMP echo request verifies: every byte in place */
        assert_int_equal(mira_csum_finish(mira_csum_partial(out, sizeof(out), 0)), 0);
        assert_int_equal(out[0], 8);
        assert_int_equal(h.total_len, 3028);
        assert_int_equal(h.proto, 1);
        assert_int_equal(h.src, 0x0a630001);
        assert_int_equal(f->r.bytes, 0);
    }
    assert_int_equal(f->r.stats.completed, 6);
}

static void test_random_orders(void **state)
{
    struct fixture *f = *state;
    for (size_t i = 0; i < sizeof(pattern); i++)
        pattern[i] = (uint8_t)(i * 7 + (i >> 8));
    unsigned seed = 1;
    for (int round = 0; round < 200; round++) {
        /* 2..40 fragments of random multiples of 8 */
        size_t offs[41];
        int n = 2 + round % 39;
        offs[0] = 0;
        for (int k = 1; k < n; k++) {
            seed = seed * 1103515245 + 12345;
            offs[k] = offs[k - 1] + 8 * (1 + (seed >> 16) % 64);
        }
        seed = seed * 1103515245 + 12345;
        offs[n] = offs[n - 1] + 1 + (seed >> 16) % 100;
        int perm[40];
        for (int k = 0; k < n; k++)
            perm[k] = k;
        for (int k = n - 1; k > 0; k--) {
            seed = seed * 1103515245 + 12345;
            int j = (int)((seed >> 16) % (unsigned)(k + 1));
            int t = perm[k];
            perm[k] = perm[j];
            perm[j] = t;
        }
        for (int k = 0; k < n; k++) {
            int p = perm[k];
            int r = feed(f, (uint16_t)round, offs[p], offs[p + 1] - offs[p], p != n - 1, 0, NULL);
            assert_int_equal(r, k == n - 1 ? (int)offs[n] : 0);
        }
        check_take(f, offs[n]);
    }
}

static void test_duplicate_ignored(void **state)
{
    struct fixture *f = *state;
    enum mira_tcpip_drop why = MIRA_DROP_NONE;
    assert_int_equal(feed(f, 1, 0, 16, true, 0, &why), 0);
    size_t held = f->r.bytes;
    assert_int_equal(feed(f, 1, 0, 16, true, 0, &why), MIRA_ECORRUPT);
    assert_int_equal(why, MIRA_DROP_REASS_DUPLICATE);
    assert_int_equal(f->r.bytes, held); /* nothing more held */
    assert_int_equal(feed(f, 1, 16, 5, false, 0, NULL), 21);
    check_take(f, 21);
}

static void test_overlap_drops_datagram(void **state)
{
    struct fixture *f = *state;
    enum mira_tcpip_drop why = MIRA_DROP_NONE;
    /* same range, different bytes */
    assert_int_equal(feed(f, 1, 0, 16, true, 0, NULL), 0);
    struct mira_ipv4_hdr h = frag(1, 0, 16, true);
    uint8_t other[16];
    memcpy(other, pattern, 16);
    other[15] ^= 1;
    assert_int_equal(mira_ipv4_reass_input(&f->r, &h, other, 0, &why), MIRA_ECORRUPT);
    assert_int_equal(why, MIRA_DROP_REASS_OVERLAP);
    assert_int_equal(f->r.count, 0);
    assert_int_equal(f->c.live_bytes, 0);
    /* partial overlaps with identical bytes, on either side and inside */
    const size_t cases[][2] = {{0, 16}, {0, 24}, {16, 16}, {0, 32}, {8, 8}, {16, 8}, {16, 3}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(feed(f, 2, 8, 16, true, 0, NULL), 0); /* [8, 24) */
        why = MIRA_DROP_NONE;
        bool last = cases[i][1] % 8 != 0; /* [16, 19) as a last fragment */
        assert_int_equal(feed(f, 2, cases[i][0], cases[i][1], !last, 0, &why), MIRA_ECORRUPT);
        assert_int_equal(why, last ? MIRA_DROP_REASS_INCONSISTENT : MIRA_DROP_REASS_OVERLAP);
        assert_int_equal(f->r.count, 0);
        assert_int_equal(f->c.live_bytes, 0);
    }
    /* adjacent is not overlapping */
    assert_int_equal(feed(f, 3, 8, 8, true, 0, NULL), 0);
    assert_int_equal(feed(f, 3, 0, 8, true, 0, NULL), 0);
    assert_int_equal(feed(f, 3, 16, 3, false, 0, NULL), 19);
    check_take(f, 19);
}

static void test_inconsistent_end(void **state)
{
    struct fixture *f = *state;
    enum mira_tcpip_drop why;
    assert_int_equal(feed(f, 1, 16, 4, false, 0, NULL), 0); /* end 20 */
    assert_int_equal(feed(f, 1, 24, 4, false, 0, &why), MIRA_ECORRUPT); /* end 28 */
    assert_int_equal(why, MIRA_DROP_REASS_INCONSISTENT);
    assert_int_equal(f->r.count, 0);
    /* data past a known end */
    assert_int_equal(feed(f, 2, 16, 4, false, 0, NULL), 0);
    assert_int_equal(feed(f, 2, 24, 8, true, 0, &why), MIRA_ECORRUPT);
    assert_int_equal(why, MIRA_DROP_REASS_INCONSISTENT);
    /* an end before data already held */
    assert_int_equal(feed(f, 3, 32, 8, true, 0, NULL), 0);
    assert_int_equal(feed(f, 3, 8, 4, false, 0, &why), MIRA_ECORRUPT);
    assert_int_equal(why, MIRA_DROP_REASS_INCONSISTENT);
    assert_int_equal(f->c.live_bytes, 0);
}

static void test_fragment_rules(void **state)
{
    struct fixture *f = *state;
    enum mira_tcpip_drop why;
    assert_int_equal(feed(f, 1, 0, 8, true, 0, NULL), 0);
    size_t held = f->r.bytes;
    assert_int_equal(feed(f, 1, 8, 12, true, 0, &why), MIRA_ECORRUPT);
    assert_int_equal(why, MIRA_DROP_REASS_FRAG_ALIGN);
    assert_int_equal(feed(f, 1, 8, 0, false, 0, &why), MIRA_ECORRUPT);
    assert_int_equal(why, MIRA_DROP_REASS_EMPTY);
    /* only the fragment went: the datagram is whole */
    assert_int_equal(f->r.bytes, held);
    assert_int_equal(feed(f, 1, 8, 12, false, 0, NULL), 20);
    check_take(f, 20);
}

static void test_keys_apart(void **state)
{
    struct fixture *f = *state;
    struct mira_ipv4_hdr h = frag(9, 0, 8, true);
    assert_int_equal(mira_ipv4_reass_input(&f->r, &h, pattern, 0, NULL), 0);
    h = frag(9, 8, 8, false);
    h.proto = 6; /* same id, another protocol: another datagram */
    assert_int_equal(mira_ipv4_reass_input(&f->r, &h, pattern + 8, 0, NULL), 0);
    h.proto = 17;
    h.src++;
    assert_int_equal(mira_ipv4_reass_input(&f->r, &h, pattern + 8, 0, NULL), 0);
    h.src--;
    h.dst++;
    assert_int_equal(mira_ipv4_reass_input(&f->r, &h, pattern + 8, 0, NULL), 0);
    assert_int_equal(f->r.count, 4);
    h.dst--;
    assert_int_equal(mira_ipv4_reass_input(&f->r, &h, pattern + 8, 0, NULL), 16);
    check_take(f, 16);
}

static void test_max_datagrams_evicts_oldest(void **state)
{
    struct fixture *f = *state; /* 4 datagrams at most */
    for (uint16_t id = 0; id < 4; id++)
        assert_int_equal(feed(f, id, 0, 8, true, id, NULL), 0);
    assert_int_equal(feed(f, 4, 0, 8, true, 4, NULL), 0); /* evicts id 0 */
    assert_int_equal(f->r.count, 4);
    assert_int_equal(f->r.stats.evicted, 1);
    /* id 0's rest starts a new datagram (and evicts id 1); id 1 is gone */
    assert_int_equal(feed(f, 0, 8, 1, false, 5, NULL), 0);
    assert_int_equal(feed(f, 2, 8, 1, false, 6, NULL), 9);
    check_take(f, 9);
    assert_int_equal(f->r.stats.evicted, 2);
}

static void test_max_bytes(void **state)
{
    (void)state;
    /* room for 2 fragments of 1000 bytes with their bookkeeping, not 3 */
    struct fixture *f = setup_with(16, 65515, 3000, 1000 * MS);
    enum mira_tcpip_drop why;
    assert_int_equal(feed(f, 1, 0, 1000, true, 0, NULL), 0);
    assert_int_equal(feed(f, 2, 0, 1000, true, 1, NULL), 0);
    assert_int_equal(feed(f, 3, 0, 1000, true, 2, NULL), 0); /* evicts 1 */
    assert_int_equal(f->r.stats.evicted, 1);
    assert_int_equal(f->r.count, 2);
    /* a datagram that alone passes the limit is dropped, evicting others
     * only as long as that could help */
    assert_int_equal(feed(f, 3, 1000, 1000, true, 3, NULL), 0); /* evicts 2 */
    assert_int_equal(feed(f, 3, 2000, 1000, true, 4, &why), MIRA_ENOMEM);
    assert_int_equal(why, MIRA_DROP_REASS_TOO_BIG);
    assert_int_equal(f->r.count, 0);
    assert_true(f->c.peak <= 3000);
    /* one fragment bigger than everything */
    assert_int_equal(feed(f, 4, 0, 4000, true, 5, &why), MIRA_ENOMEM);
    assert_int_equal(why, MIRA_DROP_REASS_TOO_BIG);
    assert_int_equal(f->c.live_bytes, 0);
    teardown((void **)&f);
}

static void test_max_len(void **state)
{
    (void)state;
    struct fixture *f = setup_with(4, 1024, 65536, 1000 * MS);
    enum mira_tcpip_drop why;
    assert_int_equal(feed(f, 1, 0, 1016, true, 0, NULL), 0);
    assert_int_equal(feed(f, 1, 1016, 8, false, 0, NULL), 1024);
    check_take(f, 1024);
    assert_int_equal(feed(f, 2, 0, 1016, true, 0, NULL), 0);
    assert_int_equal(feed(f, 2, 1016, 9, false, 0, &why), MIRA_ENOMEM);
    assert_int_equal(why, MIRA_DROP_REASS_TOO_BIG);
    assert_int_equal(f->r.count, 0); /* the datagram went with it */
    teardown((void **)&f);
    /* 65535 in all: offset 65512 + 3 bytes + 20 */
    f = setup_with(4, 65515, 1 << 20, 1000 * MS);
    struct mira_ipv4_hdr h = frag(3, 65512, 3, false);
    assert_int_equal(mira_ipv4_reass_input(&f->r, &h, pattern, 0, NULL), 0);
    h = frag(3, 65512, 4, false);
    h.id = 4;
    assert_int_equal(mira_ipv4_reass_input(&f->r, &h, pattern, 0, &why), MIRA_ENOMEM);
    assert_int_equal(why, MIRA_DROP_REASS_TOO_BIG);
    teardown((void **)&f);
}

static void test_timeout(void **state)
{
    struct fixture *f = *state; /* 1000 ms */
    assert_int_equal(feed(f, 1, 0, 8, true, 100 * MS, NULL), 0);
    assert_int_equal(feed(f, 2, 0, 8, true, 600 * MS, NULL), 0);
    assert_int_equal(mira_ipv4_reass_expire(&f->r, 1099 * MS), 0);
    assert_int_equal(mira_ipv4_reass_expire(&f->r, 1100 * MS), 1);
    assert_int_equal(f->r.stats.timed_out, 1);
    /* a clock gone backwards expires nothing */
    assert_int_equal(mira_ipv4_reass_expire(&f->r, 0), 0);
    /* id 1 timed out: its last fragment alone does not complete it */
    assert_int_equal(feed(f, 1, 8, 2, false, 1200 * MS, NULL), 0);
    /* input expires first: id 2 (600 ms) is gone at 1600 ms */
    assert_int_equal(feed(f, 2, 8, 2, false, 1600 * MS, NULL), 0);
    assert_int_equal(f->r.stats.timed_out, 2);
    assert_int_equal(feed(f, 2, 0, 8, true, 1601 * MS, NULL), 10);
    check_take(f, 10);
}

static void test_allocator_failure(void **state)
{
    struct fixture *f = *state;
    enum mira_tcpip_drop why;
    f->c.fail_after = 0; /* the datagram's own struct */
    assert_int_equal(feed(f, 1, 0, 8, true, 0, &why), MIRA_ENOMEM);
    assert_int_equal(why, MIRA_DROP_REASS_NOMEM);
    f->c.fail_after = 1; /* its first fragment */
    assert_int_equal(feed(f, 1, 0, 8, true, 0, &why), MIRA_ENOMEM);
    assert_int_equal(why, MIRA_DROP_REASS_NOMEM);
    assert_int_equal(f->r.count, 0);
    f->c.fail_after = -1;
    assert_int_equal(feed(f, 1, 0, 8, true, 0, NULL), 0);
    f->c.fail_after = 0; /* a later fragment: the datagram goes */
    assert_int_equal(feed(f, 1, 8, 8, true, 0, &why), MIRA_ENOMEM);
    assert_int_equal(why, MIRA_DROP_REASS_NOMEM);
    assert_int_equal(f->c.live_bytes, 0);
    f->c.fail_after = -1;
}

static void test_take(void **state)
{
    struct fixture *f = *state;
    struct mira_ipv4_hdr h;
    uint8_t out[64];
    assert_int_equal(mira_ipv4_reass_take(&f->r, &h, out, sizeof(out)), MIRA_ENOENT);
    /* the header is the first fragment's, even when it comes last */
    struct mira_ipv4_hdr last = frag(5, 8, 4, false);
    last.ttl = 3;
    assert_int_equal(mira_ipv4_reass_input(&f->r, &last, pattern + 8, 0, NULL), 0);
    struct mira_ipv4_hdr first = frag(5, 0, 8, true);
    first.ttl = 9;
    first.tos = 0x10;
    assert_int_equal(mira_ipv4_reass_input(&f->r, &first, pattern, 0, NULL), 12);
    assert_int_equal(mira_ipv4_reass_take(&f->r, &h, out, 11), MIRA_ENOMEM); /* kept */
    assert_int_equal(mira_ipv4_reass_take(&f->r, &h, out, 12), 12);
    assert_int_equal(h.ttl, 9);
    assert_int_equal(h.tos, 0x10);
    assert_int_equal(h.hdr_len, 20);
    assert_null(h.options);
    assert_memory_equal(out, pattern, 12);
    assert_int_equal(mira_ipv4_reass_take(&f->r, &h, out, sizeof(out)), MIRA_ENOENT);
    /* not taken: released by the next input */
    assert_int_equal(feed(f, 6, 0, 3, false, 0, NULL), 3);
    assert_int_equal(feed(f, 7, 0, 8, true, 0, NULL), 0);
    assert_int_equal(f->r.stats.not_taken, 1);
    assert_int_equal(mira_ipv4_reass_take(&f->r, &h, out, sizeof(out)), MIRA_ENOENT);
}

static void test_init_refuses(void **state)
{
    (void)state;
    struct mira_ipv4_reass r;
    struct counting c = {.fail_after = -1};
    struct mira_ipv4_reass_allocator a = {c_alloc, c_free, &c};
    struct mira_ipv4_reass_limits lim = {0, 65515, 1000, 1};
    assert_int_equal(mira_ipv4_reass_init(&r, &lim, &a), MIRA_EINVAL);
    lim.max_datagrams = 1;
    lim.max_len = 65516;
    assert_int_equal(mira_ipv4_reass_init(&r, &lim, &a), MIRA_EINVAL);
    lim.max_len = 7;
    assert_int_equal(mira_ipv4_reass_init(&r, &lim, &a), MIRA_EINVAL);
    lim.max_len = 8;
    a.free = NULL;
    assert_int_equal(mira_ipv4_reass_init(&r, &lim, &a), MIRA_EINVAL);
}

int main(void)
{
    for (size_t i = 0; i < sizeof(pattern); i++)
        pattern[i] = (uint8_t)(i * 7 + (i >> 8));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_linux_fragments_every_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_orders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overlap_drops_datagram, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inconsistent_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fragment_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keys_apart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_datagrams_evicts_oldest, setup, teardown),
        cmocka_unit_test(test_max_bytes),
        cmocka_unit_test(test_max_len),
        cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allocator_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_take, setup, teardown),
        cmocka_unit_test(test_init_refuses),
    };
    return cmocka_run_group_tests_name("tcpip-ipv4-reass", tests, NULL, NULL);
}
