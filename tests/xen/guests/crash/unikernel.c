/* tests/xen/guests/crash: a NULL dereference is reported as a crash with a
 * message, not a hang. */
#include <mira/console.h>

int unikernel_start(struct mira_console *c)
{
    mira_console_log(c, "crash: dereferencing NULL");
    volatile int *p = (volatile int *)0;
    return *p;
}
