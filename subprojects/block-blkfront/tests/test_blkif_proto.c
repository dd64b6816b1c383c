/* Unit tests of blkfront's ring protocol (mira/blkif_proto.h): request
 * building (slot contents field by field), ids, response checks,
 * aggregation and drain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <mira/error.h>
#include <mira/blkif_proto.h>

#define RING 32
#define PG MIRA_BLKIF_PAGE_SIZE

/* --- a fake grant table: references 1000, 1001, ... in call order --- */
#define MAX_GRANTS 4096
static struct {
    unsigned n;              /* grants made */
    uintptr_t page[MAX_GRANTS];
    bool writes[MAX_GRANTS];
    unsigned fail_at;        /* the grant (1-based) that fails; 0 = none */
    unsigned released;
    uint32_t release[MAX_GRANTS];
} gt;
/* Indirect pages: 2 per id are enough for 1024 segments. */
static _Alignas(4096) uint8_t ipages[RING][2][PG];

static int fake_grant(void *ctx, uintptr_t page, bool backend_writes,
                      uint32_t *gref)
{
    (void)ctx;
    if (page % PG != 0)
        fail_msg("grant of an unaligned page %#lx", (unsigned long)page);
    if (gt.fail_at != 0 && gt.n + 1 == gt.fail_at)
        return MIRA_ENOMEM;
    gt.page[gt.n] = page;
    gt.writes[gt.n] = backend_writes;
    *gref = 1000 + gt.n++;
    return 0;
}

static void fake_release(void *ctx, uint32_t gref)
{
    (void)ctx;
    gt.release[gt.released++] = gref;
}

static void *fake_indirect_page(void *ctx, uint16_t id, unsigned n)
{
    (void)ctx;
    assert_true(id < RING && n < 2);
    return ipages[id][n];
}

static const struct mira_blkif_grant_ops ops = {
    fake_grant, fake_release, fake_indirect_page, NULL,
};

/* --- the table under test, sized for the device --- */
static struct mira_blkif_slot slots[RING];
static uint32_t *grefs;
static struct mira_blkif_table t;
static union blkif_sring_entry ring[RING];
static struct mira_blkif_device dev;

/* A 1 GiB disk of 512-byte sectors with flush and discard, indirect
 * segments as given (0: none). */
static void setup_dev(unsigned sector_size, unsigned indirect_segs)
{
    memset(&gt, 0, sizeof(gt));
    memset(ring, 0xa5, sizeof(ring)); /* so zeroing is checked */
    dev = (struct mira_blkif_device){
        .sectors = (1ull << 30) / sector_size, .sector_size = sector_size,
        .physical_sector_size = sector_size, .flush = true,
        .flush_op = BLKIF_OP_FLUSH_DISKCACHE, .discard = true,
        .discard_granularity = sector_size, .indirect_segs = indirect_segs,
    };
    free(grefs);
    unsigned per = mira_blkif_grefs_per_id(&dev);
    grefs = calloc((size_t)RING * per, sizeof(*grefs));
    assert_int_equal(mira_blkif_table_init(&t, RING, slots, grefs, per), 0);
}

static int teardown(void **state)
{
    (void)state;
    free(grefs);
    grefs = NULL;
    return 0;
}

static long build(enum mira_blkif_op op, uint64_t sector, uint64_t count,
                  uintptr_t addr, size_t len, void *cookie)
{
    struct mira_blkif_buf b = {addr, len};
    struct mira_blkif_request r = {
        .op = op, .sector = sector, .count = count,
        .bufs = len ? &b : NULL, .nr_bufs = len ? 1 : 0, .cookie = cookie,
    };
    return mira_blkif_build(&t, &dev, 0x33, &r, &ops, ring, RING);
}

static struct blkif_request slot_rw(unsigned i)
{
    struct blkif_request r;
    memcpy(&r, &ring[i], sizeof(r));
    return r;
}

static struct blkif_request_indirect slot_indirect(unsigned i)
{
    struct blkif_request_indirect r;
    memcpy(&r, &ring[i], sizeof(r));
    return r;
}

/* The bytes of ring slot i after a request of size bytes are all zero. */
static void assert_rest_zero(unsigned i, size_t size)
{
    const uint8_t *p = (const uint8_t *)&ring[i];
    for (size_t k = size; k < sizeof(ring[i]); k++)
        if (p[k] != 0)
            fail_msg("slot %u byte %zu is %#x", i, k, p[k]);
}

static void assert_seg(struct blkif_request_segment s, uint32_t gref,
                       unsigned first, unsigned last)
{
    assert_int_equal(s.gref, gref);
    assert_int_equal(s.first_sect, first);
    assert_int_equal(s.last_sect, last);
}

/* --- request building --- */

