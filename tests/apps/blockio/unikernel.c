/* tests/apps/blockio: block I/O driven by runtime parameters, for the
 * integration tests (data exchanged with dd) and the benchmarks.
 *
 *   --op=info                      print the device's info
 *   --op=write --seed=S --at=A --count=N   write pattern S to N sectors at A, flush
 *   --op=verify --seed=S --at=A --count=N  read them back; status 1 if they differ
 *   --op=discard --at=A --count=N
 *   --op=seqwrite --mib=M          write M MiB from sector 0 in 1 MiB requests, flush
 *   --op=seqread --mib=M           read M MiB from sector 0 in 1 MiB requests
 *   --op=randread --fibers=F --ops=K [--mib=M]  F fibers, K random 4 KiB reads in all,
 *                                  within the first M MiB (default: the device)
 *   --op=fibers --fibers=F --count=N --rounds=R  F fibers at once, each R times: write
 *                                  pattern (round * 100 + fiber) to its own N sectors
 *                                  (fiber f's start at f * N), read them back, compare
 *   --op=handover                  a fiber reads the whole device but sector 0 while
 *                                  main reads sector 0: main's read, done first, must
 *                                  hand the ring's polling to the other fiber
 * The benchmark ops print "elapsed_ns=... bytes=... requests=... max_in_flight=... direct=...".
 * The pattern byte at device offset o is (o ^ (o >> 8) ^ (o >> 16) ^ S * 37) & 0xff,
 * which tests/integration/block_dd.py computes too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mira/block.h>
#include <mira/block_file.h>
#include <mira/console.h>
#include <mira/fiber.h>
#include <mira/param.h>
#include <mira/time.h>

/* This app's own parameters (an app declares what it reads, as drivers do). */
MIRA_PARAM_DECLARE(op, "op", "info",
                   "info, write, verify, discard, seqwrite, seqread, randread, handover or fibers");
MIRA_PARAM_DECLARE(at, "at", "0", "first sector of write/verify/discard");
MIRA_PARAM_DECLARE(count, "count", "1", "sectors per request (fibers, handover: 8)");
MIRA_PARAM_DECLARE(seed, "seed", "0", "pattern seed of write/verify");
MIRA_PARAM_DECLARE(fibers, "fibers", "4", "fibers of randread, fibers and handover");
MIRA_PARAM_DECLARE(ops, "ops", "10000", "requests per fiber of randread");
MIRA_PARAM_DECLARE(rounds, "rounds", "10", "rounds per fiber of fibers/handover");
MIRA_PARAM_DECLARE(mib, "mib", "64", "MiB moved by seqwrite/seqread (randread: the span, 0 = whole device)");

static unsigned long long num(const char *key, unsigned long long dflt)
{
    const char *v = mira_param(key, NULL);
    return v ? strtoull(v, NULL, 0) : dflt;
}

static unsigned char pattern(uint64_t o, unsigned seed)
{
    return (unsigned char)((o ^ (o >> 8) ^ (o >> 16) ^ seed * 37u) & 0xff);
}

static void report(struct mira_console *c, struct mira_block *b, mira_time_t t0,
                   unsigned long long bytes)
{
    mira_time_t t = mira_clock_monotonic() - t0;
    struct mira_block_file_stats st;
    mira_block_file_stats(b, &st);
    mira_console_log(c, "elapsed_ns=%lld bytes=%llu requests=%llu max_in_flight=%u direct=%d",
                     (long long)t, bytes, (unsigned long long)st.requests,
                     st.max_in_flight, st.direct ? 1 : 0);
}

static int sequential(struct mira_console *c, struct mira_block *b, bool write)
{
    struct mira_block_info info;
    mira_block_info(b, &info);
    size_t chunk = 1 << 20, per = chunk / info.sector_size;
    unsigned long long mib = num("mib", 64);
    unsigned char *buf = mira_block_alloc(b, per);
    if (buf == NULL)
        return MIRA_ENOMEM;
    for (size_t i = 0; i < chunk; i++)
        buf[i] = (unsigned char)(i * 7);
    mira_time_t t0 = mira_clock_monotonic();
    int err = 0;
    for (unsigned long long i = 0; i < mib && err == 0; i++)
        err = write ? mira_block_write(b, i * per, buf, chunk) : mira_block_read(b, i * per, buf, chunk);
    if (err == 0 && write)
        err = mira_block_flush(b);
    if (err == 0)
        report(c, b, t0, mib * chunk);
    mira_block_free(buf);
    return err;
}

struct reader {
    struct mira_block *b;
    uint64_t span;     /* 4 KiB blocks to choose from */
    unsigned long ops; /* reads this fiber does */
    uint64_t rng;
    int err;
    struct mira_waitq *done_q;
    int *running;
};

