/* test_kv_direct.c - kv-direct over a directory the test builds, with
 * real files, subdirectories, a FIFO and symbolic links inside and leading
 * out: what is inside is served, nothing outside is ever read (MIRA_ENOENT),
 * both with openat2 and with the component walk used where the kernel has
 * no openat2. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>
#include <mira/kv_direct.h>
#include <mira/kv_ro.h>

#include "../src/resolve.h"

static char top[64] = "/tmp/kv-direct-test-XXXXXX";
static char store[128];

static void write_file(const char *rel, const char *text)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", top, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void link_at(const char *target, const char *rel)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", top, rel);
    assert_int_equal(symlink(target, p), 0);
}

static int setup(void **state)
{
    (void)state;
    if (mkdtemp(top) == NULL)
        return -1;
    snprintf(store, sizeof(store), "%s/t", top);
    char p[512];
    mkdir(store, 0755);
    snprintf(p, sizeof(p), "%s/sub", store);
    mkdir(p, 0755);
    write_file("secret-outside", "outside!\n");
    write_file("t/a", "hello from a\n");
    write_file("t/sub/b", "bee\n");
    snprintf(p, sizeof(p), "%s/fifo", store);
    mkfifo(p, 0644);
    link_at("a", "t/inside-link");                      /* stays inside */
    link_at("../secret-outside", "t/out-link");          /* climbs out */
    link_at(top, "t/abs-dir");                           /* absolute, out */
    snprintf(p, sizeof(p), "%s/a", store);
    link_at(p, "t/abs-inside");                          /* absolute, even if inside */
    link_at("..", "t/sub/up");                           /* to the root: fine */
    link_at("../..", "t/sub/upup");                      /* out */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
    return system(cmd);
}

static struct mira_kv_ro *connect_store(void)
{
    struct mira_kv_direct_data data = { store };
    struct mira_kv_ro *kv = NULL;
    assert_int_equal(mira_kv_direct_connect(&kv, "kv0", &data), 0);
    return kv;
}

/* Whether this kernel (or valgrind, which does not know openat2) has
 * openat2; without it the driver walks, and so does every check here. */
static int have_openat2(void)
{
    struct open_how how = { .flags = O_PATH, .resolve = RESOLVE_BENEATH };
    long fd = syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof(how));
    if (fd >= 0)
        close((int)fd);
    return !(fd < 0 && errno == ENOSYS);
}

static void check_escapes(int walk)
{
    kv_direct_force_walk(walk);
    if (!have_openat2()) {
        printf("# no openat2 here: the driver walks components\n");
        walk = 1;
    }
    struct mira_kv_ro *kv = connect_store();
    struct mira_kv_stat st;
    char buf[64];
    uint64_t cursor = 0;
    struct mira_kv_entry e;
    static const char *out[] = { "out-link", "abs-dir", "abs-dir/secret-outside",
                                 "abs-inside", "sub/upup", "sub/upup/secret-outside",
                                 "../secret-outside", "sub/../../secret-outside",
                                 "/../secret-outside", "fifo" };
    for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
        assert_int_equal(mira_kv_ro_stat(kv, out[i], &st), MIRA_ENOENT);
        assert_int_equal(mira_kv_ro_read(kv, out[i], 0, buf, sizeof(buf)), MIRA_ENOENT);
        cursor = 0;
        assert_int_equal(mira_kv_ro_list(kv, out[i], &cursor, &e), MIRA_ENOENT);
    }
    /* A file used as a directory; a directory read. */
    assert_int_equal(mira_kv_ro_stat(kv, "a/x", &st), MIRA_EINVAL);
    assert_int_equal(mira_kv_ro_read(kv, "sub", 0, buf, sizeof(buf)), MIRA_EINVAL);
    cursor = 0;
    assert_int_equal(mira_kv_ro_list(kv, "a", &cursor, &e), MIRA_EINVAL);
    /* Links that stay inside: followed by openat2, refused by the walk. */
    long n = mira_kv_ro_read(kv, "inside-link", 0, buf, sizeof(buf));
    long m = mira_kv_ro_read(kv, "sub/up/sub/b", 0, buf, sizeof(buf));
    if (walk) {
        assert_int_equal(n, MIRA_ENOENT);
        assert_int_equal(m, MIRA_ENOENT);
    } else {
        assert_int_equal(n, 13);
        assert_int_equal(m, 4);
        assert_memory_equal(buf, "bee\n", 4);
    }
    mira_kv_ro_close(kv);
    kv_direct_force_walk(false);
}