static void test_one_sector(void **state)
{
    (void)state;
    setup_dev(512, 256);
    assert_int_equal(build(MIRA_BLKIF_READ, 5, 1, 0x10000, 512, NULL), 1);
    struct blkif_request r = slot_rw(0);
    assert_int_equal(r.operation, BLKIF_OP_READ);
    assert_int_equal(r.nr_segments, 1);
    assert_int_equal(r.handle, 0x33);
    assert_true(r.id == 0);
    assert_true(r.sector_number == 5);
    assert_seg(r.seg[0], 1000, 0, 0);
    assert_rest_zero(0, offsetof(struct blkif_request, seg[1]));
    assert_int_equal(gt.n, 1);
    assert_int_equal(gt.page[0], 0x10000);
    assert_true(gt.writes[0]); /* a read: the backend writes our page */
    assert_int_equal(t.in_flight, 1);
    assert_int_equal(t.nr_free, RING - 1);
}

static void test_eight_sectors_one_page(void **state)
{
    (void)state;
    setup_dev(512, 256);
    assert_int_equal(build(MIRA_BLKIF_WRITE, 100, 8, 0x20000, PG, NULL), 1);
    struct blkif_request r = slot_rw(0);
    assert_int_equal(r.operation, BLKIF_OP_WRITE);
    assert_int_equal(r.nr_segments, 1);
    assert_true(r.sector_number == 100);
    assert_seg(r.seg[0], 1000, 0, 7);
    assert_rest_zero(0, offsetof(struct blkif_request, seg[1]));
    assert_false(gt.writes[0]); /* a write: the backend only reads */
}

static void test_mid_page(void **state)
{
    (void)state;
    setup_dev(512, 256);
    /* 4 sectors from sector 3 of a page: one segment 3..6 */
    assert_int_equal(build(MIRA_BLKIF_READ, 0, 4, 0x30600, 2048, NULL), 1);
    assert_seg(slot_rw(0).seg[0], 1000, 3, 6);
    assert_int_equal(gt.page[0], 0x30000);
    /* 4 sectors from sector 6: crosses into the next page */
    assert_int_equal(build(MIRA_BLKIF_READ, 9, 4, 0x30c00, 2048, NULL), 1);
    struct blkif_request r = slot_rw(0);
    assert_int_equal(r.nr_segments, 2);
    assert_true(r.sector_number == 9);
    assert_true(r.id == 1);
    assert_seg(r.seg[0], 1001, 6, 7);
    assert_seg(r.seg[1], 1002, 0, 1);
    assert_int_equal(gt.page[1], 0x30000);
    assert_int_equal(gt.page[2], 0x31000);
}

static void test_several_buffers(void **state)
{
    (void)state;
    setup_dev(512, 256);
    /* 3 + 8 + 1 sectors from three places, in order */
    struct mira_blkif_buf b[] = {{0x40a00, 1536}, {0x0, 0}, {0x50000, PG}, {0x60e00, 512}};
    struct mira_blkif_request r = {
        .op = MIRA_BLKIF_WRITE, .sector = 1, .count = 12, .bufs = b, .nr_bufs = 4,
    };
    assert_int_equal(mira_blkif_parts(&dev, &r), 1);
    assert_int_equal(mira_blkif_build(&t, &dev, 0x33, &r, &ops, ring, RING), 1);
    struct blkif_request s = slot_rw(0);
    assert_int_equal(s.nr_segments, 3);
    assert_seg(s.seg[0], 1000, 5, 7);
    assert_seg(s.seg[1], 1001, 0, 7);
    assert_seg(s.seg[2], 1002, 7, 7);
    assert_int_equal(gt.page[2], 0x60000);
}

static void test_eleven_pages_direct(void **state)
{
    (void)state;
    setup_dev(512, 256);
    assert_int_equal(build(MIRA_BLKIF_WRITE, 64, 88, 0x100000, 11 * PG, NULL), 1);
    struct blkif_request r = slot_rw(0);
    assert_int_equal(r.operation, BLKIF_OP_WRITE);
    assert_int_equal(r.nr_segments, 11);
    assert_true(r.sector_number == 64);
    for (unsigned i = 0; i < 11; i++) {
        assert_seg(r.seg[i], 1000 + i, 0, 7);
        assert_int_equal(gt.page[i], 0x100000 + i * PG);
    }
}

static void test_twelve_pages_indirect(void **state)
{
    (void)state;
    setup_dev(512, 256);
    memset(ipages, 0xa5, sizeof(ipages));
    assert_int_equal(build(MIRA_BLKIF_READ, 8, 96, 0x100000, 12 * PG, NULL), 1);
    struct blkif_request_indirect r = slot_indirect(0);
    assert_int_equal(r.operation, BLKIF_OP_INDIRECT);
    assert_int_equal(r.indirect_op, BLKIF_OP_READ);
    assert_int_equal(r.nr_segments, 12);
    assert_true(r.id == 0);
    assert_true(r.sector_number == 8);
    assert_int_equal(r.handle, 0x33);
    /* the data pages first, then the indirect page, granted read-only */
    assert_int_equal(gt.n, 13);
    assert_int_equal(r.indirect_grefs[0], 1012);
    for (unsigned k = 1; k < BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST; k++)
        assert_int_equal(r.indirect_grefs[k], 0);
    assert_int_equal(gt.page[12], (uintptr_t)ipages[0][0]);
    assert_false(gt.writes[12]);
    assert_true(gt.writes[11]);
    assert_rest_zero(0, sizeof(r));
    struct blkif_request_segment seg[12];
    memcpy(seg, ipages[0][0], sizeof(seg));
    for (unsigned i = 0; i < 12; i++)
        assert_seg(seg[i], 1000 + i, 0, 7);
}

