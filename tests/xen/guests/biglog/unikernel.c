/* tests/xen/guests/biglog: 64 KiB of log lines (mira_log), 32 times the
 * console ring, written faster than xenconsoled drains it, so the
 * runtime's diagnostic channel (platform/xen/diag.c) halts the guest
 * again and again for room.  Each halt ends with the timer's event, which
 * stays pending unless the wait dispatches it; Xen raises no upcall for
 * an event already pending, so before the fix the second such halt never
 * ended and the guest hung (the tcpecho guest's 10 MiB echo stalled so).
 * The verdict: the guest powers off with status 0 (lines may be dropped
 * when nobody reads the console for 2 s: only the first and last lines
 * of a run that did not drop are certain, so only the status counts). */
#include <string.h>
#include <mira/console.h>
#include <mira/log.h>

int unikernel_start(struct mira_console *c)
{
    char fill[128];
    memset(fill, 'y', sizeof(fill));
    mira_console_log(c, "biglog: start");
    for (int i = 0; i < 512; i++)
        mira_log(MIRA_LOG_INFO, "biglog", "%03d %.100s", i, fill);
    mira_console_log(c, "biglog: done");
    return 0;
}
