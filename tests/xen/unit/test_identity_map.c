/* Unit tests of the identity-map check for the ring pages Xen announces
 * (runtime/src/platform/xen/identity_map.h): entry.S maps exactly the
 * first 4 GiB, so pfn 0xfffff is the last usable frame. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "identity_map.h"

static void test_inside(void **state)
{
    (void)state;
    assert_true(mira_xen_identity_mapped_pfn(1));
    assert_true(mira_xen_identity_mapped_pfn(0xfeffc)); /* a typical ring pfn */
    assert_true(mira_xen_identity_mapped_pfn(0xfffff)); /* the last page below 4 GiB */
}

static void test_page_zero(void **state)
{
    (void)state;
    /* unmapped (NULL faults), and "none" in an HVM parameter */
    assert_false(mira_xen_identity_mapped_pfn(0));
}

static void test_above_4gib(void **state)
{
    (void)state;
    assert_false(mira_xen_identity_mapped_pfn(0x100000)); /* the page at 4 GiB */
    assert_false(mira_xen_identity_mapped_pfn(0x100001));
    assert_false(mira_xen_identity_mapped_pfn(0x3fffff)); /* just below 16 GiB */
    assert_false(mira_xen_identity_mapped_pfn(0x400000));
    assert_false(mira_xen_identity_mapped_pfn(UINT64_MAX));
}

static void test_map_size(void **state)
{
    (void)state;
    /* four page directories of 512 entries of 2 MiB, as built by entry.S */
    assert_true(MIRA_XEN_IDENTITY_MAP_BYTES == 4ull * 512 * (2u << 20));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inside),
        cmocka_unit_test(test_page_zero),
        cmocka_unit_test(test_above_4gib),
        cmocka_unit_test(test_map_size),
    };
    return cmocka_run_group_tests_name("xen-identity_map", tests, NULL, NULL);
}