static void test_twelve_pages_without_indirect(void **state)
{
    (void)state;
    setup_dev(512, 0);
    assert_int_equal(build(MIRA_BLKIF_READ, 8, 96, 0x100000, 12 * PG, NULL), 2);
    struct blkif_request a = slot_rw(0), b = slot_rw(1);
    assert_int_equal(a.operation, BLKIF_OP_READ);
    assert_int_equal(a.nr_segments, 11);
    assert_true(a.sector_number == 8);
    assert_true(a.id == 0);
    assert_int_equal(b.operation, BLKIF_OP_READ);
    assert_int_equal(b.nr_segments, 1);
    assert_true(b.sector_number == 8 + 88);
    assert_true(b.id == 1);
    assert_seg(b.seg[0], 1011, 0, 7);
    assert_rest_zero(1, offsetof(struct blkif_request, seg[1]));
}

static void test_indirect_split_across_pages(void **state)
{
    (void)state;
    setup_dev(512, 1024);
    assert_int_equal(mira_blkif_indirect_pages(&dev), 2);
    memset(ipages, 0xa5, sizeof(ipages));
    /* 1100 pages: 1024 segments (2 indirect pages), then 76 (1 page) */
    long n = build(MIRA_BLKIF_WRITE, 0, 1100 * 8, 0x1000000, 1100 * PG, NULL);
    assert_int_equal(n, 2);
    struct blkif_request_indirect a = slot_indirect(0), b = slot_indirect(1);
    assert_int_equal(a.nr_segments, 1024);
    assert_int_equal(a.indirect_op, BLKIF_OP_WRITE);
    assert_true(a.sector_number == 0);
    assert_int_equal(a.indirect_grefs[0], 1000 + 1024);
    assert_int_equal(a.indirect_grefs[1], 1000 + 1025);
    assert_int_equal(a.indirect_grefs[2], 0);
    assert_int_equal(b.nr_segments, 76);
    assert_true(b.sector_number == 1024 * 8);
    assert_int_equal(b.indirect_grefs[0], 1000 + 1026 + 76);
    assert_int_equal(b.indirect_grefs[1], 0);
    struct blkif_request_segment s;
    memcpy(&s, ipages[a.id][0] + 511 * sizeof(s), sizeof(s));
    assert_seg(s, 1000 + 511, 0, 7);
    memcpy(&s, ipages[a.id][1], sizeof(s));
    assert_seg(s, 1000 + 512, 0, 7);
    memcpy(&s, ipages[a.id][1] + 511 * sizeof(s), sizeof(s));
    assert_seg(s, 1000 + 1023, 0, 7);
    memcpy(&s, ipages[b.id][0] + 75 * sizeof(s), sizeof(s));
    assert_seg(s, 1026 + 1000 + 75, 0, 7);
    assert_int_equal(gt.page[1024], (uintptr_t)ipages[a.id][0]);
    assert_int_equal(gt.page[1025], (uintptr_t)ipages[a.id][1]);
}

static void test_4096_byte_sectors(void **state)
{
    (void)state;
    setup_dev(4096, 0);
    /* sector 3 of the disk is 512-byte sector 24 on the ring */
    assert_int_equal(build(MIRA_BLKIF_READ, 3, 2, 0x200000, 2 * PG, NULL), 1);
    struct blkif_request r = slot_rw(0);
    assert_true(r.sector_number == 24);
    assert_int_equal(r.nr_segments, 2);
    assert_seg(r.seg[0], 1000, 0, 7);
    assert_seg(r.seg[1], 1001, 0, 7);
    /* a buffer must hold whole 4096-byte sectors: page-aligned */
    assert_int_equal(build(MIRA_BLKIF_READ, 3, 1, 0x200200, PG, NULL), MIRA_EINVAL);
    /* the last sector, and one past it */
    assert_int_equal(build(MIRA_BLKIF_READ, dev.sectors - 1, 1, 0x200000, PG, NULL), 1);
    assert_true(slot_rw(0).sector_number == (dev.sectors - 1) * 8);
    assert_int_equal(build(MIRA_BLKIF_READ, dev.sectors, 1, 0x200000, PG, NULL), MIRA_ERANGE);
    /* discard in 512-byte units too */
    assert_int_equal(build(MIRA_BLKIF_DISCARD, 2, 3, 0, 0, NULL), 1);
    struct blkif_request_discard d;
    memcpy(&d, &ring[0], sizeof(d));
    assert_true(d.sector_number == 16);
    assert_true(d.nr_sectors == 24);
}

