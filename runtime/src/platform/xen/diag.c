/*
 * diag.c - the runtime's diagnostic channel on xen
 * (mira_platform_diag_write): every line goes to port 0xe9 (Xen's serial
 * log, or QEMU's debugcon file without Xen) and to the console ring.
 *
 * It never waits on a fiber, so panics and traps can use it: when the
 * ring is full it halts the whole guest 1 ms at a time, dispatching the
 * events that end each halt (as mira_xen_console_ring_flush does: an event
 * left pending would keep the next halt from ever ending), and drops the
 * rest if nobody has read the console for 2 s.  The last line is kept for
 * the crash report in xenstore (shutdown.c).
 */
#include <mira/xen/console_ring.h>
#include <mira/xen/debugcon.h>
#include <mira/xen/evtchn.h>
#include <mira/xen/idle.h>
#include "../../platform.h"
#include "xen_internal.h"

static char last_line[256];
static size_t last_len;
static bool line_done = true;

static void remember(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (line_done) {
            last_len = 0;
            line_done = false;
        }
        if (buf[i] == '\n')
            line_done = true;
        else if (last_len < sizeof(last_line) - 1)
            last_line[last_len++] = buf[i];
    }
    last_line[last_len] = 0;
}

const char *mira_xen_diag_last_line(void)
{
    return last_line;
}

void mira_platform_diag_write(const char *buf, size_t len)
{
    remember(buf, len);
    mira_xen_debugcon_write(buf, len);
    mira_time_t deadline = 0;
    while (len) {
        long n = mira_xen_console_ring_write(buf, len);
        if (n < 0)
            return; /* no console ring: port 0xe9 only */
        buf += n;
        len -= (size_t)n;
        if (len) {
            if (deadline == 0)
                deadline = mira_platform_monotonic() + MIRA_SECONDS(2);
            else if (mira_platform_monotonic() > deadline)
                return; /* nobody reads the console: drop the rest */
            mira_evtchn_dispatch();
            mira_xen_idle_until(mira_platform_monotonic() + MIRA_MILLISECONDS(1));
        }
    }
}
