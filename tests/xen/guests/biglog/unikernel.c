/* tests/xen/guests/biglog: log lines (mira_log) while nobody reads the
 * console.  It says "biglog: start", sleeps 10 s (its dom0_during hook
 * stops xenconsoled meanwhile, and lets it go on 10 s later), then writes
 * 64 KiB of log lines, 32 times the console ring: the runtime's
 * diagnostic channel (platform/xen/diag.c) halts the guest again and again
 * for room.  The first halt ends with the timer's event, which stays
 * pending unless the wait dispatches it; Xen raises no upcall for an event
 * already pending, so before the fix the second halt never ended and the
 * guest hung (as the tcpecho guest's 10 MiB echo did).  Verdict: "biglog:
 * done" and status 0 (lines written while nobody read for 2 s are dropped
 * by design). */
#include <string.h>
#include <mira/console.h>
#include <mira/log.h>
#include <mira/time.h>

int unikernel_start(struct mira_console *c)
{
    char fill[128];
    memset(fill, 'y', sizeof(fill));
    mira_console_log(c, "biglog: start");
    mira_sleep(MIRA_SECONDS(10));
    for (int i = 0; i < 512; i++)
        mira_log(MIRA_LOG_INFO, "biglog", "%03d %.100s", i, fill);
    mira_console_log(c, "biglog: done");
    return 0;
}