static void test_flush_and_discard(void **state)
{
    (void)state;
    setup_dev(512, 256);
    assert_int_equal(build(MIRA_BLKIF_FLUSH, 0, 0, 0, 0, NULL), 1);
    struct blkif_request f = slot_rw(0);
    assert_int_equal(f.operation, BLKIF_OP_FLUSH_DISKCACHE);
    assert_int_equal(f.nr_segments, 0);
    assert_int_equal(f.handle, 0x33);
    assert_true(f.id == 0);
    assert_true(f.sector_number == 0);
    assert_rest_zero(0, offsetof(struct blkif_request, seg[0]));
    assert_int_equal(gt.n, 0);
    dev.flush_op = BLKIF_OP_WRITE_BARRIER;
    assert_int_equal(build(MIRA_BLKIF_FLUSH, 0, 0, 0, 0, NULL), 1);
    assert_int_equal(slot_rw(0).operation, BLKIF_OP_WRITE_BARRIER);

    struct mira_blkif_request r = {
        .op = MIRA_BLKIF_DISCARD, .sector = 1000, .count = 2048, .secure = true,
    };
    dev.discard_secure = true;
    assert_int_equal(mira_blkif_build(&t, &dev, 7, &r, &ops, ring, RING), 1);
    struct blkif_request_discard d;
    memcpy(&d, &ring[0], sizeof(d));
    assert_int_equal(d.operation, BLKIF_OP_DISCARD);
    assert_int_equal(d.flag, BLKIF_DISCARD_SECURE);
    assert_int_equal(d.handle, 7);
    assert_true(d.id == 2);
    assert_true(d.sector_number == 1000);
    assert_true(d.nr_sectors == 2048);
    assert_rest_zero(0, sizeof(d));
    r.secure = false;
    assert_int_equal(mira_blkif_build(&t, &dev, 7, &r, &ops, ring, RING), 1);
    memcpy(&d, &ring[0], sizeof(d));
    assert_int_equal(d.flag, 0);

    /* not negotiated: refused before anything is taken */
    unsigned free_before = t.nr_free;
    dev.discard_secure = false;
    r.secure = true;
    assert_int_equal(mira_blkif_build(&t, &dev, 7, &r, &ops, ring, RING), MIRA_ENOTSUP);
    dev.discard = false;
    r.secure = false;
    assert_int_equal(mira_blkif_build(&t, &dev, 7, &r, &ops, ring, RING), MIRA_ENOTSUP);
    dev.flush = false;
    assert_int_equal(build(MIRA_BLKIF_FLUSH, 0, 0, 0, 0, NULL), MIRA_ENOTSUP);
    assert_int_equal(t.nr_free, free_before);
}

static void test_malformed_requests(void **state)
{
    (void)state;
    setup_dev(512, 256);
    assert_int_equal(build(MIRA_BLKIF_READ, 0, 0, 0x1000, 0, NULL), MIRA_EINVAL);
    assert_int_equal(build(MIRA_BLKIF_READ, 0, 2, 0x1000, 512, NULL), MIRA_EINVAL);
    assert_int_equal(build(MIRA_BLKIF_READ, 0, 1, 0x1000, 1024, NULL), MIRA_EINVAL);
    assert_int_equal(build(MIRA_BLKIF_READ, 0, 1, 0x1100, 512, NULL), MIRA_EINVAL);
    assert_int_equal(build(MIRA_BLKIF_READ, 0, 1, 0x1000, 511, NULL), MIRA_EINVAL);
    assert_int_equal(build(MIRA_BLKIF_WRITE, dev.sectors, 1, 0x1000, 512, NULL), MIRA_ERANGE);
    assert_int_equal(build(MIRA_BLKIF_WRITE, dev.sectors - 1, 2, 0x1000, 1024, NULL), MIRA_ERANGE);
    assert_int_equal(build(MIRA_BLKIF_WRITE, UINT64_MAX, 1, 0x1000, 512, NULL), MIRA_ERANGE);
    assert_int_equal(build(MIRA_BLKIF_DISCARD, UINT64_MAX - 1, 4, 0, 0, NULL), MIRA_ERANGE);
    assert_int_equal(build(MIRA_BLKIF_DISCARD, 0, 0, 0, 0, NULL), MIRA_EINVAL);
    assert_int_equal(build(MIRA_BLKIF_FLUSH, 0, 1, 0, 0, NULL), MIRA_EINVAL);
    assert_int_equal(build((enum mira_blkif_op)9, 0, 1, 0x1000, 512, NULL), MIRA_EINVAL);
    /* a buffer that wraps around the address space */
    assert_int_equal(build(MIRA_BLKIF_READ, 0, 2, UINTPTR_MAX - 511, 1024, NULL), MIRA_EINVAL);
    assert_int_equal(t.nr_free, RING);
    assert_int_equal(gt.n, 0);
}

/* --- ids --- */

