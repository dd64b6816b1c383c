/* Unit tests of the generator's logic: device specs, main.c, header, .xl. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "gen.h"

static char err[256];

static void add_ok(struct gen_app *app, const char *spec)
{
    assert_int_equal(gen_add_device(app, spec, err, sizeof(err)), 0);
}

static void test_parse_device(void **state)
{
    (void)state;
    struct gen_app app = { .name = "x", .target = "unix", .memory_mib = 32 };
    add_ok(&app, "net0:netif:netif-tap");
    add_ok(&app, "stack0:stack:tcpip:net0");
    assert_int_equal(app.ndev, 2);
    assert_string_equal(app.dev[1].name, "stack0");
    assert_string_equal(app.dev[1].kind, "stack");
    assert_string_equal(app.dev[1].driver, "tcpip");
    assert_string_equal(app.dev[1].lower, "net0");
    assert_int_equal(gen_check(&app, err, sizeof(err)), 0);
}

static void test_bad_devices(void **state)
{
    (void)state;
    static const char *bad[] = {
        "console0", "console0:console", "0bad:console:console-unix",
        "c:printer:console-unix", "c:console:Console_Unix",
        "c:console:console-unix:x:y", "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct gen_app app = { 0 };
        err[0] = '\0';
        assert_int_equal(gen_add_device(&app, bad[i], err, sizeof(err)), -1);
        assert_true(strlen(err) > 0);
        assert_int_equal(app.ndev, 0);
    }
    struct gen_app app = { 0 };
    add_ok(&app, "c:console:console-unix");
    assert_int_equal(gen_add_device(&app, "c:console:console-unix", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "used twice"));
}

static void test_check(void **state)
{
    (void)state;
    struct gen_app app = { .name = "stackv4", .target = "unix", .memory_mib = 32 };
    add_ok(&app, "stack0:stack:tcpip:net0"); /* lower not listed before it */
    assert_int_equal(gen_check(&app, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "net0"));

    struct gen_app xen = { .name = "console", .target = "xen", .memory_mib = 32 };
    assert_int_equal(gen_check(&xen, err, sizeof(err)), -1); /* no kernel */
    xen.kernel = "relative.xen";
    assert_int_equal(gen_check(&xen, err, sizeof(err)), -1);
    xen.kernel = "/abs/console.xen";
    assert_int_equal(gen_check(&xen, err, sizeof(err)), 0);
    /* 2 MiB is the smallest memory a guest runs in (the image loads at
     * 1 MiB; the skeleton console's floor, docs/performance.md). */
    xen.memory_mib = 2;
    assert_int_equal(gen_check(&xen, err, sizeof(err)), 0);
    xen.memory_mib = 1;
    assert_int_equal(gen_check(&xen, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "1 MiB"));
    xen.memory_mib = 32;
    xen.target = "windows";
    assert_int_equal(gen_check(&xen, err, sizeof(err)), -1);
    xen.target = "xen";
    xen.name = "not-an-identifier";
    assert_int_equal(gen_check(&xen, err, sizeof(err)), -1);
}

static void test_main_c(void **state)
{
    (void)state;
    struct gen_app app = { .name = "console", .target = "unix", .memory_mib = 32 };
    add_ok(&app, "console0:console:console-unix");
    struct gen_buf b = { 0 };
    gen_main_c(&app, &b);
    assert_non_null(strstr(b.data, "#include <mira/console_unix.h>"));
    assert_non_null(strstr(b.data, "struct mira_console *console0 = NULL;"));
    assert_non_null(strstr(b.data,
        "err = mira_console_unix_connect(&console0, \"console0\");"));
    assert_non_null(strstr(b.data, "mira_boot_done();\n    status = unikernel_start(console0);"));
    assert_non_null(strstr(b.data, "mira_console_close(console0);"));
    gen_buf_free(&b);
}

