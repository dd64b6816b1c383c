/* packages/example-app: a unikernel in its own folder, built against the
 * installed Mira packages (docs/using-mira.md).  Says hello on its console
 * three times, a second apart, and exits with status 0. */
#include <mira/console.h>
#include <mira/time.h>

int unikernel_start(struct mira_console *c)
{
    for (int i = 1; i <= 3; i++) {
        mira_console_log(c, "hello from outside the tree (%d/3)", i);
        mira_sleep(MIRA_SECONDS(1));
    }
    mira_console_log(c, "bye");
    return 0;
}
