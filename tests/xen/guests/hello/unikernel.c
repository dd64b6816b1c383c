/* tests/xen/guests/hello: the smallest verdict: a line on the console, status 0. */
#include <mira/console.h>

int unikernel_start(struct mira_console *c)
{
    mira_console_log(c, "hello from a Mira unikernel on xen");
    return 0;
}
