/* tests/xen/guests/stopwait: `xl shutdown` wakes mira_stop_wait (Xen
 * only).  The guest says it waits; dom0 (the rig's dom0_during hook) then
 * runs `xl shutdown`; the guest must see the request, return 0 and power
 * off.  Without the request the wait times out and the status is 1. */
#include <mira/console.h>
#include <mira/stop.h>

int unikernel_start(struct mira_console *c)
{
    mira_stop_catch();
    mira_console_log(c, "stopwait: waiting for a stop request");
    int r = mira_stop_wait(mira_time_add(mira_clock_monotonic(), MIRA_SECONDS(60)));
    if (r < 0) {
        mira_console_log(c, "stopwait: FAIL: %s", mira_strerror(r));
        return 1;
    }
    /* a second wait returns at once */
    if (mira_stop_wait(mira_clock_monotonic()) != 0 || !mira_stop_requested()) {
        mira_console_log(c, "stopwait: FAIL: the request was forgotten");
        return 1;
    }
    mira_console_log(c, "stopwait: asked to stop, ending");
    return 0;
}
