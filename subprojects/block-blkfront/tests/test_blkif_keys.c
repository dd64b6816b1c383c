/* Unit tests of blkfront's feature negotiation (mira/blkif_keys.h): the
 * backend's xenstore keys, each well-formed, malformed, absent, extreme. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <mira/error.h>
#include <mira/blkif_proto.h>

/* What Linux blkback writes for a 1 GiB file-backed disk. */
static struct mira_blkif_backend_keys linux_keys(void)
{
    return (struct mira_blkif_backend_keys){
        .max_ring_page_order = "4",
        .sectors = "2097152",
        .sector_size = "512",
        .physical_sector_size = "512",
        .info = "0",
        .mode = "w",
        .feature_flush_cache = "1",
        .feature_discard = "1",
        .discard_granularity = "4096",
        .discard_alignment = "0",
        .discard_secure = "0",
        .feature_persistent = "1",
        .feature_max_indirect_segments = "256",
    };
}

/* Sets the key called name in *k, through the driver's lookup table. */
static void set_key(struct mira_blkif_backend_keys *k, const char *name,
                    const char *value)
{
    for (const struct mira_blkif_key *e = mira_blkif_keys; e->name; e++) {
        if (strcmp(e->name, name) == 0) {
            memcpy((char *)k + e->offset, &value, sizeof(value));
            return;
        }
    }
    fail_msg("no key %s", name);
}

static int device(const struct mira_blkif_backend_keys *k,
                  struct mira_blkif_device *d, const char **why)
{
    struct mira_blkif_limits l;
    mira_blkif_limits_default(&l);
    *why = NULL;
    return mira_blkif_negotiate_device(k, &l, d, why);
}

static void test_linux_blkback(void **state)
{
    (void)state;
    struct mira_blkif_backend_keys k = linux_keys();
    struct mira_blkif_limits l;
    struct mira_blkif_transport tr;
    struct mira_blkif_device d;
    const char *why = NULL;
    mira_blkif_limits_default(&l);
    assert_int_equal(mira_blkif_negotiate_transport(&k, &l, &tr, &why), 0);
    assert_int_equal(tr.ring_order, 4);
    assert_int_equal(tr.ring_pages, 16);
    assert_int_equal(tr.ring_size, 512);
    assert_int_equal(mira_blkif_negotiate_device(&k, &l, &d, &why), 0);
    assert_true(d.sectors == 2097152);
    assert_int_equal(d.sector_size, 512);
    assert_int_equal(d.physical_sector_size, 512);
    assert_false(d.readonly);
    assert_true(d.flush);
    assert_int_equal(d.flush_op, BLKIF_OP_FLUSH_DISKCACHE);
    assert_true(d.discard);
    assert_false(d.discard_secure);
    assert_int_equal(d.discard_granularity, 4096);
    assert_int_equal(d.discard_alignment, 0);
    assert_true(d.persistent);
    assert_int_equal(d.indirect_segs, 256);
}

static void test_key_table(void **state)
{
    (void)state;
    size_t n = 0;
    for (const struct mira_blkif_key *e = mira_blkif_keys; e->name; e++)
        n++;
    /* one entry per field, each at its own place */
    assert_int_equal(n, sizeof(struct mira_blkif_backend_keys) / sizeof(char *));
    struct mira_blkif_backend_keys k = {0};
    set_key(&k, "feature-max-indirect-segments", "x");
    set_key(&k, "max-ring-page-order", "y");
    assert_string_equal(k.feature_max_indirect_segments, "x");
    assert_string_equal(k.max_ring_page_order, "y");
}