static void test_layered_main_c(void **state)
{
    (void)state;
    struct gen_app app = { .name = "s", .target = "unix", .memory_mib = 32 };
    add_ok(&app, "console0:console:console-unix");
    add_ok(&app, "net0:netif:netif-tap");
    add_ok(&app, "stack0:stack:tcpip:net0");
    struct gen_buf b = { 0 };
    gen_main_c(&app, &b);
    assert_non_null(strstr(b.data, "mira_tcpip_connect(&stack0, \"stack0\", net0);"));
    /* connected in order: the netif before the stack over it */
    assert_true(strstr(b.data, "mira_netif_tap_connect") < strstr(b.data, "mira_tcpip_connect"));
    assert_non_null(strstr(b.data, "status = unikernel_start(console0, net0, stack0);"));
    /* closed in reverse: the stack before the netif under it */
    assert_true(strstr(b.data, "mira_stack_close(stack0)") < strstr(b.data, "mira_netif_close(net0)"));
    assert_true(strstr(b.data, "mira_netif_close(net0)") < strstr(b.data, "mira_console_close(console0)"));
    /* a failed connect closes only what was connected before it */
    assert_non_null(strstr(b.data, "close_devices(2, console0, net0, stack0);\n"
                                   "        return mira_connect_failed(\"stack0\""));
    gen_buf_free(&b);
}

/* A kv_ro over FAT gets its block device from the generator (BRIEF
 * section 7: kv0 gets kv0-block): connected first, closed last, its
 * parameters kv0-block-*, and not a parameter of unikernel_start. */
static void test_stacked_main_c(void **state)
{
    (void)state;
    struct gen_app app = { .name = "kv_ro", .target = "unix", .memory_mib = 32 };
    add_ok(&app, "console0:console:console-unix");
    add_ok(&app, "kv0-block:block:block-file");
    add_ok(&app, "kv0:kv_ro:fat:kv0-block");
    assert_int_equal(gen_add_disk(&app, "kv0-block=/b/kv0.img", err, sizeof(err)), 0);
    assert_int_equal(gen_check(&app, err, sizeof(err)), 0);
    struct gen_buf b = { 0 };
    gen_main_c(&app, &b);
    assert_non_null(strstr(b.data, "err = mira_block_file_connect(&kv0_block, \"kv0-block\");"));
    assert_non_null(strstr(b.data, "err = mira_fat_connect(&kv0, \"kv0\", kv0_block);"));
    assert_true(strstr(b.data, "mira_block_file_connect") < strstr(b.data, "mira_fat_connect"));
    assert_true(strstr(b.data, "mira_kv_ro_close(kv0)") < strstr(b.data, "mira_block_close(kv0_block)"));
    assert_non_null(strstr(b.data, "status = unikernel_start(console0, kv0);"));
    assert_non_null(strstr(b.data, "#include <mira/block.h>"));
    assert_non_null(strstr(b.data,
        "MIRA_PARAM_DECLARE(kv0_block_file, \"kv0-block-file\", \"/b/kv0.img\","));
    gen_buf_free(&b);
    gen_header(&app, &b);
    assert_non_null(strstr(b.data,
        "int unikernel_start(struct mira_console *console0, struct mira_kv_ro *kv0);"));
    assert_null(strstr(b.data, "mira/block.h"));
    gen_buf_free(&b);

    /* On xen the image is the .xl's disk, and nothing is baked in. */
    app.target = "xen";
    app.kernel = "/b/kv_ro.xen";
    app.dev[1].driver[0] = '\0';
    strcpy(app.dev[1].driver, "block-blkfront");
    gen_main_c(&app, &b);
    assert_null(strstr(b.data, "MIRA_PARAM_DECLARE"));
    assert_non_null(strstr(b.data, "mira_block_blkfront_connect(&kv0_block, \"kv0-block\");"));
    gen_buf_free(&b);
    gen_xl(&app, &b);
    assert_non_null(strstr(b.data,
        "disk = [ 'format=raw, vdev=xvdb, access=rw, target=/b/kv0.img' ]\n"));
    gen_buf_free(&b);
}

