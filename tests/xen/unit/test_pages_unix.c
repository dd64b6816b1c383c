/* mira/page.h on the unix platform (runtime/src/platform/unix/page.c):
 * alignment, zeroing, contiguity, reuse after free. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <mira/page.h>

static void test_alloc_aligned_zeroed(void **state)
{
    (void)state;
    for (size_t n = 1; n <= 9; n += 4) {
        unsigned char *p = mira_pages_alloc(n, MIRA_PAGE_ZERO);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % MIRA_PAGE_SIZE, 0);
        for (size_t i = 0; i < n * MIRA_PAGE_SIZE; i++)
            assert_int_equal(p[i], 0);
        memset(p, 0x5a, n * MIRA_PAGE_SIZE); /* all n pages are ours */
        mira_pages_free(p, n);
    }
}

static void test_free_null(void **state)
{
    (void)state;
    mira_pages_free(NULL, 3); /* does nothing */
}

static void test_distinct(void **state)
{
    (void)state;
    char *a = mira_pages_alloc(2, 0), *b = mira_pages_alloc(2, 0);
    assert_non_null(a);
    assert_non_null(b);
    assert_true(a + 2 * MIRA_PAGE_SIZE <= b || b + 2 * MIRA_PAGE_SIZE <= a);
    mira_pages_free(a, 2);
    mira_pages_free(b, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_aligned_zeroed),
        cmocka_unit_test(test_free_null),
        cmocka_unit_test(test_distinct),
    };
    return cmocka_run_group_tests_name("pages (unix)", tests, NULL, NULL);
}