static void reader_fiber(void *arg)
{
    struct reader *r = arg;
    struct mira_block_info info;
    mira_block_info(r->b, &info);
    unsigned char *buf = mira_block_alloc(r->b, 4096 / info.sector_size);
    if (buf == NULL)
        r->err = MIRA_ENOMEM;
    for (unsigned long i = 0; i < r->ops && r->err == 0; i++) {
        r->rng = r->rng * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t blk = (r->rng >> 33) % r->span;
        r->err = mira_block_read(r->b, blk * (4096 / info.sector_size), buf, 4096);
    }
    mira_block_free(buf);
    if (--*r->running == 0)
        mira_wake_all(r->done_q);
}

static int random_reads(struct mira_console *c, struct mira_block *b)
{
    struct mira_block_info info;
    mira_block_info(b, &info);
    unsigned fibers = (unsigned)num("fibers", 4);
    unsigned long ops = (unsigned long)num("ops", 10000);
    uint64_t span = info.sectors * info.sector_size / 4096;
    unsigned long long mib = num("mib", 0);
    if (mib && mib * 256 < span)
        span = mib * 256;
    if (fibers == 0 || fibers > 64 || span == 0 || info.sector_size > 4096)
        return MIRA_EINVAL;
    struct reader r[64];
    struct mira_waitq done_q = MIRA_WAITQ_INIT;
    int running = (int)fibers;
    mira_time_t t0 = mira_clock_monotonic();
    for (unsigned i = 0; i < fibers; i++) {
        r[i] = (struct reader){ .b = b, .span = span, .ops = ops / fibers + (i < ops % fibers),
                                .rng = 12345 + i, .done_q = &done_q, .running = &running };
        if (mira_spawn("reader", reader_fiber, &r[i], 0) < 0)
            return MIRA_ENOMEM;
    }
    while (running > 0)
        mira_wait(&done_q);
    for (unsigned i = 0; i < fibers; i++)
        if (r[i].err < 0)
            return r[i].err;
    report(c, b, t0, (unsigned long long)ops * 4096);
    return 0;
}

struct writer {
    struct mira_block *b;
    unsigned index, rounds;
    size_t count;
    int err;
    struct mira_waitq *done_q;
    int *running;
};

static void writer_fiber(void *arg)
{
    struct writer *w = arg;
    struct mira_block_info info;
    mira_block_info(w->b, &info);
    size_t len = w->count * info.sector_size;
    uint64_t at = (uint64_t)w->index * w->count, base = at * info.sector_size;
    unsigned char *buf = mira_block_alloc(w->b, w->count);
    if (buf == NULL)
        w->err = MIRA_ENOMEM;
    for (unsigned r = 0; r < w->rounds && w->err == 0; r++) {
        unsigned seed = r * 100 + w->index;
        for (size_t i = 0; i < len; i++)
            buf[i] = pattern(base + i, seed);
        w->err = mira_block_write(w->b, at, buf, len);
        memset(buf, 0, len);
        if (w->err == 0)
            w->err = mira_block_read(w->b, at, buf, len);
        for (size_t i = 0; w->err == 0 && i < len; i++)
            if (buf[i] != pattern(base + i, seed))
                w->err = 1;
    }
    mira_block_free(buf);
    if (--*w->running == 0)
        mira_wake_all(w->done_q);
}

/* Several fibers' writes and reads in flight at once, each checked. */
static int fibers_write_read(struct mira_console *c, struct mira_block *b)
{
    unsigned fibers = (unsigned)num("fibers", 4);
    struct writer w[64];
    struct mira_waitq done_q = MIRA_WAITQ_INIT;
    int running = (int)fibers;
    if (fibers == 0 || fibers > 64)
        return MIRA_EINVAL;
    for (unsigned i = 0; i < fibers; i++) {
        w[i] = (struct writer){ .b = b, .index = i, .rounds = (unsigned)num("rounds", 10),
                                .count = (size_t)num("count", 8), .done_q = &done_q,
                                .running = &running };
        if (mira_spawn("writer", writer_fiber, &w[i], 0) < 0)
            return MIRA_ENOMEM;
    }
    while (running > 0)
        mira_wait(&done_q);
    for (unsigned i = 0; i < fibers; i++) {
        if (w[i].err != 0) {
            mira_console_log(c, "fiber %u: %s", i,
                             w[i].err > 0 ? "read back other data" : mira_strerror(w[i].err));
            return 1;
        }
    }
    int err = mira_block_flush(b);
    struct mira_block_file_stats st;
    mira_block_file_stats(b, &st);
    if (err == 0)
        mira_console_log(c, "%u fibers ok, at most %u requests in flight", fibers,
                         st.max_in_flight);
    return err;
}

