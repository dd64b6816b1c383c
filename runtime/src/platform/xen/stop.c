/* platform/xen/stop.c - mira/stop.h on xen.  Nothing asks a guest to stop
 * yet: the toolstack's request (xenstore control/shutdown, xl shutdown)
 * will wake stop_q.  The queue is external, so a fiber waiting on it is not
 * taken for a deadlock: an event from outside may still come. */
#include <mira/fiber.h>
#include <mira/stop.h>

static struct mira_waitq stop_q = MIRA_WAITQ_INIT_EXTERNAL;
static bool stop_asked;

void mira_stop_catch(void)
{
}

int mira_stop_wait(mira_time_t deadline)
{
    while (!stop_asked)
        if (mira_wait_until(&stop_q, deadline) == MIRA_ETIMEDOUT)
            return stop_asked ? MIRA_OK : MIRA_ETIMEDOUT;
    return MIRA_OK;
}

bool mira_stop_requested(void)
{
    return stop_asked;
}