static void test_stacked_bad(void **state)
{
    (void)state;
    static const char *const bad_names[] = {
        "kv0-blocks:block:block-file", "-block:block:block-file", "kv0-kv_ro:block:block-file",
        "0kv-block:block:block-file", "kv0-block-x:block:block-file",
    };
    for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
        struct gen_app app = { 0 };
        assert_int_equal(gen_add_device(&app, bad_names[i], err, sizeof(err)), -1);
    }
    /* kv0_block and kv0-block would be one C variable. */
    struct gen_app clash = { 0 };
    add_ok(&clash, "kv0_block:block:block-file");
    assert_int_equal(gen_add_device(&clash, "kv0-block:block:block-file", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "one C name"));
    /* A stacked device nobody uses, or used by a device of another name. */
    static const char *const orphan[][2] = {
        { "kv0-block:block:block-file", "kv1:kv_ro:fat" },
        { "kv0-block:block:block-file", "kv1:kv_ro:fat:kv0-block" },
    };
    for (size_t i = 0; i < 2; i++) {
        struct gen_app app = { .name = "x", .target = "unix", .memory_mib = 32 };
        add_ok(&app, orphan[i][0]);
        add_ok(&app, orphan[i][1]);
        assert_int_equal(gen_check(&app, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "kv0-block"));
    }
    /* A disk path that would break main.c's string or the .xl's quotes. */
    struct gen_app app = { .name = "x", .target = "unix", .memory_mib = 32 };
    add_ok(&app, "kv0-block:block:block-file");
    assert_int_equal(gen_add_disk(&app, "kv0-block=/a\"b", err, sizeof(err)), -1);
    assert_int_equal(gen_add_disk(&app, "kv0-block=/a'b", err, sizeof(err)), -1);
}

/* A device built with the app gets its data by address, declared once. */
static void test_data_main_c(void **state)
{
    (void)state;
    struct gen_app app = { .name = "kv", .target = "unix", .memory_mib = 32 };
    char err[256];
    add_ok(&app, "console0:console:console-unix");
    add_ok(&app, "kv0:kv_ro:crunch");
    add_ok(&app, "kv1:kv_ro:kv-direct");
    assert_int_equal(gen_add_data(&app, "kv0", err, sizeof(err)), 0);
    assert_int_equal(gen_add_data(&app, "kv1", err, sizeof(err)), 0);
    assert_int_equal(gen_add_data(&app, "kv2", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "kv2"));
    struct gen_buf b = { 0 };
    gen_main_c(&app, &b);
    assert_non_null(strstr(b.data, "extern const struct mira_crunch_data mira_crunch_kv0;\n"
                                   "extern const struct mira_kv_direct_data mira_kv_direct_kv1;\n"));
    assert_non_null(strstr(b.data, "err = mira_crunch_connect(&kv0, \"kv0\", &mira_crunch_kv0);"));
    assert_non_null(strstr(b.data, "err = mira_kv_direct_connect(&kv1, \"kv1\", &mira_kv_direct_kv1);"));
    assert_non_null(strstr(b.data, "err = mira_console_unix_connect(&console0, \"console0\");"));
    assert_non_null(strstr(b.data, "#include <mira/crunch.h>\n#include <mira/kv_direct.h>\n"));
    gen_buf_free(&b);
    /* Without --data nothing is declared. */
    struct gen_app plain = { .name = "c", .target = "unix", .memory_mib = 32 };
    add_ok(&plain, "console0:console:console-unix");
    gen_main_c(&plain, &b);
    assert_null(strstr(b.data, "extern"));
    gen_buf_free(&b);
}