struct big_read {
    struct mira_block *b;
    unsigned char *buf;
    size_t len;
    int err;
    bool done;
    struct mira_waitq done_q;
};

static void big_read_fiber(void *arg)
{
    struct big_read *r = arg;
    r->err = mira_block_read(r->b, 1, r->buf, r->len);
    r->done = true;
    mira_wake_all(&r->done_q);
}

static int handover(struct mira_console *c, struct mira_block *b)
{
    struct mira_block_info info;
    mira_block_info(b, &info);
    size_t n = (size_t)info.sectors, ss = info.sector_size;
    unsigned char *all = mira_block_alloc(b, n);
    if (n < 2 || all == NULL)
        return MIRA_EINVAL;
    for (size_t i = 0; i < n * ss; i++)
        all[i] = pattern(i, 3);
    /* Written, so that reads go to the disk (a hole reads as zeroes at once). */
    int err = mira_block_write(b, 0, all, n * ss);
    if (err == 0)
        err = mira_block_flush(b);
    /* Twenty times, as the order of completions is the disk's choice. */
    for (int round = 0; round < 20 && err == 0; round++) {
        memset(all, 0, n * ss);
        struct big_read r = { .b = b, .buf = all + ss, .len = (n - 1) * ss };
        mira_waitq_init(&r.done_q, false);
        if (mira_spawn("big-read", big_read_fiber, &r, 0) < 0)
            err = MIRA_ENOMEM;
        if (err == 0) {
            /* main submits first and so polls; the big read comes next. */
            err = mira_block_read(b, 0, all, ss);
            while (!r.done)
                mira_wait(&r.done_q);
            if (err == 0)
                err = r.err;
        }
        for (size_t i = 0; err == 0 && i < n * ss; i++)
            if (all[i] != pattern(i, 3))
                err = 1;
    }
    mira_block_free(all);
    if (err == 0)
        mira_console_log(c, "handover ok");
    return err;
}

static int patterned(struct mira_console *c, struct mira_block *b, bool write)
{
    struct mira_block_info info;
    mira_block_info(b, &info);
    unsigned seed = (unsigned)num("seed", 1);
    uint64_t at = num("at", 0);
    size_t count = (size_t)num("count", 1);
    unsigned char *buf = mira_block_alloc(b, count);
    if (buf == NULL)
        return MIRA_ENOMEM;
    size_t len = count * info.sector_size;
    uint64_t base = at * info.sector_size;
    int err;
    if (write) {
        for (size_t i = 0; i < len; i++)
            buf[i] = pattern(base + i, seed);
        err = mira_block_write(b, at, buf, len);
        if (err == 0)
            err = mira_block_flush(b);
        if (err == 0)
            mira_console_log(c, "wrote %zu sectors at %llu", count, (unsigned long long)at);
    } else {
        err = mira_block_read(b, at, buf, len);
        for (size_t i = 0; err == 0 && i < len; i++) {
            if (buf[i] != pattern(base + i, seed)) {
                mira_console_log(c, "mismatch at byte %llu", (unsigned long long)(base + i));
                mira_block_free(buf);
                return 1;
            }
        }
        if (err == 0)
            mira_console_log(c, "verified %zu sectors at %llu", count, (unsigned long long)at);
    }
    mira_block_free(buf);
    return err;
}

int unikernel_start(struct mira_console *c, struct mira_block *b)
{
    const char *op = mira_param("op", "info");
    struct mira_block_info info;
    mira_block_info(b, &info);
    int err;
    if (strcmp(op, "info") == 0) {
        struct mira_block_file_stats st;
        mira_block_file_stats(b, &st);
        mira_console_log(c, "sectors=%llu sector_size=%u read_write=%d discard=%d direct=%d",
                         (unsigned long long)info.sectors, (unsigned)info.sector_size,
                         info.read_write, info.discard, st.direct);
        return 0;
    } else if (strcmp(op, "write") == 0 || strcmp(op, "verify") == 0) {
        err = patterned(c, b, op[0] == 'w');
    } else if (strcmp(op, "discard") == 0) {
        err = mira_block_discard(b, num("at", 0), num("count", 1));
        if (err == 0)
            err = mira_block_flush(b);
    } else if (strcmp(op, "seqwrite") == 0 || strcmp(op, "seqread") == 0) {
        err = sequential(c, b, op[3] == 'w');
    } else if (strcmp(op, "randread") == 0) {
        err = random_reads(c, b);
    } else if (strcmp(op, "handover") == 0) {
        err = handover(c, b);
    } else if (strcmp(op, "fibers") == 0) {
        err = fibers_write_read(c, b);
    } else {
        mira_console_log(c, "unknown --op=%s", op);
        return 2;
    }
    if (err < 0)
        mira_console_log(c, "error: %s", mira_strerror(err));
    return err < 0 ? 1 : err;
}