static void test_parse_u64(void **state)
{
    (void)state;
    uint64_t v = 7;
    assert_int_equal(mira_blkif_parse_u64("0", UINT64_MAX, &v), 0);
    assert_true(v == 0);
    assert_int_equal(mira_blkif_parse_u64("0042", UINT64_MAX, &v), 0);
    assert_true(v == 42);
    assert_int_equal(mira_blkif_parse_u64("18446744073709551615", UINT64_MAX, &v), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(mira_blkif_parse_u64("4294967295", UINT32_MAX, &v), 0);
    assert_true(v == UINT32_MAX);
    v = 7;
    const char *bad[] = {"", "18446744073709551616", "99999999999999999999",
                         "-1", "+1", " 1", "1 ", "0x10", "1e3", "12a"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(mira_blkif_parse_u64(bad[i], UINT64_MAX, &v), MIRA_ECORRUPT);
    assert_int_equal(mira_blkif_parse_u64("4294967296", UINT32_MAX, &v), MIRA_ECORRUPT);
    assert_true(v == 7); /* untouched on failure */
}

static void test_ring_size(void **state)
{
    (void)state;
    assert_int_equal(mira_blkif_ring_size(1), 32);
    assert_int_equal(mira_blkif_ring_size(2), 64);
    assert_int_equal(mira_blkif_ring_size(4), 128);
    assert_int_equal(mira_blkif_ring_size(8), 256);
    assert_int_equal(mira_blkif_ring_size(16), 512);
}

static int transport(const char *order, const char *pages, unsigned ours,
                     struct mira_blkif_transport *tr, const char **why)
{
    struct mira_blkif_backend_keys k = {.max_ring_page_order = order,
                                        .max_ring_pages = pages};
    struct mira_blkif_limits l;
    mira_blkif_limits_default(&l);
    l.max_ring_order = ours;
    *why = NULL;
    return mira_blkif_negotiate_transport(&k, &l, tr, why);
}

static void test_transport(void **state)
{
    (void)state;
    struct mira_blkif_transport tr;
    const char *why;
    /* absent: one page */
    assert_int_equal(transport(NULL, NULL, 4, &tr, &why), 0);
    assert_int_equal(tr.ring_order, 0);
    assert_int_equal(tr.ring_pages, 1);
    assert_int_equal(tr.ring_size, 32);
    /* min(backend, ours) both ways */
    assert_int_equal(transport("2", NULL, 4, &tr, &why), 0);
    assert_int_equal(tr.ring_pages, 4);
    assert_int_equal(transport("6", NULL, 4, &tr, &why), 0);
    assert_int_equal(tr.ring_order, 4);
    assert_int_equal(transport("4", NULL, 1, &tr, &why), 0);
    assert_int_equal(tr.ring_order, 1);
    assert_int_equal(transport("16", NULL, 99, &tr, &why), 0); /* ours capped */
    assert_int_equal(tr.ring_order, MIRA_BLKIF_RING_ORDER_MAX);
    /* the deprecated key, alone and with the other: the larger wins */
    assert_int_equal(transport(NULL, "8", 4, &tr, &why), 0);
    assert_int_equal(tr.ring_order, 3);
    assert_int_equal(transport("1", "8", 4, &tr, &why), 0);
    assert_int_equal(tr.ring_order, 3);
    assert_int_equal(transport("3", "2", 4, &tr, &why), 0);
    assert_int_equal(tr.ring_order, 3);
}

static void test_transport_refused(void **state)
{
    (void)state;
    struct mira_blkif_transport tr;
    const char *why;
    static const struct {
        const char *order, *pages, *why;
    } bad[] = {
        {"", NULL, "max-ring-page-order: not a decimal uint32"},
        {"-1", NULL, "max-ring-page-order: not a decimal uint32"},
        {"4 ", NULL, "max-ring-page-order: not a decimal uint32"},
        {"4294967296", NULL, "max-ring-page-order: not a decimal uint32"},
        {"17", NULL, "max-ring-page-order: absurdly large"},
        {"4294967295", NULL, "max-ring-page-order: absurdly large"},
        {NULL, "0", "max-ring-pages: not a power of 2"},
        {NULL, "3", "max-ring-pages: not a power of 2"},
        {NULL, "x", "max-ring-pages: not a decimal uint32"},
        {NULL, "2147483648", "max-ring-pages: absurdly large"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(transport(bad[i].order, bad[i].pages, 4, &tr, &why),
                         MIRA_ECORRUPT);
        assert_string_equal(why, bad[i].why);
    }
    /* the largest sane values */
    assert_int_equal(transport("16", "65536", 4, &tr, &why), 0);
}

static void test_required_keys(void **state)
{
    (void)state;
    struct mira_blkif_device d;
    const char *why;
    static const char *const required[] = {"sectors", "sector-size", "info"};
    for (size_t i = 0; i < 3; i++) {
        struct mira_blkif_backend_keys k = linux_keys();
        set_key(&k, required[i], NULL);
        assert_int_equal(device(&k, &d, &why), MIRA_ENOENT);
        assert_non_null(why);
        assert_memory_equal(why, required[i], strlen(required[i]));
    }
}

/* Every key malformed on its own: a clear error naming that key. */
static void test_each_key_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *key, *value;
        int rc;
    } bad[] = {
        {"sectors", "", MIRA_ECORRUPT},
        {"sectors", "1k", MIRA_ECORRUPT},
        {"sectors", "18446744073709551616", MIRA_ECORRUPT},
        {"sector-size", "0", MIRA_ECORRUPT},
        {"sector-size", "256", MIRA_ECORRUPT},
        {"sector-size", "513", MIRA_ECORRUPT},
        {"sector-size", "1536", MIRA_ECORRUPT},
        {"sector-size", "4294967296", MIRA_ECORRUPT},
        {"sector-size", "8192", MIRA_ENOTSUP},
        {"physical-sector-size", "256", MIRA_ECORRUPT},
        {"physical-sector-size", "768", MIRA_ECORRUPT},
        {"physical-sector-size", "0", MIRA_ECORRUPT},
        {"physical-sector-size", "4k", MIRA_ECORRUPT},
        {"info", "-4", MIRA_ECORRUPT},
        {"info", "0x4", MIRA_ECORRUPT},
        {"mode", "", MIRA_ECORRUPT},
        {"mode", "rw", MIRA_ECORRUPT},
        {"mode", "x", MIRA_ECORRUPT},
        {"feature-flush-cache", "2", MIRA_ECORRUPT},
        {"feature-flush-cache", "", MIRA_ECORRUPT},
        {"feature-barrier", "yes", MIRA_ECORRUPT},
        {"feature-discard", "01", MIRA_ECORRUPT},
        {"discard-granularity", "abc", MIRA_ECORRUPT},
        {"discard-granularity", "1000", MIRA_ECORRUPT},
        {"discard-alignment", "-1", MIRA_ECORRUPT},
        {"discard-alignment", "4096", MIRA_ECORRUPT},  /* not below 4096 */
        {"discard-alignment", "100", MIRA_ECORRUPT},
        {"discard-secure", "true", MIRA_ECORRUPT},
        {"feature-persistent", " 1", MIRA_ECORRUPT},
        {"feature-max-indirect-segments", "256 ", MIRA_ECORRUPT},
        {"feature-max-indirect-segments", "4294967296", MIRA_ECORRUPT},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct mira_blkif_backend_keys k = linux_keys();
        struct mira_blkif_device d;
        const char *why;
        set_key(&k, bad[i].key, bad[i].value);
        int rc = device(&k, &d, &why);
        if (rc != bad[i].rc)
            fail_msg("%s=\"%s\": %d, not %d", bad[i].key, bad[i].value, rc, bad[i].rc);
        assert_non_null(why);
        if (strncmp(why, bad[i].key, strlen(bad[i].key)) != 0)
            fail_msg("%s=\"%s\": reason \"%s\" does not name the key",
                     bad[i].key, bad[i].value, why);
    }
}

/* Absent optional keys: blkif.h's defaults, every feature off. */
static void test_optional_absent(void **state)
{
    (void)state;
    struct mira_blkif_backend_keys k = {
        .sectors = "8", .sector_size = "512", .info = "0",
    };
    struct mira_blkif_device d;
    const char *why;
    assert_int_equal(device(&k, &d, &why), 0);
    assert_true(d.sectors == 8);
    assert_int_equal(d.physical_sector_size, 512);
    assert_false(d.readonly);
    assert_false(d.flush);
    assert_false(d.discard);
    assert_false(d.persistent);
    assert_int_equal(d.indirect_segs, 0);
}

static void test_geometry(void **state)
{
    (void)state;
    struct mira_blkif_backend_keys k = linux_keys();
    struct mira_blkif_device d;
    const char *why;
    /* 4096-byte sectors: "sectors" counts 512-byte units */
    set_key(&k, "sector-size", "4096");
    set_key(&k, "physical-sector-size", NULL);
    set_key(&k, "sectors", "2097152");
    assert_int_equal(device(&k, &d, &why), 0);
    assert_true(d.sectors == 262144);
    assert_int_equal(d.sector_size, 4096);
    assert_int_equal(d.physical_sector_size, 4096);
    set_key(&k, "sectors", "2097153");
    assert_int_equal(device(&k, &d, &why), MIRA_ECORRUPT);
    assert_string_equal(why, "sectors: not a whole number of sector-size blocks");
    /* 512e: physical 4096 over logical 512 */
    k = linux_keys();
    set_key(&k, "physical-sector-size", "4096");
    assert_int_equal(device(&k, &d, &why), 0);
    assert_int_equal(d.physical_sector_size, 4096);
    /* extremes */
    set_key(&k, "sectors", "0");
    assert_int_equal(device(&k, &d, &why), 0);
    assert_true(d.sectors == 0);
    set_key(&k, "sectors", "18446744073709551615");
    assert_int_equal(device(&k, &d, &why), 0);
    assert_true(d.sectors == UINT64_MAX);
}

static void test_readonly(void **state)
{
    (void)state;
    struct mira_blkif_backend_keys k = linux_keys();
    struct mira_blkif_device d;
    const char *why;
    set_key(&k, "mode", "r");
    assert_int_equal(device(&k, &d, &why), 0);
    assert_true(d.readonly);
    set_key(&k, "mode", NULL);
    set_key(&k, "info", "4"); /* VDISK_READONLY */
    assert_int_equal(device(&k, &d, &why), 0);
    assert_true(d.readonly);
    assert_int_equal(d.info, VDISK_READONLY);
    set_key(&k, "info", "3"); /* cdrom, removable: still writable */
    assert_int_equal(device(&k, &d, &why), 0);
    assert_false(d.readonly);
}

static void test_flush(void **state)
{
    (void)state;
    struct mira_blkif_backend_keys k = linux_keys();
    struct mira_blkif_device d;
    const char *why;
    set_key(&k, "feature-flush-cache", "0");
    assert_int_equal(device(&k, &d, &why), 0);
    assert_false(d.flush);
    set_key(&k, "feature-barrier", "1");
    assert_int_equal(device(&k, &d, &why), 0);
    assert_true(d.flush);
    assert_int_equal(d.flush_op, BLKIF_OP_WRITE_BARRIER);
    set_key(&k, "feature-flush-cache", "1"); /* preferred when both */
    assert_int_equal(device(&k, &d, &why), 0);
    assert_int_equal(d.flush_op, BLKIF_OP_FLUSH_DISKCACHE);
}

static void test_discard(void **state)
{
    (void)state;
    struct mira_blkif_backend_keys k = linux_keys();
    struct mira_blkif_device d;
    const char *why;
    /* off: its parameters are not even looked at */
    set_key(&k, "feature-discard", "0");
    set_key(&k, "discard-granularity", "garbage");
    assert_int_equal(device(&k, &d, &why), 0);
    assert_false(d.discard);
    /* on, parameters absent: granularity = sector size, alignment 0 */
    set_key(&k, "feature-discard", "1");
    set_key(&k, "discard-granularity", NULL);
    set_key(&k, "discard-alignment", NULL);
    set_key(&k, "discard-secure", NULL);
    assert_int_equal(device(&k, &d, &why), 0);
    assert_true(d.discard);
    assert_int_equal(d.discard_granularity, 512);
    assert_int_equal(d.discard_alignment, 0);
    assert_false(d.discard_secure);
    set_key(&k, "discard-granularity", "0"); /* read as Linux does */
    assert_int_equal(device(&k, &d, &why), 0);
    assert_int_equal(d.discard_granularity, 512);
    set_key(&k, "discard-granularity", "1048576");
    set_key(&k, "discard-alignment", "1048064");
    set_key(&k, "discard-secure", "1");
    assert_int_equal(device(&k, &d, &why), 0);
    assert_int_equal(d.discard_granularity, 1048576);
    assert_int_equal(d.discard_alignment, 1048064);
    assert_true(d.discard_secure);
}

static void test_persistent(void **state)
{
    (void)state;
    struct mira_blkif_backend_keys k = linux_keys();
    struct mira_blkif_limits l;
    struct mira_blkif_device d;
    const char *why;
    mira_blkif_limits_default(&l);
    assert_int_equal(mira_blkif_negotiate_device(&k, &l, &d, &why), 0);
    assert_true(d.persistent);
    l.persistent = false;
    assert_int_equal(mira_blkif_negotiate_device(&k, &l, &d, &why), 0);
    assert_false(d.persistent);
    l.persistent = true;
    set_key(&k, "feature-persistent", "0");
    assert_int_equal(mira_blkif_negotiate_device(&k, &l, &d, &why), 0);
    assert_false(d.persistent);
}

static unsigned indirect(const char *backend, unsigned ours)
{
    struct mira_blkif_backend_keys k = linux_keys();
    struct mira_blkif_limits l;
    struct mira_blkif_device d;
    const char *why;
    mira_blkif_limits_default(&l);
    l.max_indirect_segs = ours;
    k.feature_max_indirect_segments = backend;
    assert_int_equal(mira_blkif_negotiate_device(&k, &l, &d, &why), 0);
    return d.indirect_segs;
}

static void test_indirect(void **state)
{
    (void)state;
    assert_int_equal(indirect(NULL, 256), 0);
    assert_int_equal(indirect("0", 256), 0);
    assert_int_equal(indirect("256", 256), 256);
    assert_int_equal(indirect("1024", 256), 256);
    assert_int_equal(indirect("32", 256), 32);
    assert_int_equal(indirect("11", 256), 0);  /* no better than direct */
    assert_int_equal(indirect("12", 256), 12);
    assert_int_equal(indirect("256", 0), 0);   /* ours off */
    assert_int_equal(indirect("4294967295", 1024), 1024);
    assert_int_equal(indirect("4294967295", 100000), MIRA_BLKIF_INDIRECT_SEGS_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linux_blkback),
        cmocka_unit_test(test_key_table),
        cmocka_unit_test(test_parse_u64),
        cmocka_unit_test(test_ring_size),
        cmocka_unit_test(test_transport),
        cmocka_unit_test(test_transport_refused),
        cmocka_unit_test(test_required_keys),
        cmocka_unit_test(test_each_key_malformed),
        cmocka_unit_test(test_optional_absent),
        cmocka_unit_test(test_geometry),
        cmocka_unit_test(test_readonly),
        cmocka_unit_test(test_flush),
        cmocka_unit_test(test_discard),
        cmocka_unit_test(test_persistent),
        cmocka_unit_test(test_indirect),
    };
    return cmocka_run_group_tests_name("blkif-keys", tests, NULL, NULL);
}
