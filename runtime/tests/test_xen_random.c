/* Unit test of the xen platform's randomness (platform/xen/random.c),
 * compiled natively: the host CPU runs the same CPUID, RDRAND and RDTSC
 * instructions a guest does.  Xen's clock is stubbed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "platform/xen/random.c"

bool mira_xen_present = false;
struct vcpu_info *mira_xen_vcpu_info = NULL;
uint64_t mira_xen_system_time(void)
{
    return 0;
}

static void fill(void *buf, size_t n)
{
    mira_platform_random(buf, n);
}

static void check_buffer(void)
{
    static uint8_t a[4096], b[4096];
    fill(a, sizeof(a));
    fill(b, sizeof(b));
    assert_memory_not_equal(a, b, 32);
    int seen[256] = { 0 }, distinct = 0;
    for (size_t i = 0; i < sizeof(a); i++)
        if (seen[a[i]]++ == 0)
            distinct++;
    assert_true(distinct >= 200);
    uint8_t c[19] = { 0 };
    for (int tries = 0; tries < 4 && (c[1] == 0 || c[17] == 0); tries++)
        fill(c + 1, 17);
    assert_true(c[1] != 0 || c[17] != 0);
    assert_int_equal(c[0], 0);
    assert_int_equal(c[18], 0);
}

/* Whatever this CPU offers (RDRAND on most x86_64 hosts). */
static void test_cpu_source(void **state)
{
    (void)state;
    source = SOURCE_UNKNOWN;
    check_buffer();
    uint32_t r[4];
    cpuid(1, 0, r);
    if ((r[2] >> 30) & 1)
        assert_int_equal(source, SOURCE_RDRAND);
}

/* The fallback for CPUs without RDRAND. */
static void test_chacha_fallback(void **state)
{
    (void)state;
    source = SOURCE_UNKNOWN;
    choose_source(); /* seeds the key */
    source = SOURCE_CHACHA;
    uint32_t key_before[8];
    memcpy(key_before, key, sizeof(key));
    check_buffer();
    /* Each call replaces the key (fast key erasure). */
    assert_memory_not_equal(key_before, key, sizeof(key));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpu_source),
        cmocka_unit_test(test_chacha_fallback),
    };
    return cmocka_run_group_tests_name("xen-random", tests, NULL, NULL);
}
