/* tests/xen/guests/canary: a smashed stack canary (-fstack-protector-strong) is
 * reported as a crash with a message. */
#include <string.h>
#include <mira/console.h>

static void __attribute__((noinline)) smash(const char *src, size_t n)
{
    char buf[16];
    memcpy(buf, src, n); /* n > sizeof(buf): overwrites the canary */
    __asm__ volatile("" : : "r"(buf) : "memory");
}

int unikernel_start(struct mira_console *c)
{
    static char junk[64];
    memset(junk, 'A', sizeof(junk));
    mira_console_log(c, "canary: overflowing a stack buffer");
    smash(junk, sizeof(junk));
    mira_console_log(c, "canary: FAIL: not detected");
    return 1;
}