static void test_id_exhaustion(void **state)
{
    (void)state;
    setup_dev(512, 0);
    bool seen[RING] = {0};
    for (unsigned i = 0; i < RING; i++) {
        assert_int_equal(build(MIRA_BLKIF_READ, i, 1, 0x1000, 512, NULL), 1);
        uint64_t id = slot_rw(0).id;
        assert_true(id < RING);
        assert_false(seen[id]);
        seen[id] = true;
    }
    assert_int_equal(t.nr_free, 0);
    assert_int_equal(build(MIRA_BLKIF_READ, 0, 1, 0x1000, 512, NULL), MIRA_EAGAIN);
    /* one answered: its id comes back */
    struct blkif_response rsp = {.id = 17, .operation = BLKIF_OP_READ};
    struct mira_blkif_completion c;
    const char *why;
    assert_int_equal(mira_blkif_complete(&t, &rsp, &c, &why), 0);
    assert_int_equal(build(MIRA_BLKIF_READ, 0, 1, 0x1000, 512, NULL), 1);
    assert_true(slot_rw(0).id == 17);
    assert_int_equal(build(MIRA_BLKIF_READ, 0, 1, 0x1000, 512, NULL), MIRA_EAGAIN);
}

static void test_parts_limits(void **state)
{
    (void)state;
    setup_dev(512, 0);
    /* 2 parts with 1 id free: later; with 1 slot given: later */
    for (unsigned i = 0; i < RING - 1; i++)
        assert_int_equal(build(MIRA_BLKIF_READ, i, 1, 0x1000, 512, NULL), 1);
    unsigned grants = gt.n;
    assert_int_equal(build(MIRA_BLKIF_READ, 0, 96, 0x1000, 12 * PG, NULL), MIRA_EAGAIN);
    assert_int_equal(gt.n, grants);
    setup_dev(512, 0);
    struct mira_blkif_buf b = {0x1000, 12 * PG};
    struct mira_blkif_request r = {.op = MIRA_BLKIF_READ, .count = 96, .bufs = &b, .nr_bufs = 1};
    assert_int_equal(mira_blkif_build(&t, &dev, 0, &r, &ops, ring, 1), MIRA_EAGAIN);
    assert_int_equal(mira_blkif_build(&t, &dev, 0, &r, &ops, ring, 2), 2);
    /* more parts than the ring has slots: never, the caller splits */
    setup_dev(512, 0);
    b.len = (size_t)(RING * 11 + 1) * PG;
    r.count = b.len / 512;
    assert_int_equal(mira_blkif_parts(&dev, &r), RING + 1);
    assert_int_equal(mira_blkif_build(&t, &dev, 0, &r, &ops, ring, RING), MIRA_EINVAL);
    b.len = (size_t)RING * 11 * PG;
    r.count = b.len / 512;
    assert_int_equal(mira_blkif_build(&t, &dev, 0, &r, &ops, ring, RING), RING);
    assert_int_equal(t.nr_free, 0);
}

static void test_grant_failure_loses_nothing(void **state)
{
    (void)state;
    setup_dev(512, 256);
    gt.fail_at = 5;
    assert_int_equal(build(MIRA_BLKIF_WRITE, 0, 88, 0x100000, 11 * PG, NULL), MIRA_ENOMEM);
    assert_int_equal(gt.released, 4);
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(gt.release[i], 1000 + i);
    assert_int_equal(t.nr_free, RING);
    assert_int_equal(t.in_flight, 0);
    /* an indirect page's grant failing: its 12 data grants go back too */
    memset(&gt, 0, sizeof(gt));
    gt.fail_at = 13;
    assert_int_equal(build(MIRA_BLKIF_WRITE, 0, 96, 0x100000, 12 * PG, NULL), MIRA_ENOMEM);
    assert_int_equal(gt.released, 12);
    assert_int_equal(t.nr_free, RING);
    /* and the table works on */
    gt.fail_at = 0;
    assert_int_equal(build(MIRA_BLKIF_WRITE, 0, 96, 0x100000, 12 * PG, NULL), 1);
}

static void test_table_init(void **state)
{
    (void)state;
    uint32_t g[11];
    struct mira_blkif_slot s[1];
    assert_int_equal(mira_blkif_table_init(&t, 0, s, g, 11), MIRA_EINVAL);
    assert_int_equal(mira_blkif_table_init(&t, 65535, s, g, 11), MIRA_EINVAL);
    assert_int_equal(mira_blkif_table_init(&t, 1, s, g, 10), MIRA_EINVAL);
    assert_int_equal(mira_blkif_table_init(&t, 1, s, g, 11), 0);
    dev = (struct mira_blkif_device){.indirect_segs = 256};
    assert_int_equal(mira_blkif_grefs_per_id(&dev), 257);
    dev.indirect_segs = 513;
    assert_int_equal(mira_blkif_indirect_pages(&dev), 2);
    assert_int_equal(mira_blkif_grefs_per_id(&dev), 515);
    dev.indirect_segs = 0;
    assert_int_equal(mira_blkif_grefs_per_id(&dev), 11);
    /* a table sized for direct requests cannot take an indirect one */
    setup_dev(512, 0);
    dev.indirect_segs = 256;
    assert_int_equal(build(MIRA_BLKIF_READ, 0, 96, 0x1000, 12 * PG, NULL), MIRA_EINVAL);
}

