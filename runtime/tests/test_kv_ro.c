/* Unit tests of the key/value store's shared layer (runtime/src/kv_ro.c):
 * key normalisation, and that drivers only ever see normalised keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <mira/driver/kv_ro.h>

static void expect_norm(const char *key, const char *want)
{
    char out[MIRA_KV_KEY_MAX + 1];
    long n = mira_kv_key_normalize(key, out, sizeof(out));
    if (n < 0)
        fail_msg("'%s': %ld, want '%s'", key, n, want);
    assert_string_equal(out, want);
    assert_int_equal(n, (long)strlen(want));
}

static void test_normalize(void **state)
{
    (void)state;
    expect_norm("", "");
    expect_norm("/", "");
    expect_norm("///", "");
    expect_norm(".", "");
    expect_norm("/./", "");
    expect_norm("a", "a");
    expect_norm("/a", "a");
    expect_norm("a/", "a");
    expect_norm("/a//b/./c/", "a/b/c");
    expect_norm("a/.b/c.", "a/.b/c.");   /* dot-names are names */
    expect_norm("a/.../b", "a/.../b");
    expect_norm("...", "...");
}

static void test_dotdot_refused(void **state)
{
    (void)state;
    char out[MIRA_KV_KEY_MAX + 1];
    const char *bad[] = {"..", "/..", "../x", "a/../b", "a/..", "a/b/../../..", "./.."};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (mira_kv_key_normalize(bad[i], out, sizeof(out)) != MIRA_ENOENT)
            fail_msg("'%s' was not refused with MIRA_ENOENT", bad[i]);
}

static void test_lengths(void **state)
{
    (void)state;
    static char key[2 * MIRA_KV_KEY_MAX], out[MIRA_KV_KEY_MAX + 1];
    memset(key, 'k', MIRA_KV_KEY_MAX);
    key[MIRA_KV_KEY_MAX] = '\0';
    assert_int_equal(mira_kv_key_normalize(key, out, sizeof(out)), MIRA_KV_KEY_MAX);
    key[MIRA_KV_KEY_MAX] = 'k';
    key[MIRA_KV_KEY_MAX + 1] = '\0';
    assert_int_equal(mira_kv_key_normalize(key, out, sizeof(out)), MIRA_EINVAL);
    /* Slashes that normalisation drops do not count. */
    memset(key, '/', sizeof(key) - 2);
    key[sizeof(key) - 2] = 'x';
    key[sizeof(key) - 1] = '\0';
    assert_int_equal(mira_kv_key_normalize(key, out, sizeof(out)), 1);
    /* A small output buffer is an error, never an overflow. */
    char small[4];
    assert_int_equal(mira_kv_key_normalize("abc", small, sizeof(small)), 3);
    assert_int_equal(mira_kv_key_normalize("abcd", small, sizeof(small)), MIRA_EINVAL);
    assert_int_equal(mira_kv_key_normalize("", small, 0), MIRA_EINVAL);
}

/* A one-file store that records the keys it is given. */
static char seen[MIRA_KV_KEY_MAX + 1];
static int calls;

static int fake_stat(struct mira_kv_ro *kv, const char *key, struct mira_kv_stat *st)
{
    (void)kv;
    calls++;
    strcpy(seen, key);
    if (strcmp(key, "") == 0 || strcmp(key, "d") == 0) {
        *st = (struct mira_kv_stat){ MIRA_KV_DIRECTORY, 0 };
        return 0;
    }
    if (strcmp(key, "d/f") == 0) {
        *st = (struct mira_kv_stat){ MIRA_KV_FILE, 5 };
        return 0;
    }
    return MIRA_ENOENT;
}

static long fake_read(struct mira_kv_ro *kv, const char *key, uint64_t off, void *buf, size_t len)
{
    struct mira_kv_stat st;
    int r = fake_stat(kv, key, &st);
    if (r < 0)
        return r;
    if (st.type != MIRA_KV_FILE)
        return MIRA_EINVAL;
    if (off >= 5)
        return 0;
    size_t n = len < 5 - off ? len : (size_t)(5 - off);
    memcpy(buf, "hello" + off, n);
    return (long)n;
}

static int fake_list(struct mira_kv_ro *kv, const char *key, uint64_t *cursor,
                     struct mira_kv_entry *e)
{
    (void)kv;
    calls++;
    strcpy(seen, key);
    if (*cursor > 0)
        return 0;
    (*cursor)++;
    strcpy(e->name, "f");
    e->type = MIRA_KV_FILE;
    e->size = 5;
    return 1;
}

static void fake_close(struct mira_kv_ro *kv)
{
    (void)kv;
}

static const struct mira_kv_ro_ops fake_ops = {
    fake_stat, fake_read, fake_list, fake_close,
};

static void test_dispatch(void **state)
{
    (void)state;
    struct mira_kv_ro kv = { &fake_ops, "kv0" };
    struct mira_kv_stat st;
    char buf[8];

    assert_int_equal(mira_kv_ro_stat(&kv, "/d//f", &st), 0);
    assert_string_equal(seen, "d/f");
    assert_int_equal(st.type, MIRA_KV_FILE);
    assert_int_equal(st.size, 5);
    assert_int_equal(mira_kv_ro_read(&kv, "d/./f", 1, buf, sizeof(buf)), 4);
    assert_memory_equal(buf, "ello", 4);
    assert_int_equal(mira_kv_ro_read(&kv, "d/f", 9, buf, sizeof(buf)), 0);
    assert_int_equal(mira_kv_ro_read(&kv, "d", 0, buf, sizeof(buf)), MIRA_EINVAL);

    /* len 0 still reports a missing key or a directory. */
    assert_int_equal(mira_kv_ro_read(&kv, "d/f", 0, buf, 0), 0);
    assert_int_equal(mira_kv_ro_read(&kv, "nope", 0, buf, 0), MIRA_ENOENT);
    assert_int_equal(mira_kv_ro_read(&kv, "d", 0, buf, 0), MIRA_EINVAL);

    uint64_t cursor = 0;
    struct mira_kv_entry e;
    assert_int_equal(mira_kv_ro_list(&kv, "/d/", &cursor, &e), 1);
    assert_string_equal(seen, "d");
    assert_string_equal(e.name, "f");
    assert_int_equal(mira_kv_ro_list(&kv, "/d/", &cursor, &e), 0);

    /* A ".." never reaches the driver. */
    calls = 0;
    assert_int_equal(mira_kv_ro_stat(&kv, "d/../d/f", &st), MIRA_ENOENT);
    assert_int_equal(mira_kv_ro_read(&kv, "../x", 0, buf, sizeof(buf)), MIRA_ENOENT);
    assert_int_equal(mira_kv_ro_list(&kv, "..", &cursor, &e), MIRA_ENOENT);
    assert_int_equal(calls, 0);
    assert_string_equal(mira_kv_ro_name(&kv), "kv0");
    mira_kv_ro_close(&kv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_dotdot_refused),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_dispatch),
    };
    return cmocka_run_group_tests_name("kv_ro", tests, NULL, NULL);
}
