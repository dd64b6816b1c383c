/* test_crunch.c - the crunch driver over images made by the real
 * mira-crunch (its path is argv[1]) from a directory the test writes:
 * lookups, ranged reads across blocks compared with the files, listings,
 * the error contract, a corrupt index refused at connect, a corrupt block
 * refused at read, and the tool's determinism and refusals. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <mira/crunch.h>
#include <mira/crunch_format.h>
#include <mira/kv_ro.h>

static const char *tool;
static char dir[64] = "/tmp/crunch-test-XXXXXX";
static char tree[128];

struct file {
    const char *key;
    uint8_t *bytes;
    size_t size;
};
static struct file files[9];
static size_t nfiles;

static uint64_t seed = 7;
static uint8_t next_byte(void)
{
    uint64_t z = (seed += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (uint8_t)(z ^ (z >> 31));
}

/* Writes file key: text if given, else size bytes of text-like (random
 * 0) or random (1) bytes. */
static void put(const char *key, const char *text, size_t size, int random)
{
    struct file *f = &files[nfiles++];
    f->key = key;
    f->size = text ? strlen(text) : size;
    f->bytes = malloc(f->size + 1);
    for (size_t i = 0; i < f->size; i++)
        f->bytes[i] = text ? (uint8_t)text[i] : random ? next_byte()
                    : (uint8_t)"all work and no play\n"[(i * 7 + i / 13) % 21];
    size = f->size;
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", tree, key);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(f->bytes, 1, size, fp), size);
    fclose(fp);
}

static void mkdir_in(const char *rel)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", tree, rel);
    assert_int_equal(mkdir(path, 0755), 0);
}

static int run(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    return system(cmd);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    uint8_t *b = malloc(*len + 1);
    assert_int_equal(fread(b, 1, *len, f), *len);
    fclose(f);
    b[*len] = 0;
    return b;
}

/* The image mira-crunch wrote (--blob), split into its index and data. */
static uint8_t *blob;
static size_t blob_len;
static struct mira_crunch_data image;

static int setup(void **state)
{
    (void)state;
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(tree, sizeof(tree), "%s/t", dir);
    mkdir(tree, 0755);
    mkdir_in("dir");
    mkdir_in("dir/sub");
    mkdir_in("emptydir");
    mkdir_in("star*");
    put("hello.txt", "Hello, world!\n", 0, 0);
    put("empty", NULL, 0, 0);
    put("exact128k.txt", NULL, 131072, 0);
    put("big.txt", NULL, 300017, 0);
    put("random.bin", NULL, 150000, 1);
    put("dir/sub/deep.txt", NULL, 3000, 0);
    put("dir/a b.txt", NULL, 5, 1);
    put("star*/x", NULL, 1, 0);
    put("\xc3\xa9t\xc3\xa9.txt", NULL, 70000, 1);
    if (run("%s --device kv9 --blob %s/blob --depfile %s/dep %s %s/out.c", tool, dir, dir,
            tree, dir) != 0)
        return -1;
    char bp[128];
    snprintf(bp, sizeof(bp), "%s/blob", dir);
    blob = slurp(bp, &blob_len);
    size_t ilen = (size_t)blob[0] | (size_t)blob[1] << 8 | (size_t)blob[2] << 16 |
                  (size_t)blob[3] << 24;
    image = (struct mira_crunch_data){ blob + 4, ilen, blob + 4 + ilen, blob_len - 4 - ilen };
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    run("rm -rf %s", dir);
    free(blob);
    for (size_t i = 0; i < nfiles; i++)
        free(files[i].bytes);
    return 0;
}

static struct mira_kv_ro *connect_ok(void)
{
    struct mira_kv_ro *kv = NULL;
    assert_int_equal(mira_crunch_connect(&kv, "kv9", &image), 0);
    assert_string_equal(mira_kv_ro_name(kv), "kv9");
    return kv;
}