/* --- responses --- */

static int respond(uint64_t id, uint8_t op, int16_t status,
                   struct mira_blkif_completion *c, const char **why)
{
    struct blkif_response rsp = {.id = id, .operation = op, .status = status};
    *why = NULL;
    return mira_blkif_complete(&t, &rsp, c, why);
}

static void test_response_ok(void **state)
{
    (void)state;
    setup_dev(512, 256);
    int cookie;
    assert_int_equal(build(MIRA_BLKIF_READ, 0, 16, 0x1000, 2 * PG, &cookie), 1);
    struct mira_blkif_completion c;
    const char *why;
    assert_int_equal(respond(0, BLKIF_OP_READ, BLKIF_RSP_OKAY, &c, &why), 0);
    assert_int_equal(c.id, 0);
    assert_int_equal(c.nr_grefs, 2);
    assert_int_equal(c.grefs[0], 1000);
    assert_int_equal(c.grefs[1], 1001);
    assert_true(c.request_done);
    assert_ptr_equal(c.cookie, &cookie);
    assert_int_equal(c.status, 0);
    assert_int_equal(t.nr_free, RING);
    assert_int_equal(t.in_flight, 0);
    assert_int_equal(t.refused, 0);
}

/* Each refusal: an error, its reason, counted, and the table broken. */
static void refused(uint64_t id, uint8_t op, int16_t status, const char *reason)
{
    struct mira_blkif_completion c;
    const char *why;
    unsigned long before = t.refused;
    assert_int_equal(respond(id, op, status, &c, &why), MIRA_ECORRUPT);
    assert_string_equal(why, reason);
    assert_string_equal(t.last_why, reason);
    assert_int_equal(t.refused, before + 1);
    assert_true(t.broken);
    /* broken: no more responses, no more requests */
    assert_int_equal(respond(0, BLKIF_OP_READ, 0, &c, &why), MIRA_EIO);
    assert_int_equal(build(MIRA_BLKIF_READ, 0, 1, 0x1000, 512, NULL), MIRA_EIO);
    assert_int_equal(t.refused, before + 1);
}

static void test_response_refusals(void **state)
{
    (void)state;
    const char *why;
    struct mira_blkif_completion c;

    setup_dev(512, 256);
    assert_int_equal(build(MIRA_BLKIF_READ, 0, 1, 0x1000, 512, NULL), 1);
    refused(RING, BLKIF_OP_READ, BLKIF_RSP_OKAY, "response id out of range");
    setup_dev(512, 256);
    assert_int_equal(build(MIRA_BLKIF_READ, 0, 1, 0x1000, 512, NULL), 1);
    refused(UINT64_MAX, BLKIF_OP_READ, BLKIF_RSP_OKAY, "response id out of range");
    setup_dev(512, 256);
    assert_int_equal(build(MIRA_BLKIF_READ, 0, 1, 0x1000, 512, NULL), 1);
    refused(1, BLKIF_OP_READ, BLKIF_RSP_OKAY, "response for an id not in flight");
    /* an id answered twice: the second finds it free again */
    setup_dev(512, 256);
    assert_int_equal(build(MIRA_BLKIF_READ, 0, 1, 0x1000, 512, NULL), 1);
    assert_int_equal(respond(0, BLKIF_OP_READ, BLKIF_RSP_OKAY, &c, &why), 0);
    refused(0, BLKIF_OP_READ, BLKIF_RSP_OKAY, "response for an id not in flight");
    /* a part answered twice while its sibling is pending */
    setup_dev(512, 0);
    assert_int_equal(build(MIRA_BLKIF_READ, 0, 96, 0x1000, 12 * PG, NULL), 2);
    assert_int_equal(respond(0, BLKIF_OP_READ, BLKIF_RSP_OKAY, &c, &why), 0);
    assert_false(c.request_done);
    refused(0, BLKIF_OP_READ, BLKIF_RSP_OKAY, "response for a request already completed");
    setup_dev(512, 256);
    assert_int_equal(build(MIRA_BLKIF_READ, 0, 1, 0x1000, 512, NULL), 1);
    refused(0, BLKIF_OP_WRITE, BLKIF_RSP_OKAY, "response operation differs from the request's");
    setup_dev(512, 256);
    assert_int_equal(build(MIRA_BLKIF_FLUSH, 0, 0, 0, 0, NULL), 1);
    refused(0, BLKIF_OP_WRITE_BARRIER, BLKIF_RSP_OKAY, "response operation differs from the request's");
    static const int16_t bad_status[] = {1, -3, 5, INT16_MIN, INT16_MAX};
    for (size_t i = 0; i < sizeof(bad_status) / sizeof(bad_status[0]); i++) {
        setup_dev(512, 256);
        assert_int_equal(build(MIRA_BLKIF_READ, 0, 1, 0x1000, 512, NULL), 1);
        refused(0, BLKIF_OP_READ, bad_status[i], "unknown response status");
    }
}

