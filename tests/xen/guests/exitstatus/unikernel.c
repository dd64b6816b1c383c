/* tests/xen/guests/exitstatus: the app's return value is the exit status (3). */
#include <mira/console.h>

int unikernel_start(struct mira_console *c)
{
    mira_console_log(c, "exitstatus: returning 3");
    return 3;
}
