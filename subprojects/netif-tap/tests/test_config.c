/* test_config.c - netif-tap's parameters: defaults, every accepted form,
 * and refusals that name the parameter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../src/config.h"

/* The parameters given, as key=value pairs; NULL-terminated. */
static const char *const *given;

static const char *lookup(const char *key, const char *dflt)
{
    size_t klen = strlen(key);
    for (const char *const *g = given; g && *g; g++)
        if (strncmp(*g, key, klen) == 0 && (*g)[klen] == '=')
            return *g + klen + 1;
    return dflt;
}

static int read_with(const char *const *params, struct tap_config *c, char *err)
{
    given = params;
    return tap_config_read(c, "net0", lookup, err, 256);
}

static void test_defaults(void **state)
{
    (void)state;
    struct tap_config c;
    char err[256];
    assert_int_equal(read_with(NULL, &c, err), 0);
    assert_string_equal(c.tap, "tap0");
    assert_string_equal(c.tun_device, "/dev/net/tun");
    assert_false(c.mac_given);
    assert_int_equal(c.mtu, 1500);
    assert_true(c.offload);
}

static void test_given(void **state)
{
    (void)state;
    static const char *const p[] = { "net0-tap=mtap7", "net0-mac=02:0A:bc:00:00:ff",
                                     "net0-mtu=9000", "net0-tun-device=/tmp/tun",
                                     "net0-offload=false", NULL };
    struct tap_config c;
    char err[256];
    assert_int_equal(read_with(p, &c, err), 0);
    assert_string_equal(c.tap, "mtap7");
    assert_string_equal(c.tun_device, "/tmp/tun");
    assert_true(c.mac_given);
    static const uint8_t mac[6] = { 0x02, 0x0a, 0xbc, 0x00, 0x00, 0xff };
    assert_memory_equal(c.mac, mac, 6);
    assert_int_equal(c.mtu, 9000);
    assert_false(c.offload);
}

/* Each bad value is refused with a message naming its parameter. */
static void test_refused(void **state)
{
    (void)state;
    static const struct { const char *param, *key; } bad[] = {
        { "net0-tap=", "--net0-tap" },
        { "net0-tap=0123456789abcdef", "--net0-tap" }, /* 16 > 15 */
        { "net0-tap=a/b", "--net0-tap" },
        { "net0-tap=..", "--net0-tap" },
        { "net0-tun-device=", "--net0-tun-device" },
        { "net0-mac=02:00:00:00:00", "--net0-mac" },
        { "net0-mac=02:00:00:00:00:0g", "--net0-mac" },
        { "net0-mac=02:00:00:00:00:000", "--net0-mac" },
        { "net0-mac=01:00:5e:00:00:01", "--net0-mac" }, /* multicast */
        { "net0-mtu=67", "--net0-mtu" },
        { "net0-mtu=65522", "--net0-mtu" },
        { "net0-mtu=-1", "--net0-mtu" },
        { "net0-mtu=1500x", "--net0-mtu" },
        { "net0-mtu=", "--net0-mtu" },
        { "net0-offload=yes", "--net0-offload" },
        { "net0-offload=", "--net0-offload" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *p[] = { bad[i].param, NULL };
        struct tap_config c;
        char err[256] = "";
        assert_int_equal(read_with(p, &c, err), -1);
        assert_non_null(strstr(err, bad[i].key));
    }
    /* The bounds themselves are fine. */
    static const char *const lo[] = { "net0-mtu=68", "net0-tap=012345678901234", NULL };
    struct tap_config c;
    char err[256];
    assert_int_equal(read_with(lo, &c, err), 0);
    assert_int_equal(c.mtu, 68);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_given),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests_name("netif-tap-config", tests, NULL, NULL);
}
