/* Unit tests of runtime parameters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <mira/param.h>
#include "param_internal.h"
#include "platform.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_default_and_value, teardown),
        cmocka_unit_test_teardown(test_last_setting_wins, teardown),
        cmocka_unit_test_teardown(test_flag_without_value, teardown),
    };
    return cmocka_run_group_tests_name("param", tests, NULL, NULL);
}
