/* Unit tests of the block device's request checks (mira_block_check, pure)
 * and of the dispatch: a refused request never reaches the driver. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <mira/driver/block.h>

#define RW true
#define RO false

static struct mira_block_info dev(uint64_t sectors, uint32_t ss, bool rw)
{
    return (struct mira_block_info){ .sectors = sectors, .sector_size = ss,
                                     .read_write = rw, .discard = true };
}

/* An address aligned to exactly `align` (and not to 2 * align). */
static const void *at(uintptr_t align)
{
    return (const void *)(uintptr_t)(0x100000 + align);
}

static void test_whole_sectors_in_range_pass(void **state)
{
    (void)state;
    for (uint32_t ss = 512; ss <= 4096; ss *= 8) {
        struct mira_block_info d = dev(100, ss, RW);
        assert_int_equal(mira_block_check(&d, false, 0, at(ss), ss), 0);
        assert_int_equal(mira_block_check(&d, true, 0, at(ss), ss), 0);
        assert_int_equal(mira_block_check(&d, false, 99, at(ss), ss), 0);      /* last */
        assert_int_equal(mira_block_check(&d, true, 88, at(ss), 12 * ss), 0);  /* ends at the end */
        assert_int_equal(mira_block_check(&d, false, 0, at(ss), 100 * ss), 0); /* whole device */
    }
}

static void test_length_must_be_whole_nonzero_sectors(void **state)
{
    (void)state;
    struct mira_block_info d = dev(100, 512, RW);
    assert_int_equal(mira_block_check(&d, false, 0, at(512), 0), MIRA_EINVAL);
    assert_int_equal(mira_block_check(&d, false, 0, at(512), 511), MIRA_EINVAL);
    assert_int_equal(mira_block_check(&d, true, 0, at(512), 513), MIRA_EINVAL);
    assert_int_equal(mira_block_check(&d, true, 0, at(512), 1536 + 1), MIRA_EINVAL);
    struct mira_block_info d4 = dev(100, 4096, RW);
    assert_int_equal(mira_block_check(&d4, false, 0, at(4096), 512), MIRA_EINVAL);
    assert_int_equal(mira_block_check(&d4, false, 0, at(4096), 4096 + 512), MIRA_EINVAL);
}

static void test_buffer_must_be_sector_aligned(void **state)
{
    (void)state;
    struct mira_block_info d = dev(100, 512, RW);
    assert_int_equal(mira_block_check(&d, false, 0, at(256), 512), MIRA_EINVAL);
    assert_int_equal(mira_block_check(&d, true, 0, (const void *)0x100001, 512), MIRA_EINVAL);
    struct mira_block_info d4 = dev(100, 4096, RW);
    assert_int_equal(mira_block_check(&d4, false, 0, at(512), 4096), MIRA_EINVAL);
    assert_int_equal(mira_block_check(&d4, false, 0, at(2048), 4096), MIRA_EINVAL);
    assert_int_equal(mira_block_check(&d4, false, 0, at(4096), 4096), 0);
}

static void test_past_the_end_is_out_of_range(void **state)
{
    (void)state;
    struct mira_block_info d = dev(100, 512, RW);
    assert_int_equal(mira_block_check(&d, true, 100, at(512), 512), MIRA_ERANGE);      /* one past */
    assert_int_equal(mira_block_check(&d, true, 89, at(512), 12 * 512), MIRA_ERANGE);  /* crosses */
    assert_int_equal(mira_block_check(&d, false, 89, at(512), 12 * 512), MIRA_ERANGE);
    assert_int_equal(mira_block_check(&d, false, 0, at(512), 101 * 512), MIRA_ERANGE); /* too long */
    /* sector + count would wrap around 2^64 and look small */
    assert_int_equal(mira_block_check(&d, false, UINT64_MAX, at(512), 512), MIRA_ERANGE);
    assert_int_equal(mira_block_check(&d, false, UINT64_MAX - 1, at(512), 4 * 512), MIRA_ERANGE);
    struct mira_block_info empty = dev(0, 512, RW);
    assert_int_equal(mira_block_check(&empty, false, 0, at(512), 512), MIRA_ERANGE);
}

static void test_write_to_read_only_is_refused(void **state)
{
    (void)state;
    struct mira_block_info d = dev(100, 512, RO);
    assert_int_equal(mira_block_check(&d, true, 0, at(512), 512), MIRA_EROFS);
    assert_int_equal(mira_block_check(&d, false, 0, at(512), 512), 0);
    /* The order of the checks: a malformed request first, then the range. */
    assert_int_equal(mira_block_check(&d, true, 0, at(512), 100), MIRA_EINVAL);
    assert_int_equal(mira_block_check(&d, true, 100, at(512), 512), MIRA_ERANGE);
}

static void test_discard_checks(void **state)
{
    (void)state;
    struct mira_block_info d = dev(100, 512, RW);
    assert_int_equal(mira_block_check_discard(&d, 0, 100), 0);
    assert_int_equal(mira_block_check_discard(&d, 0, 0), MIRA_EINVAL);
    assert_int_equal(mira_block_check_discard(&d, 99, 2), MIRA_ERANGE);
    assert_int_equal(mira_block_check_discard(&d, UINT64_MAX, 2), MIRA_ERANGE);
    d.discard = false;
    assert_int_equal(mira_block_check_discard(&d, 0, 1), MIRA_ENOTSUP);
    d = dev(100, 512, RO);
    assert_int_equal(mira_block_check_discard(&d, 0, 1), MIRA_EROFS);
}

