/* tests/xen/guests/blkfill: blkfront against Linux blkback, nothing lost.
 * Fills the whole (blank) disk with a known pattern - every 32-bit word i
 * is word(i) - in requests of many shapes: 1 to 3000 sectors, buffers on
 * page boundaries and in the middle of pages, one fiber and then eight at
 * once (so requests queue for ring room), a discarded range written again;
 * reads everything back and compares; flushes; prints what was negotiated
 * and used; powers off.  dom0 then hashes the disk file and the rig
 * compares it with pattern.py's hash: every write reached the disk.
 * The rig runs it twice: with blkback's defaults, and with persistent
 * grants, multi-page rings and indirect descriptors turned off in dom0. */
#include <stdint.h>
#include <string.h>
#include <mira/block.h>
#include <mira/block_blkfront.h>
#include <mira/console.h>
#include <mira/fiber.h>

#define FIBERS 8

static struct mira_console *con;
static struct mira_block *blk;
static uint32_t ss;
static int failures;

static uint32_t word(uint64_t i)
{
    return (uint32_t)(i * 2654435761u) ^ 0x5a5a5a5au;
}

/* The pattern of the len bytes at byte offset off of the disk. */
static void fill(unsigned char *buf, uint64_t off, size_t len)
{
    for (size_t k = 0; k < len; k += 4) {
        uint32_t w = word((off + k) / 4);
        memcpy(buf + k, &w, 4); /* x86: little-endian, as pattern.py */
    }
}

static void check(const unsigned char *buf, uint64_t off, size_t len, const char *what)
{
    for (size_t k = 0; k < len; k += 4) {
        uint32_t w = word((off + k) / 4), got;
        memcpy(&got, buf + k, 4);
        if (got != w) {
            mira_console_log(con, "blkfill: FAIL: %s: byte %llu is %08x, want %08x", what,
                             (unsigned long long)(off + k), got, w);
            failures++;
            return;
        }
    }
}

static void must(int r, const char *what, uint64_t sector, uint64_t n)
{
    if (r != 0) {
        mira_console_log(con, "blkfill: FAIL: %s of %llu sectors at %llu: %s", what,
                         (unsigned long long)n, (unsigned long long)sector, mira_strerror(r));
        failures++;
    }
}

/* Writes the pattern over sectors [from, to) in pieces cycling through
 * sizes; odd pieces come from a buffer that starts mid-page. */
static void write_range(uint64_t from, uint64_t to, const unsigned *sizes, unsigned nsizes,
                        unsigned char *raw)
{
    unsigned i = 0;
    for (uint64_t s = from; s < to; i++) {
        uint64_t n = sizes[i % nsizes];
        if (n > to - s)
            n = to - s;
        unsigned char *buf = raw + (i % 2 && ss < 4096 ? ss : 0);
        fill(buf, s * ss, (size_t)(n * ss));
        must(mira_block_write(blk, s, buf, (size_t)(n * ss)), "write", s, n);
        s += n;
    }
}

static void read_check(uint64_t from, uint64_t to, uint64_t piece, unsigned char *raw,
                       const char *what)
{
    unsigned i = 0;
    for (uint64_t s = from; s < to; s += piece, i++) {
        uint64_t n = piece < to - s ? piece : to - s;
        unsigned char *buf = raw + (i % 2 && ss < 4096 ? ss : 0);
        memset(buf, 0xee, (size_t)(n * ss));
        must(mira_block_read(blk, s, buf, (size_t)(n * ss)), "read", s, n);
        check(buf, s * ss, (size_t)(n * ss), what);
    }
}

struct part {
    uint64_t from, to;
};

/* One of the concurrent writers: its own range, in pieces of 24 and 200
 * sectors (one direct request, several, or an indirect one), then read
 * back. */
static void writer(void *arg)
{
    struct part *p = arg;
    static const unsigned sizes[] = { 24, 200, 3, 64 };
    unsigned char *raw = mira_block_alloc(blk, 201);
    if (raw == NULL) {
        failures++;
        return;
    }
    write_range(p->from, p->to, sizes, 4, raw);
    read_check(p->from, p->to, 77, raw, "concurrent read-back");
    mira_block_free(raw);
}

int unikernel_start(struct mira_console *c, struct mira_block *b)
{
    con = c;
    blk = b;
    struct mira_block_info info;
    mira_block_info(b, &info);
    ss = info.sector_size;
    uint64_t n = info.sectors;
    mira_console_log(c, "blkfill: %llu sectors of %u bytes, %s, discard %s",
                     (unsigned long long)n, (unsigned)ss,
                     info.read_write ? "read-write" : "read-only", info.discard ? "yes" : "no");
    unsigned char *raw = mira_block_alloc(b, 4097);
    if (raw == NULL || !info.read_write)
        return 1;

    /* First half: one fiber, sizes from a sector to more than a chunk. */
    static const unsigned sizes[] = { 1, 7, 100, 2048, 3000, 11 * 8, 11 * 8 + 1 };
    write_range(0, n / 2, sizes, 7, raw);
    read_check(0, n / 2, 2048, raw, "read-back");
    mira_console_log(c, "blkfill: first half written and read back by one fiber");

    /* Second half: FIBERS writers at once. */
    struct part parts[FIBERS];
    struct mira_fiber *f[FIBERS];
    uint64_t per = (n - n / 2) / FIBERS;
    for (int i = 0; i < FIBERS; i++) {
        parts[i].from = n / 2 + (uint64_t)i * per;
        parts[i].to = i == FIBERS - 1 ? n : parts[i].from + per;
        f[i] = mira_spawn_joinable("writer", writer, &parts[i], 0);
        if (f[i] == NULL)
            return 1;
    }
    for (int i = 0; i < FIBERS; i++)
        mira_join(f[i]);
    mira_console_log(c, "blkfill: second half written and read back by %d fibers at once",
                     FIBERS);

    /* A discarded range reads as anything; written again it is the pattern. */
    if (info.discard) {
        int r = mira_block_discard(b, 256, 512);
        if (r != 0 && r != MIRA_ENOTSUP)
            must(r, "discard", 256, 512);
        mira_console_log(c, "blkfill: discard: %s", r == 0 ? "ok" : mira_strerror(r));
        write_range(256, 768, sizes, 7, raw);
    }

    /* Everything, once more, in 1 MiB reads. */
    read_check(0, n, (1u << 20) / ss, raw, "final read");
    must(mira_block_flush(b), "flush", 0, 0);
    mira_block_free(raw);

    struct mira_block_blkfront_stats st;
    mira_block_blkfront_stats(b, &st);
    mira_console_log(c, "blkfill: ring %u page(s) (%u slots), indirect %u, persistent %s, "
                     "flush %s", st.ring_pages, st.ring_size, st.indirect_segs,
                     st.persistent ? "yes" : "no", st.flush ? "yes" : "no");
    mira_console_log(c, "blkfill: %lu ring requests (%lu indirect), at most %u in flight, "
                     "%lu waits for room", st.requests, st.indirect_requests, st.max_in_flight,
                     st.ring_full_waits);
    if (failures) {
        mira_console_log(c, "blkfill: %d failures", failures);
        return 1;
    }
    mira_console_log(c, "blkfill: ok");
    return 0;
}