static void test_reads_match_the_files(void **state)
{
    (void)state;
    struct mira_kv_ro *kv = connect_ok();
    static const size_t chunks[] = { 1000, 4093, 131072, 400000 };
    uint8_t *buf = malloc(400000);
    for (size_t i = 0; i < nfiles; i++) {
        const struct file *f = &files[i];
        struct mira_kv_stat st;
        assert_int_equal(mira_kv_ro_stat(kv, f->key, &st), 0);
        assert_int_equal(st.type, MIRA_KV_FILE);
        assert_int_equal(st.size, f->size);
        for (size_t c = 0; c < 4; c++) {
            size_t off = 0;
            for (;;) {
                long n = mira_kv_ro_read(kv, f->key, off, buf, chunks[c]);
                assert_true(n >= 0);
                if (n == 0)
                    break;
                assert_int_equal((size_t)n, f->size - off < chunks[c] ? f->size - off : chunks[c]);
                assert_memory_equal(buf, f->bytes + off, (size_t)n);
                off += (size_t)n;
            }
            assert_int_equal(off, f->size);
        }
        assert_int_equal(mira_kv_ro_read(kv, f->key, f->size + 10, buf, 10), 0);
    }
    /* The start of a deflated block into a buffer just big enough: the
     * block is inflated aside, nothing is written past the 20 bytes. */
    uint8_t *small = malloc(20 + 64);
    memset(small, 0xee, 20 + 64);
    assert_int_equal(mira_kv_ro_read(kv, "big.txt", 0, small, 20), 20);
    assert_memory_equal(small, files[3].bytes, 20);
    for (size_t i = 20; i < 20 + 64; i++)
        assert_int_equal(small[i], 0xee);
    free(small);
    /* Across a block boundary, inside a deflated file. */
    assert_int_equal(mira_kv_ro_read(kv, "/big.txt", 131066, buf, 20), 20);
    assert_memory_equal(buf, files[3].bytes + 131066, 20);
    assert_int_equal(mira_kv_ro_read(kv, "dir//sub/./deep.txt", 2990, buf, 100), 10);
    assert_memory_equal(buf, files[5].bytes + 2990, 10);
    free(buf);
    mira_kv_ro_close(kv);
}

static void test_errors(void **state)
{
    (void)state;
    struct mira_kv_ro *kv = connect_ok();
    struct mira_kv_stat st;
    uint8_t buf[8];
    uint64_t cursor = 0;
    struct mira_kv_entry e;
    assert_int_equal(mira_kv_ro_stat(kv, "", &st), 0);
    assert_int_equal(st.type, MIRA_KV_DIRECTORY);
    assert_int_equal(mira_kv_ro_stat(kv, "dir/sub", &st), 0);
    assert_int_equal(st.type, MIRA_KV_DIRECTORY);
    assert_int_equal(st.size, 0);
    assert_int_equal(mira_kv_ro_stat(kv, "missing", &st), MIRA_ENOENT);
    assert_int_equal(mira_kv_ro_stat(kv, "dir/missing", &st), MIRA_ENOENT);
    assert_int_equal(mira_kv_ro_stat(kv, "hello.tx", &st), MIRA_ENOENT);
    assert_int_equal(mira_kv_ro_stat(kv, "hello.txtt", &st), MIRA_ENOENT);
    assert_int_equal(mira_kv_ro_stat(kv, "hello.txt/x", &st), MIRA_EINVAL);
    assert_int_equal(mira_kv_ro_stat(kv, "dir/../hello.txt", &st), MIRA_ENOENT);
    assert_int_equal(mira_kv_ro_read(kv, "dir", 0, buf, 8), MIRA_EINVAL);
    assert_int_equal(mira_kv_ro_read(kv, "nope", 0, buf, 8), MIRA_ENOENT);
    assert_int_equal(mira_kv_ro_list(kv, "hello.txt", &cursor, &e), MIRA_EINVAL);
    assert_int_equal(mira_kv_ro_list(kv, "nope", &cursor, &e), MIRA_ENOENT);
    mira_kv_ro_close(kv);
}

static void test_listing(void **state)
{
    (void)state;
    struct mira_kv_ro *kv = connect_ok();
    static const char *want[] = { "big.txt", "dir", "empty", "emptydir", "exact128k.txt",
                                  "hello.txt", "random.bin", "star*", "\xc3\xa9t\xc3\xa9.txt" };
    uint64_t cursor = 0;
    struct mira_kv_entry e;
    for (size_t i = 0; i < 9; i++) {
        assert_int_equal(mira_kv_ro_list(kv, "/", &cursor, &e), 1);
        assert_string_equal(e.name, want[i]);
        int is_dir = strcmp(e.name, "dir") == 0 || strcmp(e.name, "emptydir") == 0 ||
                     strcmp(e.name, "star*") == 0;
        assert_int_equal(e.type, is_dir ? MIRA_KV_DIRECTORY : MIRA_KV_FILE);
        if (strcmp(e.name, "big.txt") == 0)
            assert_int_equal(e.size, 300017);
    }
    assert_int_equal(mira_kv_ro_list(kv, "/", &cursor, &e), 0);
    assert_int_equal(mira_kv_ro_list(kv, "/", &cursor, &e), 0);
    cursor = 0;
    assert_int_equal(mira_kv_ro_list(kv, "emptydir", &cursor, &e), 0);
    assert_int_equal(mira_kv_ro_list(kv, "dir", &cursor, &e), 1);
    assert_string_equal(e.name, "a b.txt");
    assert_int_equal(e.size, 5);
    assert_int_equal(mira_kv_ro_list(kv, "dir", &cursor, &e), 1);
    assert_string_equal(e.name, "sub");
    assert_int_equal(mira_kv_ro_list(kv, "dir", &cursor, &e), 0);
    mira_kv_ro_close(kv);
}

