/* Unit tests of the xenstore wire encoding and parsing (mira/xen/xs_proto.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <mira/error.h>
#include <mira/xen/xs_proto.h>

static void test_encode_read(void **state)
{
    (void)state;
    char buf[64];
    long n = mira_xsp_encode(buf, sizeof(buf), XS_READ, 7, 0, "domid", NULL, false);
    assert_int_equal(n, 16 + 6);
    struct xsd_sockmsg h;
    memcpy(&h, buf, sizeof(h));
    assert_int_equal(h.type, XS_READ);
    assert_int_equal(h.req_id, 7);
    assert_int_equal(h.tx_id, 0);
    assert_int_equal(h.len, 6);
    assert_memory_equal(buf + 16, "domid\0", 6);
}

static void test_encode_write_value_not_terminated(void **state)
{
    (void)state;
    char buf[64];
    long n = mira_xsp_encode(buf, sizeof(buf), XS_WRITE, 1, 0,
                             "data/mira-exit-status", "3", false);
    assert_int_equal(n, 16 + 22 + 1);
    struct xsd_sockmsg h;
    memcpy(&h, buf, sizeof(h));
    assert_int_equal(h.type, XS_WRITE);
    assert_int_equal(h.len, 23);
    assert_memory_equal(buf + 16, "data/mira-exit-status\0" "3", 23);
}

static void test_encode_watch_both_terminated(void **state)
{
    (void)state;
    char buf[64];
    long n = mira_xsp_encode(buf, sizeof(buf), XS_WATCH, 2, 0, "device", "tok", true);
    assert_int_equal(n, 16 + 7 + 4);
    assert_memory_equal(buf + 16, "device\0tok\0", 11);
}

static void test_encode_transaction(void **state)
{
    (void)state;
    char buf[64];
    struct xsd_sockmsg h;
    long n = mira_xsp_encode(buf, sizeof(buf), XS_TRANSACTION_START, 3, 0, "", NULL, false);
    assert_int_equal(n, 16 + 1);
    memcpy(&h, buf, sizeof(h));
    assert_int_equal(h.tx_id, 0);
    assert_int_equal(h.len, 1);
    n = mira_xsp_encode(buf, sizeof(buf), XS_TRANSACTION_END, 4, 17, "T", NULL, false);
    assert_int_equal(n, 16 + 2);
    memcpy(&h, buf, sizeof(h));
    assert_int_equal(h.type, XS_TRANSACTION_END);
    assert_int_equal(h.tx_id, 17);
    assert_memory_equal(buf + 16, "T\0", 2);
}

static void test_tx_id(void **state)
{
    (void)state;
    uint32_t tx = 0;
    assert_int_equal(mira_xsp_tx_id("17", 3, &tx), 0);
    assert_int_equal(tx, 17);
    assert_int_equal(mira_xsp_tx_id("4294967295", 10, &tx), 0); /* no NUL */
    assert_int_equal(tx, 4294967295u);
    tx = 5;
    assert_int_equal(mira_xsp_tx_id("4294967296", 11, &tx), MIRA_ECORRUPT);
    assert_int_equal(mira_xsp_tx_id("", 1, &tx), MIRA_ECORRUPT);
    assert_int_equal(mira_xsp_tx_id("", 0, &tx), MIRA_ECORRUPT);
    assert_int_equal(mira_xsp_tx_id("0", 2, &tx), MIRA_ECORRUPT);
    assert_int_equal(mira_xsp_tx_id("1x", 3, &tx), MIRA_ECORRUPT);
    assert_int_equal(mira_xsp_tx_id("-1", 3, &tx), MIRA_ECORRUPT);
    assert_int_equal(mira_xsp_tx_id("12\0" "3", 4, &tx), MIRA_ECORRUPT);
    assert_int_equal(mira_xsp_tx_id("99999999999", 12, &tx), MIRA_ECORRUPT);
    assert_int_equal(tx, 5); /* untouched on failure */
}

