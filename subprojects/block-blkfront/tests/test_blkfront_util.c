/* Unit tests of the blkfront driver's pure helpers (mira/blkfront_util.h):
 * disk names and ids, chunk cutting, the bytes of a page in a buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <mira/error.h>
#include <mira/blkfront_util.h>

static void test_disk_ids(void **state)
{
    (void)state;
    assert_int_equal(mira_blkfront_disk_id(0), 51712);   /* xvda */
    assert_int_equal(mira_blkfront_disk_id(1), 51728);   /* xvdb */
    assert_int_equal(mira_blkfront_disk_id(15), 51952);  /* xvdp */
    assert_int_equal(mira_blkfront_disk_id(16), (1u << 28) | (16u << 8)); /* xvdq */
}

static void test_parse_vdev(void **state)
{
    (void)state;
    uint32_t id = 0;
    assert_int_equal(mira_blkfront_parse_vdev("xvdb", &id), 0);
    assert_int_equal(id, 51728);
    assert_int_equal(mira_blkfront_parse_vdev("xvda", &id), 0);
    assert_int_equal(id, 51712);
    assert_int_equal(mira_blkfront_parse_vdev("xvdz", &id), 0);
    assert_int_equal(id, (1u << 28) | (25u << 8));
    assert_int_equal(mira_blkfront_parse_vdev("xvdaa", &id), 0);
    assert_int_equal(id, (1u << 28) | (26u << 8));
    assert_int_equal(mira_blkfront_parse_vdev("51744", &id), 0);
    assert_int_equal(id, 51744);
    const char *bad[] = { "", "xvd", "xvdB", "xvd1", "sda", "hda", "51x", "-1",
                          "99999999999", "xvdzzzzzz", NULL };
    for (int i = 0; bad[i]; i++) {
        id = 7;
        assert_int_equal(mira_blkfront_parse_vdev(bad[i], &id), MIRA_EINVAL);
        assert_int_equal(id, 7); /* untouched on failure */
    }
}

static void test_disk_names(void **state)
{
    (void)state;
    char b[16];
    const struct { unsigned disk; const char *name; } cases[] = {
        { 0, "xvda" }, { 1, "xvdb" }, { 25, "xvdz" }, { 26, "xvdaa" },
        { 27, "xvdab" }, { 701, "xvdzz" }, { 702, "disk702" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mira_blkfront_disk_name(cases[i].disk, b, sizeof(b));
        assert_string_equal(b, cases[i].name);
        uint32_t id;
        if (cases[i].disk < 702) { /* name -> id -> the same disk */
            assert_int_equal(mira_blkfront_parse_vdev(b, &id), 0);
            assert_int_equal(id, mira_blkfront_disk_id(cases[i].disk));
        }
    }
}

static void test_pages(void **state)
{
    (void)state;
    assert_int_equal(mira_blkfront_pages(0x10000, 4096), 1);
    assert_int_equal(mira_blkfront_pages(0x10000, 4097), 2);
    assert_int_equal(mira_blkfront_pages(0x10200, 4096), 2);
    assert_int_equal(mira_blkfront_pages(0x10e00, 512), 1);
    assert_int_equal(mira_blkfront_pages(0x10000, 1 << 20), 256);
}

static void test_chunk_len(void **state)
{
    (void)state;
    /* Page-aligned: max_pages whole pages. */
    assert_int_equal(mira_blkfront_chunk_len(0x10000, 1 << 20, 256, 512), 1 << 20);
    assert_int_equal(mira_blkfront_chunk_len(0x10000, 2 << 20, 256, 512), 1 << 20);
    assert_int_equal(mira_blkfront_chunk_len(0x10000, 4096, 256, 4096), 4096);
    /* Mid-page start: the rest of the first page plus max_pages - 1. */
    size_t n = mira_blkfront_chunk_len(0x10200, 1 << 20, 11, 512);
    assert_int_equal(n, 4096 - 0x200 + 10 * 4096);
    assert_int_equal(mira_blkfront_pages(0x10200, n), 11);
    /* Shorter than the limit: all of it. */
    assert_int_equal(mira_blkfront_chunk_len(0x10200, 1024, 11, 512), 1024);
    /* Every cut touches at most max_pages pages and is sector-sized. */
    for (uintptr_t a = 0x20000; a < 0x21000; a += 512)
        for (unsigned m = 1; m < 20; m++) {
            size_t c = mira_blkfront_chunk_len(a, 100 * 4096, m, 512);
            assert_true(c > 0 && c % 512 == 0);
            assert_true(mira_blkfront_pages(a, c) <= m);
            /* and one more sector would need another page */
            assert_true(mira_blkfront_pages(a, c + 512) > m);
        }
}

static void test_in_page(void **state)
{
    (void)state;
    size_t off = 99;
    assert_int_equal(mira_blkfront_in_page(0x10000, 0x10000, 8192, &off), 4096);
    assert_int_equal(off, 0);
    assert_int_equal(mira_blkfront_in_page(0x11000, 0x10200, 8192, &off), 4096);
    assert_int_equal(off, 0);
    assert_int_equal(mira_blkfront_in_page(0x10000, 0x10200, 8192, &off), 4096 - 0x200);
    assert_int_equal(off, 0x200);
    assert_int_equal(mira_blkfront_in_page(0x12000, 0x10200, 8192, &off), 0x200);
    assert_int_equal(off, 0);
    assert_int_equal(mira_blkfront_in_page(0x10000, 0x10400, 512, &off), 512);
    assert_int_equal(off, 0x400);
    assert_int_equal(mira_blkfront_in_page(0x13000, 0x10200, 8192, &off), 0);
    assert_int_equal(mira_blkfront_in_page(0x0f000, 0x10000, 512, &off), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disk_ids),
        cmocka_unit_test(test_parse_vdev),
        cmocka_unit_test(test_disk_names),
        cmocka_unit_test(test_pages),
        cmocka_unit_test(test_chunk_len),
        cmocka_unit_test(test_in_page),
    };
    return cmocka_run_group_tests_name("blkfront_util", tests, NULL, NULL);
}