/* Any change to a header byte, and changes to entries' types and child
 * ranges, make the index untrusted: connect refuses it. */
static void test_corrupt_index_refused(void **state)
{
    (void)state;
    uint8_t *copy = malloc(image.index_len);
    struct mira_crunch_data bad = image;
    bad.index = copy;
    struct mira_kv_ro *kv = NULL;
    for (size_t at = 0; at < MIRA_CRUNCH_HEADER_SIZE; at++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(copy, image.index, image.index_len);
            copy[at] ^= (uint8_t)(1u << bit);
            assert_int_equal(mira_crunch_connect(&kv, "kv9", &bad), MIRA_ECORRUPT);
        }
    }
    static const size_t fields[] = { MIRA_CRUNCH_E_TYPE, MIRA_CRUNCH_E_RESERVED,
                                     MIRA_CRUNCH_E_FIRST, MIRA_CRUNCH_E_COUNT };
    for (size_t f = 0; f < 4; f++) {
        memcpy(copy, image.index, image.index_len);
        /* Entry 0 (the root directory) and entry 1 (big.txt, a file). */
        copy[MIRA_CRUNCH_HEADER_SIZE + fields[f]] ^= 1;
        assert_int_equal(mira_crunch_connect(&kv, "kv9", &bad), MIRA_ECORRUPT);
        memcpy(copy, image.index, image.index_len);
        copy[MIRA_CRUNCH_HEADER_SIZE + MIRA_CRUNCH_ENTRY_SIZE + fields[f]] ^= 2;
        assert_int_equal(mira_crunch_connect(&kv, "kv9", &bad), MIRA_ECORRUPT);
    }
    /* Names out of order: the root's first two children swapped. */
    memcpy(copy, image.index, image.index_len);
    uint8_t tmp[MIRA_CRUNCH_ENTRY_SIZE];
    uint8_t *e1 = copy + MIRA_CRUNCH_HEADER_SIZE + MIRA_CRUNCH_ENTRY_SIZE;
    memcpy(tmp, e1, sizeof(tmp));
    memcpy(e1, e1 + MIRA_CRUNCH_ENTRY_SIZE, sizeof(tmp));
    memcpy(e1 + MIRA_CRUNCH_ENTRY_SIZE, tmp, sizeof(tmp));
    assert_int_equal(mira_crunch_connect(&kv, "kv9", &bad), MIRA_ECORRUPT);
    /* A block's length in big.txt's table one short: the lengths no
     * longer add up to its region. */
    {
        const uint8_t *e = image.index + MIRA_CRUNCH_HEADER_SIZE + MIRA_CRUNCH_ENTRY_SIZE;
        uint64_t off = 0, stored = 0;
        for (int b = 7; b >= 0; b--) {
            off = off << 8 | e[MIRA_CRUNCH_E_OFFSET + b];
            stored = stored << 8 | e[MIRA_CRUNCH_E_STORED + b];
        }
        uint8_t *data = malloc(image.data_len);
        memcpy(data, image.data, image.data_len);
        /* 3 blocks: the table is the last 12 bytes of the region. */
        uint8_t *word = data + off + stored - 12;
        assert_true(word[3] & 0x80); /* deflated */
        word[0]--;
        struct mira_crunch_data cut = image;
        cut.data = data;
        assert_int_equal(mira_crunch_connect(&kv, "kv9", &cut), MIRA_ECORRUPT);
        free(data);
    }
    /* The data cut short: the last file's region no longer fits. */
    bad.index = image.index;
    bad.data_len = image.data_len - 1;
    assert_int_equal(mira_crunch_connect(&kv, "kv9", &bad), MIRA_ECORRUPT);
    bad.data_len = image.data_len;
    assert_int_equal(mira_crunch_connect(&kv, "kv9", &bad), 0);
    mira_kv_ro_close(kv);
    free(copy);
}

/* A deflated block whose bytes are garbage: the read says so, ECORRUPT;
 * the stored file beside it still reads. */
