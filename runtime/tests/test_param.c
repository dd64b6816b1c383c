/* Unit tests of runtime parameters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <mira/param.h>
#include "param_internal.h"
#include "platform.h"

/* Declarations as a runtime module or driver writes them. */
MIRA_PARAM_DECLARE(zeta, "test-zeta", NULL, "declared last, sorted last");
MIRA_PARAM_DECLARE(alpha, "test-alpha", "1", "a plain key");
MIRA_PARAM_DECLARE(file, "*-file", "disk.img", "each device's image file");
MIRA_PARAM_DECLARE(baked, "kv0-block-file", "/build/kv0.img", "a default baked in by the build");

static int teardown(void **state)
{
    (void)state;
    mira_param_reset();
    return 0;
}

static void test_default_and_value(void **state)
{
    (void)state;
    assert_string_equal(mira_param("block0-file", "disk.img"), "disk.img");
    mira_param_add("block0-file", "other.img");
    assert_string_equal(mira_param("block0-file", "disk.img"), "other.img");
    assert_null(mira_param("missing", NULL));
}

/* An exact declaration's default wins over the caller's; a wildcard's does
 * not; a given value wins over both. */
static void test_declared_default(void **state)
{
    (void)state;
    assert_string_equal(mira_param("kv0-block-file", "disk.img"), "/build/kv0.img");
    assert_string_equal(mira_param("block9-file", "caller.img"), "caller.img");
    mira_param_add("kv0-block-file", "mine.img");
    assert_string_equal(mira_param("kv0-block-file", "disk.img"), "mine.img");
}

static void test_last_setting_wins(void **state)
{
    (void)state;
    mira_param_add("ipv4", "10.0.0.2/24");
    mira_param_add("ipv4", "10.0.0.9/24");
    assert_string_equal(mira_param("ipv4", ""), "10.0.0.9/24");
}

static void test_flag_without_value(void **state)
{
    (void)state;
    mira_param_add("verbose", "");
    assert_string_equal(mira_param("verbose", NULL), "");
}

static void test_declarations_found(void **state)
{
    (void)state;
    const struct mira_param_decl *d = mira_param_find_decl("test-alpha");
    assert_non_null(d);
    assert_string_equal(d->dflt, "1");
    assert_non_null(mira_param_find_decl("test-zeta"));
    assert_null(mira_param_find_decl("test-alph"));
    assert_null(mira_param_find_decl("test-alpha2"));
    assert_null(mira_param_find_decl("log-level")); /* runtime.c is not linked */
}

static void test_device_wildcard(void **state)
{
    (void)state;
    const struct mira_param_decl *d = mira_param_find_decl("block0-file");
    assert_non_null(d);
    assert_string_equal(d->key, "*-file");
    assert_non_null(mira_param_find_decl("kv0-block-file"));
    assert_null(mira_param_find_decl("-file"));   /* no device name */
    assert_null(mira_param_find_decl("file"));
    assert_null(mira_param_find_decl("block0-files"));
    assert_null(mira_param_find_decl("block0file"));
}

static char unknown_seen[128];

static void collect(const char *key, void *ctx)
{
    (void)ctx;
    strncat(unknown_seen, key, sizeof(unknown_seen) - strlen(unknown_seen) - 2);
    strcat(unknown_seen, ",");
}

static void test_unknown_reported_in_order(void **state)
{
    (void)state;
    unknown_seen[0] = '\0';
    mira_param_add("nosuch", "1");
    mira_param_add("test-alpha", "2");
    mira_param_add("block3-file", "x.img");
    mira_param_add("block3-size", "9");
    assert_int_equal(mira_param_each_unknown(collect, NULL), 2);
    assert_string_equal(unknown_seen, "nosuch,block3-size,");
    mira_param_reset();
    unknown_seen[0] = '\0';
    mira_param_add("test-zeta", "");
    assert_int_equal(mira_param_each_unknown(collect, NULL), 0);
    assert_string_equal(unknown_seen, "");
}

static char help_text[1024];

static void help_collect(const char *line, void *ctx)
{
    (void)ctx;
    strncat(help_text, line, sizeof(help_text) - strlen(help_text) - 2);
    strcat(help_text, "\n");
}

static void test_help_lists_every_declaration(void **state)
{
    (void)state;
    help_text[0] = '\0';
    assert_int_equal(mira_param_each_help("  --", help_collect, NULL), 4);
    assert_string_equal(help_text,
        "  --<device>-file          each device's image file (default: disk.img)\n"
        "  --kv0-block-file         a default baked in by the build (default: /build/kv0.img)\n"
        "  --test-alpha             a plain key (default: 1)\n"
        "  --test-zeta              declared last, sorted last\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_default_and_value, teardown),
        cmocka_unit_test_teardown(test_declared_default, teardown),
        cmocka_unit_test_teardown(test_last_setting_wins, teardown),
        cmocka_unit_test_teardown(test_flag_without_value, teardown),
        cmocka_unit_test_teardown(test_declarations_found, teardown),
        cmocka_unit_test_teardown(test_device_wildcard, teardown),
        cmocka_unit_test_teardown(test_unknown_reported_in_order, teardown),
        cmocka_unit_test_teardown(test_help_lists_every_declaration, teardown),
    };
    return cmocka_run_group_tests_name("param", tests, NULL, NULL);
}