static void test_header(void **state)
{
    (void)state;
    struct gen_app app = { .name = "block", .target = "unix", .memory_mib = 32 };
    add_ok(&app, "console0:console:console-unix");
    add_ok(&app, "block0:block:block-file");
    struct gen_buf b = { 0 };
    gen_header(&app, &b);
    assert_non_null(strstr(b.data, "#include <mira/console.h>"));
    assert_non_null(strstr(b.data, "#include <mira/block.h>"));
    assert_non_null(strstr(b.data,
        "int unikernel_start(struct mira_console *console0, struct mira_block *block0);"));
    gen_buf_free(&b);

    struct gen_app none = { .name = "empty", .target = "unix", .memory_mib = 32 };
    gen_header(&none, &b);
    assert_non_null(strstr(b.data, "int unikernel_start(void);"));
    gen_buf_free(&b);
}

static void test_xl(void **state)
{
    (void)state;
    struct gen_app app = { .name = "block", .target = "xen", .memory_mib = 64,
                           .kernel = "/b/skeleton/block/block.xen",
                           .extra = "log-level=debug" };
    add_ok(&app, "console0:console:console-xen");
    add_ok(&app, "block0:block:block-blkfront");
    assert_int_equal(gen_add_disk(&app, "block0=/b/disk.img", err, sizeof(err)), 0);
    assert_int_equal(gen_add_disk(&app, "console0=/x", err, sizeof(err)), -1);
    assert_int_equal(gen_add_disk(&app, "nope=/x", err, sizeof(err)), -1);
    struct gen_buf b = { 0 };
    gen_xl(&app, &b);
    assert_non_null(strstr(b.data, "name = \"block\"\n"));
    assert_non_null(strstr(b.data, "type = \"pvh\"\n"));
    assert_non_null(strstr(b.data, "kernel = \"/b/skeleton/block/block.xen\"\n"));
    assert_non_null(strstr(b.data, "memory = 64\n"));
    assert_non_null(strstr(b.data, "\nshadow_memory = 1\n"));
    assert_non_null(strstr(b.data, "on_crash = \"preserve\"\n"));
    assert_non_null(strstr(b.data, "extra = \"log-level=debug\"\n"));
    assert_non_null(strstr(b.data,
        "disk = [ 'format=raw, vdev=xvdb, access=rw, target=/b/disk.img' ]\n"));
    assert_null(strstr(b.data, "vif"));
    gen_buf_free(&b);
}

/* The n-th block device is the n-th disk from xvdb, in device order. */
static void test_xl_disks(void **state)
{
    (void)state;
    struct gen_app app = { .name = "two", .target = "xen", .memory_mib = 32,
                           .kernel = "/b/two.xen" };
    add_ok(&app, "console0:console:console-xen");
    add_ok(&app, "data:block:block-blkfront");
    add_ok(&app, "logs:block:block-blkfront");
    assert_int_equal(gen_add_disk(&app, "logs=/b/logs.img", err, sizeof(err)), 0);
    struct gen_buf b = { 0 };
    gen_xl(&app, &b);
    assert_non_null(strstr(b.data,
        "disk = [ 'format=raw, vdev=xvdb, access=rw, target=/dev/null', "
        "'format=raw, vdev=xvdc, access=rw, target=/b/logs.img' ]\n"));
    gen_buf_free(&b);
    char n[8];
    gen_disk_name(0, n, sizeof(n));
    assert_string_equal(n, "xvda");
    gen_disk_name(25, n, sizeof(n));
    assert_string_equal(n, "xvdz");
    gen_disk_name(26, n, sizeof(n));
    assert_string_equal(n, "xvdaa");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_device),
        cmocka_unit_test(test_bad_devices),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_main_c),
        cmocka_unit_test(test_layered_main_c),
        cmocka_unit_test(test_stacked_main_c),
        cmocka_unit_test(test_stacked_bad),
        cmocka_unit_test(test_data_main_c),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_xl),
        cmocka_unit_test(test_xl_disks),
    };
    return cmocka_run_group_tests_name("gen", tests, NULL, NULL);
}
