/* Unit tests of the xenbus handshake's pure parts (runtime/src/platform/
 * xen/xenbus_proto.c): paths, backend values, state verdicts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <mira/error.h>
#include <mira/xen/xenbus_proto.h>

static void test_join(void **state)
{
    (void)state;
    char b[32];
    assert_int_equal(mira_xenbus_join(b, sizeof(b), "device/vbd", "51712"), 0);
    assert_string_equal(b, "device/vbd/51712");
    assert_int_equal(mira_xenbus_join(b, 16, "device/vbd", "51712"), MIRA_EINVAL);
    assert_string_equal(b, "");
    assert_int_equal(mira_xenbus_join(b, 17, "device/vbd", "51712"), 0); /* exactly */
    assert_int_equal(mira_xenbus_join(b, sizeof(b), "", "x"), MIRA_EINVAL);
    assert_int_equal(mira_xenbus_join(b, sizeof(b), "x", ""), MIRA_EINVAL);
}

static void test_frontend_path(void **state)
{
    (void)state;
    char b[32];
    assert_int_equal(mira_xenbus_frontend_path(b, sizeof(b), "vbd", 51728), 0);
    assert_string_equal(b, "device/vbd/51728");
    assert_int_equal(mira_xenbus_frontend_path(b, sizeof(b), "vif", 0), 0);
    assert_string_equal(b, "device/vif/0");
    assert_int_equal(mira_xenbus_frontend_path(b, sizeof(b), "vif", -1), MIRA_EINVAL);
    assert_int_equal(mira_xenbus_frontend_path(b, sizeof(b), "a/b", 1), MIRA_EINVAL);
    assert_int_equal(mira_xenbus_frontend_path(b, sizeof(b), "", 1), MIRA_EINVAL);
    assert_int_equal(mira_xenbus_frontend_path(b, 12, "vbd", 51728), MIRA_EINVAL);
}

static void test_parse_u64(void **state)
{
    (void)state;
    uint64_t v = 7;
    assert_int_equal(mira_xenbus_parse_u64("0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(mira_xenbus_parse_u64("2048", &v), 0);
    assert_int_equal(v, 2048);
    assert_int_equal(mira_xenbus_parse_u64("18446744073709551615", &v), 0);
    assert_true(v == UINT64_MAX);
    v = 7;
    assert_int_equal(mira_xenbus_parse_u64("18446744073709551616", &v), MIRA_ECORRUPT);
    assert_int_equal(mira_xenbus_parse_u64("", &v), MIRA_ECORRUPT);
    assert_int_equal(mira_xenbus_parse_u64("-1", &v), MIRA_ECORRUPT);
    assert_int_equal(mira_xenbus_parse_u64(" 1", &v), MIRA_ECORRUPT);
    assert_int_equal(mira_xenbus_parse_u64("12a", &v), MIRA_ECORRUPT);
    assert_int_equal(mira_xenbus_parse_u64("0x10", &v), MIRA_ECORRUPT);
    assert_int_equal(v, 7); /* untouched on error */
}

static void test_parse_state_domid(void **state)
{
    (void)state;
    XenbusState s = XenbusStateUnknown;
    assert_int_equal(mira_xenbus_parse_state("4", &s), 0);
    assert_int_equal(s, XenbusStateConnected);
    assert_int_equal(mira_xenbus_parse_state("8", &s), 0);
    assert_int_equal(mira_xenbus_parse_state("9", &s), MIRA_ECORRUPT);
    assert_int_equal(mira_xenbus_parse_state("", &s), MIRA_ECORRUPT);
    uint16_t d = 1;
    assert_int_equal(mira_xenbus_parse_domid("0", &d), 0);
    assert_int_equal(d, 0);
    assert_int_equal(mira_xenbus_parse_domid("32751", &d), 0);
    assert_int_equal(mira_xenbus_parse_domid("32752", &d), MIRA_ECORRUPT); /* reserved */
    assert_int_equal(mira_xenbus_parse_domid("65536", &d), MIRA_ECORRUPT);
}

static void test_verdict(void **state)
{
    (void)state;
    unsigned conn = MIRA_XENBUS_BIT(XenbusStateConnected);
    assert_int_equal(mira_xenbus_verdict(XenbusStateInitWait, conn), MIRA_XENBUS_WAIT);
    assert_int_equal(mira_xenbus_verdict(XenbusStateInitialising, conn), MIRA_XENBUS_WAIT);
    assert_int_equal(mira_xenbus_verdict(XenbusStateUnknown, conn), MIRA_XENBUS_WAIT);
    assert_int_equal(mira_xenbus_verdict(XenbusStateConnected, conn), MIRA_XENBUS_REACHED);
    assert_int_equal(mira_xenbus_verdict(XenbusStateClosing, conn), MIRA_XENBUS_GONE);
    assert_int_equal(mira_xenbus_verdict(XenbusStateClosed, conn), MIRA_XENBUS_GONE);
    /* When closing is what we wait for, it is reached, not "gone". */
    unsigned closing = MIRA_XENBUS_BIT(XenbusStateClosing) | MIRA_XENBUS_BIT(XenbusStateClosed);
    assert_int_equal(mira_xenbus_verdict(XenbusStateClosing, closing), MIRA_XENBUS_REACHED);
    assert_int_equal(mira_xenbus_verdict(XenbusStateClosed, closing), MIRA_XENBUS_REACHED);
    assert_int_equal(mira_xenbus_verdict(XenbusStateConnected, closing), MIRA_XENBUS_WAIT);
    /* Waiting for Closed alone: Closing is on the way, not gone. */
    unsigned closed = MIRA_XENBUS_BIT(XenbusStateClosed);
    assert_int_equal(mira_xenbus_verdict(XenbusStateClosing, closed), MIRA_XENBUS_WAIT);
    assert_int_equal(mira_xenbus_verdict(XenbusStateClosed, closed), MIRA_XENBUS_REACHED);
    assert_int_equal(mira_xenbus_verdict((XenbusState)40, conn), MIRA_XENBUS_WAIT);
    assert_string_equal(mira_xenbus_state_name(XenbusStateInitWait), "InitWait");
    assert_string_equal(mira_xenbus_state_name((XenbusState)9), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join),
        cmocka_unit_test(test_frontend_path),
        cmocka_unit_test(test_parse_u64),
        cmocka_unit_test(test_parse_state_domid),
        cmocka_unit_test(test_verdict),
    };
    return cmocka_run_group_tests_name("xen xenbus proto", tests, NULL, NULL);
}
