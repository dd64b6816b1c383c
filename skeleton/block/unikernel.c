/* skeleton/block: the tutorial's block test.  Writes patterns of 1, 2 and
 * 12 sectors at the start and at the end of the device and reads them back;
 * then checks that requests past or across the end are refused.  Ten tests;
 * the exit status is 0 only if all of them passed. */
#include <stdint.h>
#include <string.h>
#include <mira/block.h>
#include <mira/console.h>
#include <mira/format.h>

static int started, passed, failed;

/* Fills n sectors with a text that names the test and the sector, so a
 * read that returned another test's data, or the right data at the wrong
 * place, would not compare equal. */
static void fill_pattern(unsigned char *buf, size_t n, size_t sector_size, int test)
{
    for (size_t i = 0; i < n; i++) {
        char phrase[80];
        int len = mira_snprintf(phrase, sizeof(phrase),
                                "test %d, sector %zu of %zu: all work and no play.\n",
                                test, i + 1, n);
        for (size_t k = 0; k < sector_size; k++)
            buf[i * sector_size + k] = (unsigned char)phrase[k % (size_t)len];
    }
}

/* Writes a pattern of n sectors at sector, reads it back into a zeroed
 * buffer and compares. */
static void check_sector_write(struct mira_console *c, struct mira_block *b,
                               uint64_t sector, size_t n)
{
    struct mira_block_info info;
    mira_block_info(b, &info);
    mira_console_log(c, "writing %zu sectors at %llu", n, (unsigned long long)sector);
    started++;
    size_t len = n * info.sector_size;
    unsigned char *out = mira_block_alloc(b, n), *in = mira_block_alloc(b, n);
    int err = MIRA_ENOMEM;
    if (out && in) {
        fill_pattern(out, n, info.sector_size, started);
        err = mira_block_write(b, sector, out, len);
        if (err == 0)
            err = mira_block_read(b, sector, in, len);
    }
    if (err < 0) {
        mira_console_log(c, "-- failed: %s", mira_strerror(err));
        failed++;
    } else if (memcmp(out, in, len) != 0) {
        size_t at = 0;
        while (out[at] == in[at])
            at++;
        mira_console_log(c, "-- buffers unequal from byte %zu", at);
        failed++;
    } else {
        passed++;
    }
    mira_block_free(out);
    mira_block_free(in);
}

/* A request of n sectors at sector that must be refused. */
static void check_failure(struct mira_console *c, struct mira_block *b, int write,
                          uint64_t sector, size_t n)
{
    struct mira_block_info info;
    mira_block_info(b, &info);
    mira_console_log(c, "%s %zu sectors at %llu", write ? "writing" : "reading", n,
                     (unsigned long long)sector);
    started++;
    unsigned char *buf = mira_block_alloc(b, n);
    if (buf == NULL) {
        mira_console_log(c, "-- failed: %s", mira_strerror(MIRA_ENOMEM));
        failed++;
        return;
    }
    size_t len = n * info.sector_size;
    int err = write ? mira_block_write(b, sector, buf, len) : mira_block_read(b, sector, buf, len);
    if (err == 0) {
        mira_console_log(c, "-- expected failure; got success");
        failed++;
    } else {
        mira_console_log(c, "-- refused as expected: %s", mira_strerror(err));
        passed++;
    }
    mira_block_free(buf);
}

int unikernel_start(struct mira_console *c, struct mira_block *b)
{
    struct mira_block_info info;
    mira_block_info(b, &info);
    uint64_t n = info.sectors;
    mira_console_log(c, "sectors = %llu", (unsigned long long)n);
    mira_console_log(c, "read_write=%s", info.read_write ? "true" : "false");
    mira_console_log(c, "sector_size=%u", (unsigned)info.sector_size);

    static const size_t lengths[] = { 1, 2, 12 };
    for (size_t i = 0; i < 3; i++) {
        check_sector_write(c, b, 0, lengths[i]);
        check_sector_write(c, b, n - lengths[i], lengths[i]);
    }
    check_failure(c, b, 1, n, 1);       /* one past the end */
    check_failure(c, b, 1, n - 11, 12); /* crossing the end */
    check_failure(c, b, 0, n, 1);
    check_failure(c, b, 0, n - 11, 12);

    mira_console_log(c, "Test sequence finished");
    mira_console_log(c, "Total tests started: %d", started);
    mira_console_log(c, "Total tests passed:  %d", passed);
    mira_console_log(c, "Total tests failed:  %d", failed);
    return failed == 0 && passed == 10 ? 0 : 1;
}
