/* Every fiber waits on a queue nobody will wake: the runtime must report a
 * deadlock and exit with MIRA_EXIT_DEADLOCK instead of hanging. */
#include <mira/console.h>
#include <mira/fiber.h>

static struct mira_waitq never = MIRA_WAITQ_INIT;

static void helper(void *arg)
{
    (void)arg;
    mira_wait(&never);
}

int unikernel_start(struct mira_console *c)
{
    mira_spawn("helper", helper, NULL, 0);
    mira_console_log(c, "waiting forever");
    mira_wait(&never);
    mira_console_log(c, "woken: impossible");
    return 0;
}