static void test_encode_limits(void **state)
{
    (void)state;
    static char big[XENSTORE_PAYLOAD_MAX + 10];
    static char buf[XENSTORE_PAYLOAD_MAX + 100];
    memset(big, 'a', sizeof(big) - 1);
    assert_int_equal(mira_xsp_encode(buf, sizeof(buf), XS_READ, 1, 0, big, NULL, false),
                     MIRA_EINVAL);
    char small[20];
    assert_int_equal(mira_xsp_encode(small, sizeof(small), XS_READ, 1, 0, "abcdef", NULL, false),
                     MIRA_EINVAL);
    big[XENSTORE_PAYLOAD_MAX - 1] = 0; /* 4095 chars + NUL: exactly the max */
    assert_int_equal(mira_xsp_encode(buf, sizeof(buf), XS_READ, 1, 0, big, NULL, false),
                     16 + XENSTORE_PAYLOAD_MAX);
}

static void test_check(void **state)
{
    (void)state;
    struct xsd_sockmsg h = {.type = XS_READ, .len = XENSTORE_PAYLOAD_MAX};
    assert_int_equal(mira_xsp_check(&h), 0);
    h.len++;
    assert_int_equal(mira_xsp_check(&h), MIRA_ECORRUPT);
    h.len = 0;
    h.type = XS_TYPE_COUNT - 1;
    assert_int_equal(mira_xsp_check(&h), 0);
    h.type = XS_TYPE_COUNT; /* not a type */
    assert_int_equal(mira_xsp_check(&h), MIRA_ECORRUPT);
    h.type = XS_INVALID;
    assert_int_equal(mira_xsp_check(&h), MIRA_ECORRUPT);
}

static void test_errors(void **state)
{
    (void)state;
    assert_int_equal(mira_xsp_error("ENOENT", 7), MIRA_ENOENT);
    assert_int_equal(mira_xsp_error("ENOENT", 6), MIRA_ENOENT);
    assert_int_equal(mira_xsp_error("EINVAL", 7), MIRA_EINVAL);
    assert_int_equal(mira_xsp_error("EACCES", 7), MIRA_EIO);
    assert_int_equal(mira_xsp_error("ENOENTX", 8), MIRA_EIO);
    assert_int_equal(mira_xsp_error("", 0), MIRA_EIO);
}

static void test_directory(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(mira_xsp_directory("0\0" "1\0" "51712\0", 10, buf, sizeof(buf)), 3);
    assert_memory_equal(buf, "0\0" "1\0" "51712\0", 10);
    assert_int_equal(mira_xsp_directory("", 0, buf, sizeof(buf)), 0);
    assert_int_equal(mira_xsp_directory("\0", 1, buf, sizeof(buf)), 0);
    /* the last name without its NUL */
    assert_int_equal(mira_xsp_directory("ab\0cd", 5, buf, sizeof(buf)), 2);
    assert_string_equal(buf + 3, "cd");
    assert_int_equal(mira_xsp_directory("abcdef\0", 7, buf, 4), MIRA_ERANGE);
}

static void test_watch_event(void **state)
{
    (void)state;
    const char *path, *token;
    const char ev[] = "device/vbd/51712/state\0tok1\0";
    assert_int_equal(mira_xsp_watch_event(ev, sizeof(ev) - 1, &path, &token), 0);
    assert_string_equal(path, "device/vbd/51712/state");
    assert_string_equal(token, "tok1");
    assert_int_equal(mira_xsp_watch_event("nopath", 6, &path, &token), MIRA_ECORRUPT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_read),
        cmocka_unit_test(test_encode_write_value_not_terminated),
        cmocka_unit_test(test_encode_watch_both_terminated),
        cmocka_unit_test(test_encode_transaction),
        cmocka_unit_test(test_tx_id),
        cmocka_unit_test(test_encode_limits),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_directory),
        cmocka_unit_test(test_watch_event),
    };
    return cmocka_run_group_tests_name("xen-xs-proto", tests, NULL, NULL);
}