static void test_sector_sizes(void **state)
{
    (void)state;
    assert_true(mira_block_sector_size_ok(512));
    assert_true(mira_block_sector_size_ok(4096));
    assert_true(mira_block_sector_size_ok(65536));
    assert_false(mira_block_sector_size_ok(0));
    assert_false(mira_block_sector_size_ok(256));
    assert_false(mira_block_sector_size_ok(520));
    assert_false(mira_block_sector_size_ok(3072));
    assert_false(mira_block_sector_size_ok(131072));
    /* A device with a bad sector size refuses everything, never divides by 0. */
    struct mira_block_info d = dev(100, 0, RW);
    assert_int_equal(mira_block_check(&d, false, 0, at(512), 512), MIRA_EINVAL);
}

/* --- dispatch, over a RAM disk that counts what reaches it --- */

struct ram {
    struct mira_block dev;
    unsigned char *data;
    int calls;
};

static int ram_read(struct mira_block *b, uint64_t sector, void *buf, size_t len)
{
    struct ram *r = (struct ram *)b;
    r->calls++;
    memcpy(buf, r->data + sector * b->info.sector_size, len);
    return 0;
}

static int ram_write(struct mira_block *b, uint64_t sector, const void *buf, size_t len)
{
    struct ram *r = (struct ram *)b;
    r->calls++;
    memcpy(r->data + sector * b->info.sector_size, buf, len);
    return 0;
}

static int ram_flush(struct mira_block *b)
{
    ((struct ram *)b)->calls++;
    return 0;
}

static void ram_close(struct mira_block *b)
{
    free(((struct ram *)b)->data);
}

static const struct mira_block_ops ram_ops = {
    .read = ram_read, .write = ram_write, .flush = ram_flush, .close = ram_close,
};

static void test_dispatch_refuses_before_the_driver(void **state)
{
    (void)state;
    struct ram r = { .dev = { .ops = &ram_ops, .name = "ram0",
                              .info = { .sectors = 8, .sector_size = 512, .read_write = true } } };
    r.data = calloc(8, 512);
    assert_non_null(r.data);
    unsigned char *buf = mira_block_alloc(&r.dev, 2);
    assert_non_null(buf);
    assert_int_equal((uintptr_t)buf % 4096, 0);
    memset(buf, 0xab, 1024);

    assert_int_equal(mira_block_write(&r.dev, 7, buf, 1024), MIRA_ERANGE);
    assert_int_equal(mira_block_write(&r.dev, 0, buf + 1, 512), MIRA_EINVAL);
    assert_int_equal(mira_block_read(&r.dev, 8, buf, 512), MIRA_ERANGE);
    assert_int_equal(mira_block_discard(&r.dev, 0, 1), MIRA_ENOTSUP);
    assert_int_equal(r.calls, 0);
    for (int i = 0; i < 8 * 512; i++)
        assert_int_equal(r.data[i], 0); /* touched nothing */
    assert_int_equal(buf[0], 0xab);

    assert_int_equal(mira_block_write(&r.dev, 6, buf, 1024), 0);
    memset(buf, 0, 1024);
    assert_int_equal(mira_block_read(&r.dev, 6, buf, 1024), 0);
    assert_int_equal(buf[1023], 0xab);
    assert_int_equal(mira_block_flush(&r.dev), 0);
    assert_int_equal(r.calls, 3);

    r.dev.info.read_write = false;
    assert_int_equal(mira_block_write(&r.dev, 0, buf, 512), MIRA_EROFS);
    assert_int_equal(mira_block_flush(&r.dev), 0); /* nothing to flush */
    assert_int_equal(r.calls, 3);

    struct mira_block_info info;
    mira_block_info(&r.dev, &info);
    assert_int_equal(info.sectors, 8);
    assert_string_equal(mira_block_name(&r.dev), "ram0");
    mira_block_free(buf);
    mira_block_free(NULL);
    mira_block_close(&r.dev);
}

static void test_alloc_aligns_large_sectors(void **state)
{
    (void)state;
    struct mira_block b = { .info = { .sectors = 4, .sector_size = 16384 } };
    void *p = mira_block_alloc(&b, 3);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 16384, 0);
    mira_block_free(p);
    assert_null(mira_block_alloc(&b, SIZE_MAX / 4096)); /* size overflows */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_sectors_in_range_pass),
        cmocka_unit_test(test_length_must_be_whole_nonzero_sectors),
        cmocka_unit_test(test_buffer_must_be_sector_aligned),
        cmocka_unit_test(test_past_the_end_is_out_of_range),
        cmocka_unit_test(test_write_to_read_only_is_refused),
        cmocka_unit_test(test_discard_checks),
        cmocka_unit_test(test_sector_sizes),
        cmocka_unit_test(test_dispatch_refuses_before_the_driver),
        cmocka_unit_test(test_alloc_aligns_large_sectors),
    };
    return cmocka_run_group_tests_name("block", tests, NULL, NULL);
}