static void test_indirect_response_operation(void **state)
{
    (void)state;
    struct mira_blkif_completion c;
    const char *why;
    setup_dev(512, 256);
    /* Linux blkback answers with the indirect_op; others may echo INDIRECT */
    assert_int_equal(build(MIRA_BLKIF_READ, 0, 96, 0x1000, 12 * PG, NULL), 1);
    assert_int_equal(respond(0, BLKIF_OP_READ, BLKIF_RSP_OKAY, &c, &why), 0);
    assert_int_equal(c.nr_grefs, 13); /* 12 pages and the indirect page */
    assert_int_equal(c.grefs[12], 1012);
    assert_int_equal(build(MIRA_BLKIF_WRITE, 0, 96, 0x1000, 12 * PG, NULL), 1);
    assert_int_equal(respond(0, BLKIF_OP_INDIRECT, BLKIF_RSP_OKAY, &c, &why), 0);
    assert_int_equal(build(MIRA_BLKIF_WRITE, 0, 96, 0x1000, 12 * PG, NULL), 1);
    refused(0, BLKIF_OP_READ, BLKIF_RSP_OKAY, "response operation differs from the request's");
}

static void test_rsp_prod(void **state)
{
    (void)state;
    const char *why = NULL;
    setup_dev(512, 256);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(build(MIRA_BLKIF_READ, i, 1, 0x1000, 512, NULL), 1);
    assert_int_equal(mira_blkif_check_rsp_prod(&t, 10, 10, 13, &why), 0);
    assert_int_equal(mira_blkif_check_rsp_prod(&t, 13, 10, 13, &why), 3);
    /* free-running indices across the 2^32 wrap */
    assert_int_equal(mira_blkif_check_rsp_prod(&t, 1, UINT32_MAX - 1, 1, &why), 3);
    assert_int_equal(t.refused, 0);
    /* one more than requested */
    assert_int_equal(mira_blkif_check_rsp_prod(&t, 14, 10, 13, &why), MIRA_ECORRUPT);
    assert_string_equal(why, "more responses than requests: a request count that does not add up");
    assert_true(t.broken);
    assert_int_equal(mira_blkif_check_rsp_prod(&t, 13, 10, 13, &why), MIRA_EIO);
    /* more than a ring ahead (also: behind the consumer) */
    setup_dev(512, 256);
    assert_int_equal(mira_blkif_check_rsp_prod(&t, 10 + RING + 1, 10, 10 + RING + 1, &why),
                     MIRA_ECORRUPT);
    assert_string_equal(why, "response producer more than a ring ahead");
    setup_dev(512, 256);
    assert_int_equal(mira_blkif_check_rsp_prod(&t, 9, 10, 10, &why), MIRA_ECORRUPT);
    /* more than in flight, even if req_prod says otherwise */
    setup_dev(512, 256);
    assert_int_equal(build(MIRA_BLKIF_READ, 0, 1, 0x1000, 512, NULL), 1);
    assert_int_equal(mira_blkif_check_rsp_prod(&t, 2, 0, 2, &why), MIRA_ECORRUPT);
    assert_int_equal(t.refused, 1);
}

/* --- a caller request in several parts --- */

static void test_aggregation(void **state)
{
    (void)state;
    static const struct {
        int16_t s[3];
        int status;
    } cases[] = {
        {{BLKIF_RSP_OKAY, BLKIF_RSP_OKAY, BLKIF_RSP_OKAY}, 0},
        {{BLKIF_RSP_OKAY, BLKIF_RSP_EOPNOTSUPP, BLKIF_RSP_OKAY}, MIRA_ENOTSUP},
        {{BLKIF_RSP_ERROR, BLKIF_RSP_OKAY, BLKIF_RSP_OKAY}, MIRA_EIO},
        {{BLKIF_RSP_OKAY, BLKIF_RSP_ERROR, BLKIF_RSP_EOPNOTSUPP}, MIRA_EIO},
        {{BLKIF_RSP_EOPNOTSUPP, BLKIF_RSP_ERROR, BLKIF_RSP_OKAY}, MIRA_EIO},
        {{BLKIF_RSP_OKAY, BLKIF_RSP_OKAY, BLKIF_RSP_ERROR}, MIRA_EIO},
        /* answered ERROR before EOPNOTSUPP: still the worse, EIO */
        {{BLKIF_RSP_ERROR, BLKIF_RSP_EOPNOTSUPP, BLKIF_RSP_OKAY}, MIRA_EIO},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        setup_dev(512, 0);
        int cookie;
        /* 30 pages: 11 + 11 + 8 segments; answered out of order */
        assert_int_equal(build(MIRA_BLKIF_WRITE, 0, 240, 0x1000, 30 * PG, &cookie), 3);
        static const unsigned order[3] = {2, 0, 1};
        static const unsigned nsegs[3] = {11, 11, 8};
        for (unsigned j = 0; j < 3; j++) {
            unsigned part = order[j];
            struct mira_blkif_completion c;
            const char *why;
            uint64_t id = slot_rw(part).id;
            assert_int_equal(respond(id, BLKIF_OP_WRITE, cases[k].s[part], &c, &why), 0);
            assert_int_equal(c.id, id);
            assert_int_equal(c.nr_grefs, nsegs[part]);
            assert_int_equal(c.grefs[0], 1000 + 11 * part);
            if (j < 2) {
                assert_false(c.request_done);
                assert_int_equal(t.nr_free, RING - 3);
            } else {
                assert_true(c.request_done);
                assert_ptr_equal(c.cookie, &cookie);
                assert_int_equal(c.status, cases[k].status);
                assert_int_equal(t.nr_free, RING);
            }
        }
    }
}

