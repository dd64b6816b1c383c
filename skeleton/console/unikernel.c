/* skeleton/console: the tutorial's first unikernel.  Prints "hello" and,
 * one second later, "world", five times, then exits with status 0. */
#include <mira/console.h>
#include <mira/time.h>

int unikernel_start(struct mira_console *c)
{
    for (int i = 0; i < 5; i++) {
        mira_console_log(c, "hello");
        mira_sleep(MIRA_SECONDS(1));
        mira_console_log(c, "world");
    }
    return 0;
}
