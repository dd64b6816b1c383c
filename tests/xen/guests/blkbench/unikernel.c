/* tests/xen/guests/blkbench: blkfront's sequential throughput, the Mira
 * half of a benchmark (not a verdict).  Writes the first BENCH_MIB MiB of
 * its blank disk in 1 MiB requests, flushes, then reads them back in 1 MiB
 * requests, and prints "BENCH-RAW <op> <bytes> <microseconds>" for each;
 * the rig's Linux guest linux-blkbench prints the same for `dd bs=1M` with
 * O_DIRECT on the same kind of disk in the same Xen boot, and ratio.py
 * (meson test --benchmark) compares them. */
#include <stdint.h>
#include <string.h>
#include <mira/block.h>
#include <mira/console.h>
#include <mira/time.h>

#define BENCH_MIB 32
#define REQ (1u << 20)

int unikernel_start(struct mira_console *c, struct mira_block *b)
{
    struct mira_block_info info;
    mira_block_info(b, &info);
    uint64_t per = REQ / info.sector_size;
    if (info.sectors < BENCH_MIB * per || !info.read_write) {
        mira_console_log(c, "blkbench: the disk is too small or read-only");
        return 1;
    }
    unsigned char *buf = mira_block_alloc(b, per);
    if (buf == NULL)
        return 1;
    memset(buf, 0x5a, REQ);
    mira_time_t t0 = mira_clock_monotonic();
    for (uint64_t i = 0; i < BENCH_MIB; i++) {
        int r = mira_block_write(b, i * per, buf, REQ);
        if (r < 0) {
            mira_console_log(c, "blkbench: write: %s", mira_strerror(r));
            return 1;
        }
    }
    int r = mira_block_flush(b);
    mira_time_t t1 = mira_clock_monotonic();
    for (uint64_t i = 0; i < BENCH_MIB && r == 0; i++)
        r = mira_block_read(b, i * per, buf, REQ);
    mira_time_t t2 = mira_clock_monotonic();
    if (r < 0) {
        mira_console_log(c, "blkbench: %s", mira_strerror(r));
        return 1;
    }
    mira_console_log(c, "BENCH-RAW write %u %llu", BENCH_MIB * REQ,
                     (unsigned long long)((t1 - t0) / 1000));
    mira_console_log(c, "BENCH-RAW read %u %llu", BENCH_MIB * REQ,
                     (unsigned long long)((t2 - t1) / 1000));
    mira_block_free(buf);
    mira_console_log(c, "blkbench: done");
    return 0;
}
