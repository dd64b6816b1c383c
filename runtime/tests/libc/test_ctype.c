/* test_ctype.c - the guest's ctype.h ("C" locale) against glibc's in the
 * "C" locale, for EOF and every unsigned char value. */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>
#include "guest_libc.h"

static void test_ctype_all(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int (*guest)(int);
        int (*glibc)(int);
        int is_class; /* compare truth, not value */
    } fns[] = {
        {"isdigit", mira_guest_isdigit, isdigit, 1},
        {"isxdigit", mira_guest_isxdigit, isxdigit, 1},
        {"islower", mira_guest_islower, islower, 1},
        {"isupper", mira_guest_isupper, isupper, 1},
        {"isalpha", mira_guest_isalpha, isalpha, 1},
        {"isalnum", mira_guest_isalnum, isalnum, 1},
        {"isspace", mira_guest_isspace, isspace, 1},
        {"isprint", mira_guest_isprint, isprint, 1},
        {"tolower", mira_guest_tolower, tolower, 0},
        {"toupper", mira_guest_toupper, toupper, 0},
    };
    for (size_t f = 0; f < sizeof(fns) / sizeof(fns[0]); f++) {
        for (int c = EOF; c <= 255; c++) {
            int g = fns[f].guest(c), r = fns[f].glibc(c);
            if (fns[f].is_class)
                g = !!g, r = !!r;
            if (g != r)
                fail_msg("%s(%d): guest %d, glibc %d", fns[f].name, c, g, r);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ctype_all),
    };
    return cmocka_run_group_tests_name("libc-ctype", tests, NULL, NULL);
}