static void test_drain(void **state)
{
    (void)state;
    struct mira_blkif_completion c;
    const char *why;
    int a, b, d;
    setup_dev(512, 0);
    assert_int_equal(build(MIRA_BLKIF_READ, 0, 240, 0x1000, 30 * PG, &a), 3); /* ids 0-2 */
    assert_int_equal(build(MIRA_BLKIF_WRITE, 0, 1, 0x1000, 512, &b), 1);      /* id 3 */
    assert_int_equal(build(MIRA_BLKIF_FLUSH, 0, 0, 0, 0, &d), 1);             /* id 4 */
    assert_int_equal(respond(1, BLKIF_OP_READ, BLKIF_RSP_OKAY, &c, &why), 0);
    assert_int_equal(respond(4, BLKIF_OP_FLUSH_DISKCACHE, BLKIF_RSP_OKAY, &c, &why), 0);
    assert_true(c.request_done);
    refused(3, BLKIF_OP_READ, BLKIF_RSP_OKAY, "response operation differs from the request's");
    /* every pending id once: 0 and 2 (a's parts), 3 (b) */
    bool a_done = false, b_done = false;
    unsigned drained = 0;
    int id;
    while ((id = mira_blkif_drain(&t, &c)) >= 0) {
        assert_int_equal(c.id, id);
        assert_true(id == 0 || id == 2 || id == 3);
        assert_int_equal(c.nr_grefs, id == 3 ? 1 : id == 0 ? 11 : 8);
        drained++;
        if (c.request_done) {
            assert_int_equal(c.status, MIRA_EIO);
            if (c.cookie == &a) {
                assert_false(a_done);
                a_done = true;
            } else {
                assert_ptr_equal(c.cookie, &b);
                assert_false(b_done);
                b_done = true;
            }
        }
    }
    assert_int_equal(id, MIRA_ENOENT);
    assert_int_equal(drained, 3);
    assert_true(a_done && b_done);
    assert_int_equal(t.nr_free, RING);
    assert_int_equal(t.in_flight, 0);
    assert_int_equal(mira_blkif_drain(&t, &c), MIRA_ENOENT);
    /* a fresh start works again */
    assert_int_equal(mira_blkif_table_init(&t, RING, slots, grefs, 11), 0);
    assert_int_equal(build(MIRA_BLKIF_READ, 0, 1, 0x1000, 512, NULL), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_one_sector, teardown),
        cmocka_unit_test_teardown(test_eight_sectors_one_page, teardown),
        cmocka_unit_test_teardown(test_mid_page, teardown),
        cmocka_unit_test_teardown(test_several_buffers, teardown),
        cmocka_unit_test_teardown(test_eleven_pages_direct, teardown),
        cmocka_unit_test_teardown(test_twelve_pages_indirect, teardown),
        cmocka_unit_test_teardown(test_twelve_pages_without_indirect, teardown),
        cmocka_unit_test_teardown(test_indirect_split_across_pages, teardown),
        cmocka_unit_test_teardown(test_4096_byte_sectors, teardown),
        cmocka_unit_test_teardown(test_flush_and_discard, teardown),
        cmocka_unit_test_teardown(test_malformed_requests, teardown),
        cmocka_unit_test_teardown(test_id_exhaustion, teardown),
        cmocka_unit_test_teardown(test_parts_limits, teardown),
        cmocka_unit_test_teardown(test_grant_failure_loses_nothing, teardown),
        cmocka_unit_test_teardown(test_table_init, teardown),
        cmocka_unit_test_teardown(test_response_ok, teardown),
        cmocka_unit_test_teardown(test_response_refusals, teardown),
        cmocka_unit_test_teardown(test_indirect_response_operation, teardown),
        cmocka_unit_test_teardown(test_rsp_prod, teardown),
        cmocka_unit_test_teardown(test_aggregation, teardown),
        cmocka_unit_test_teardown(test_drain, teardown),
    };
    return cmocka_run_group_tests_name("blkif-proto", tests, NULL, NULL);
}
