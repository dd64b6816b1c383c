/* Unit tests of block-file's parameters: every value it takes, every value
 * it refuses with a message naming the parameter, and the sector size it
 * chooses for files and block devices. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../src/config.h"

/* The parameters a test gives, as key/value pairs; NULL ends them. */
static const char *const *given;

static const char *param(const char *key, const char *dflt)
{
    for (const char *const *p = given; p && p[0]; p += 2)
        if (strcmp(p[0], key) == 0)
            return p[1];
    return dflt;
}

static int read_with(struct bf_config *c, const char *const *params, char *err, size_t n)
{
    given = params;
    err[0] = '\0';
    return bf_config_read(c, "block0", param, err, n);
}

static void test_defaults(void **state)
{
    (void)state;
    struct bf_config c;
    char err[256];
    assert_int_equal(read_with(&c, NULL, err, sizeof(err)), 0);
    assert_string_equal(c.path, "disk.img");
    assert_int_equal(c.sector_size, 0);
    assert_false(c.read_only);
    assert_int_equal(c.direct, BF_DIRECT_AUTO);
}

static void test_values_taken(void **state)
{
    (void)state;
    struct bf_config c;
    char err[256];
    const char *const p[] = { "block0-file", "/var/tmp/x.img", "block0-sector-size", "4096",
                              "block0-read-only", "", "block0-direct", "no", NULL };
    assert_int_equal(read_with(&c, p, err, sizeof(err)), 0);
    assert_string_equal(c.path, "/var/tmp/x.img");
    assert_int_equal(c.sector_size, 4096);
    assert_true(c.read_only);
    assert_int_equal(c.direct, BF_DIRECT_NO);

    const char *const q[] = { "block0-read-only", "false", "block0-direct", "yes",
                              "block0-sector-size", "512", "block1-file", "other", NULL };
    assert_int_equal(read_with(&c, q, err, sizeof(err)), 0);
    assert_string_equal(c.path, "disk.img"); /* block1's parameter is not block0's */
    assert_false(c.read_only);
    assert_int_equal(c.direct, BF_DIRECT_YES);
    assert_int_equal(c.sector_size, 512);
}

/* Each refused value gives -1 and a message that names its parameter. */
static void refused(const char *key, const char *value, const char *names)
{
    struct bf_config c;
    char err[256];
    const char *const p[] = { key, value, NULL };
    assert_int_equal(read_with(&c, p, err, sizeof(err)), -1);
    if (strstr(err, names) == NULL)
        fail_msg("message '%s' does not name '%s'", err, names);
}

static void test_values_refused(void **state)
{
    (void)state;
    refused("block0-sector-size", "1000", "--block0-sector-size=1000");
    refused("block0-sector-size", "256", "--block0-sector-size");
    refused("block0-sector-size", "131072", "--block0-sector-size");
    refused("block0-sector-size", "4096x", "--block0-sector-size");
    refused("block0-sector-size", "", "--block0-sector-size");
    refused("block0-sector-size", "-512", "--block0-sector-size");
    refused("block0-sector-size", "+512", "--block0-sector-size");
    refused("block0-read-only", "maybe", "--block0-read-only=maybe");
    refused("block0-direct", "sometimes", "--block0-direct=sometimes");
    refused("block0-file", "", "--block0-file");
}

static void test_sector_size_choice(void **state)
{
    (void)state;
    uint32_t ss = 0;
    char err[256];
    /* A regular file: 512 unless asked. */
    assert_int_equal(bf_config_sector_size(0, 0, "block0", &ss, err, sizeof(err)), 0);
    assert_int_equal(ss, 512);
    assert_int_equal(bf_config_sector_size(4096, 0, "block0", &ss, err, sizeof(err)), 0);
    assert_int_equal(ss, 4096);
    /* A block device: its logical size, or a multiple of it when asked. */
    assert_int_equal(bf_config_sector_size(0, 4096, "block0", &ss, err, sizeof(err)), 0);
    assert_int_equal(ss, 4096);
    assert_int_equal(bf_config_sector_size(4096, 512, "block0", &ss, err, sizeof(err)), 0);
    assert_int_equal(ss, 4096);
    assert_int_equal(bf_config_sector_size(512, 4096, "block0", &ss, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "--block0-sector-size=512"));
    assert_int_equal(bf_config_sector_size(0, 520, "block0", &ss, err, sizeof(err)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_values_taken),
        cmocka_unit_test(test_values_refused),
        cmocka_unit_test(test_sector_size_choice),
    };
    return cmocka_run_group_tests_name("block-file-config", tests, NULL, NULL);
}
