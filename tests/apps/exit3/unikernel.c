/* The app's return value is the unikernel's exit status: this one is 3. */
#include <mira/console.h>

int unikernel_start(struct mira_console *c)
{
    mira_console_log(c, "exiting with 3");
    return 3;
}