static void test_corrupt_block_refused_at_read(void **state)
{
    (void)state;
    uint8_t *data = malloc(image.data_len);
    memcpy(data, image.data, image.data_len);
    /* big.txt is entry 1: its first block begins its region. */
    const uint8_t *e = image.index + MIRA_CRUNCH_HEADER_SIZE + MIRA_CRUNCH_ENTRY_SIZE;
    size_t off = (size_t)e[MIRA_CRUNCH_E_OFFSET] | (size_t)e[MIRA_CRUNCH_E_OFFSET + 1] << 8 |
                 (size_t)e[MIRA_CRUNCH_E_OFFSET + 2] << 16;
    memset(data + off, 0xff, 16); /* a final block of type 3 */
    struct mira_crunch_data bad = image;
    bad.data = data;
    struct mira_kv_ro *kv = NULL;
    assert_int_equal(mira_crunch_connect(&kv, "kv9", &bad), 0);
    uint8_t buf[100];
    assert_int_equal(mira_kv_ro_read(kv, "big.txt", 0, buf, 100), MIRA_ECORRUPT);
    assert_int_equal(mira_kv_ro_read(kv, "big.txt", 10, buf, 100), MIRA_ECORRUPT);
    assert_int_equal(mira_kv_ro_read(kv, "big.txt", 140000, buf, 100), 100);
    assert_int_equal(mira_kv_ro_read(kv, "hello.txt", 0, buf, 100), 14);
    mira_kv_ro_close(kv);
    free(data);
}

static void test_generated_c(void **state)
{
    (void)state;
    char p[256];
    size_t len1, len2;
    snprintf(p, sizeof(p), "%s/out.c", dir);
    char *c1 = (char *)slurp(p, &len1);
    /* Paths in comments, text as text, the device's symbol, no time. */
    assert_non_null(strstr(c1, "/* \"dir/sub/deep.txt\" */"));
    assert_non_null(strstr(c1, "/* \"star*\\/x\" */"));
    assert_non_null(strstr(c1, "\"Hello, world!\\n\"\n"));
    assert_non_null(strstr(c1, "const struct mira_crunch_data mira_crunch_kv9 = {"));
    assert_null(strstr(c1, "Built"));
    /* The same directory gives the same text. */
    assert_int_equal(run("%s --device kv9 %s %s/again.c", tool, tree, dir), 0);
    snprintf(p, sizeof(p), "%s/again.c", dir);
    char *c2 = (char *)slurp(p, &len2);
    assert_int_equal(len1, len2);
    assert_memory_equal(c1, c2, len1);
    free(c2);
    /* SOURCE_DATE_EPOCH is the only time it writes. */
    assert_int_equal(run("SOURCE_DATE_EPOCH=86400 %s --device kv9 %s %s/dated.c", tool, tree, dir), 0);
    snprintf(p, sizeof(p), "%s/dated.c", dir);
    c2 = (char *)slurp(p, &len2);
    assert_non_null(strstr(c2, " * Built 1970-01-02 00:00:00 UTC (SOURCE_DATE_EPOCH).\n"));
    free(c2);
    free(c1);
    /* The depfile names every file and directory read. */
    snprintf(p, sizeof(p), "%s/dep", dir);
    char *dep = (char *)slurp(p, &len1);
    assert_non_null(strstr(dep, "/t/dir/a\\ b.txt"));
    assert_non_null(strstr(dep, "/t/emptydir"));
    free(dep);
}

static void test_tool_refusals(void **state)
{
    (void)state;
    char link[256];
    snprintf(link, sizeof(link), "%s/t/dir/link", dir);
    assert_int_equal(symlink("../hello.txt", link), 0);
    assert_int_not_equal(run("%s %s %s/link.c 2>%s/err", tool, tree, dir, dir), 0);
    unlink(link);
    char p[256];
    size_t len;
    snprintf(p, sizeof(p), "%s/err", dir);
    char *err = (char *)slurp(p, &len);
    assert_non_null(strstr(err, "t/dir/link: a symbolic link"));
    free(err);
    /* Nothing half-written is left behind. */
    snprintf(p, sizeof(p), "%s/link.c", dir);
    assert_int_not_equal(access(p, F_OK), 0);
    snprintf(p, sizeof(p), "%s/link.c.tmp", dir);
    assert_int_not_equal(access(p, F_OK), 0);
    assert_int_not_equal(run("%s %s/nosuch %s/x.c 2>/dev/null", tool, dir, dir), 0);
    assert_int_not_equal(run("%s --device 9kv %s %s/x.c 2>/dev/null", tool, tree, dir), 0);
}

/* The runtime's start-up calls the generated main.c's entry point; the
 * driver's mira_connect_error brings the runtime's start-up in, unused. */
int mira_app_main(void);
int mira_app_main(void)
{
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    tool = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_match_the_files),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_listing),
        cmocka_unit_test(test_corrupt_index_refused),
        cmocka_unit_test(test_corrupt_block_refused_at_read),
        cmocka_unit_test(test_generated_c),
        cmocka_unit_test(test_tool_refusals),
    };
    return cmocka_run_group_tests_name("crunch-driver", tests, setup, teardown);
}