static void test_escapes_openat2(void **state)
{
    (void)state;
    check_escapes(0);
}

static void test_escapes_walk(void **state)
{
    (void)state;
    check_escapes(1);
}

static void test_reads_and_stat(void **state)
{
    (void)state;
    for (int walk = 0; walk < 2; walk++) {
        kv_direct_force_walk(walk);
        struct mira_kv_ro *kv = connect_store();
        struct mira_kv_stat st;
        char buf[64];
        assert_int_equal(mira_kv_ro_stat(kv, "/", &st), 0);
        assert_int_equal(st.type, MIRA_KV_DIRECTORY);
        assert_int_equal(mira_kv_ro_stat(kv, "a", &st), 0);
        assert_int_equal(st.type, MIRA_KV_FILE);
        assert_int_equal(st.size, 13);
        assert_int_equal(mira_kv_ro_read(kv, "/a", 6, buf, 4), 4);
        assert_memory_equal(buf, "from", 4);
        assert_int_equal(mira_kv_ro_read(kv, "a", 10, buf, 64), 3);
        assert_int_equal(mira_kv_ro_read(kv, "a", 13, buf, 64), 0);
        assert_int_equal(mira_kv_ro_read(kv, "a", 1000, buf, 64), 0);
        assert_int_equal(mira_kv_ro_read(kv, "sub//b", 0, buf, 64), 4);
        assert_int_equal(mira_kv_ro_read(kv, "missing", 0, buf, 64), MIRA_ENOENT);
        mira_kv_ro_close(kv);
    }
    kv_direct_force_walk(false);
}

/* The listing has what a key can reach, and nothing else. */
static void test_listing(void **state)
{
    (void)state;
    struct mira_kv_ro *kv = connect_store();
    uint64_t cursor = 0;
    struct mira_kv_entry e;
    int a = 0, sub = 0, inside = 0, other = 0;
    while (mira_kv_ro_list(kv, "", &cursor, &e) == 1) {
        if (strcmp(e.name, "a") == 0 && e.type == MIRA_KV_FILE && e.size == 13)
            a++;
        else if (strcmp(e.name, "sub") == 0 && e.type == MIRA_KV_DIRECTORY)
            sub++;
        else if (strcmp(e.name, "inside-link") == 0 && e.type == MIRA_KV_FILE)
            inside++;
        else
            other++;
    }
    /* The link inside is listed where it is followed (openat2). */
    int links = have_openat2();
    assert_int_equal(a + sub + inside + other, 2 + links);
    assert_int_equal(a, 1);
    assert_int_equal(sub, 1);
    assert_int_equal(inside, links);
    assert_int_equal(mira_kv_ro_list(kv, "", &cursor, &e), 0);
    mira_kv_ro_close(kv);
}

static void test_connect_errors(void **state)
{
    (void)state;
    struct mira_kv_ro *kv = NULL;
    char p[256];
    snprintf(p, sizeof(p), "%s/nosuch", top);
    struct mira_kv_direct_data missing = { p }, file = { NULL };
    assert_int_equal(mira_kv_direct_connect(&kv, "kv0", &missing), MIRA_ENOENT);
    snprintf(p, sizeof(p), "%s/a", store);
    file.dir = p;
    assert_int_equal(mira_kv_direct_connect(&kv, "kv0", &file), MIRA_EINVAL);
    struct mira_kv_direct_data none = { NULL };
    assert_int_equal(mira_kv_direct_connect(&kv, "kv0", &none), MIRA_EINVAL);
}

/* The runtime's start-up calls the generated main.c's entry point; the
 * driver's mira_connect_error brings the runtime's start-up in, unused. */
int mira_app_main(void);
int mira_app_main(void)
{
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes_openat2),
        cmocka_unit_test(test_escapes_walk),
        cmocka_unit_test(test_reads_and_stat),
        cmocka_unit_test(test_listing),
        cmocka_unit_test(test_connect_errors),
    };
    return cmocka_run_group_tests_name("kv-direct", tests, setup, teardown);
}
