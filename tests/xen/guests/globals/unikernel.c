/* tests/xen/guests/globals: initialised data is loaded and writable, .bss is
 * zero, and the heap works. */
#include <stdlib.h>
#include <string.h>
#include <mira/console.h>

static int counter = 41;
static char text[] = "initialised";
static long zeroes[4096];
static const char ro[] = "read-only";

int unikernel_start(struct mira_console *c)
{
    for (size_t i = 0; i < sizeof(zeroes) / sizeof(zeroes[0]); i++)
        if (zeroes[i] != 0) {
            mira_console_log(c, "globals: FAIL: .bss not zero at %zu", i);
            return 1;
        }
    if (counter != 41 || strcmp(text, "initialised") != 0 || strcmp(ro, "read-only")) {
        mira_console_log(c, "globals: FAIL: initialised data wrong");
        return 1;
    }
    counter++;
    text[0] = 'I';
    zeroes[100] = 7;
    if (counter != 42 || text[0] != 'I' || zeroes[100] != 7) {
        mira_console_log(c, "globals: FAIL: data not writable");
        return 1;
    }
    char *p = malloc(100000);
    char *q = calloc(10, 1000);
    if (!p || !q) {
        mira_console_log(c, "globals: FAIL: malloc");
        return 1;
    }
    memset(p, 0xab, 100000);
    for (int i = 0; i < 10000; i++)
        if (q[i]) {
            mira_console_log(c, "globals: FAIL: calloc not zero");
            return 1;
        }
    free(p);
    free(q);
    mira_console_log(c, "globals: ok");
    return 0;
}
