/* platform/xen/stop.c - mira/stop.h on xen: the toolstack's shutdown
 * request.  `xl shutdown` (and `xl reboot`) write "poweroff" ("reboot") to
 * the guest's control/shutdown key in xenstore; a guest that has PV drivers
 * (Mira sets the event callback) is expected to notice, clear the key and
 * shut down by itself.  mira_stop_catch watches the key and says, as
 * Linux does, that the guest handles both requests (control/feature-*).
 * One fiber at a time waits for the watch event; other fibers in
 * mira_stop_wait wait on stop_q, which the watching fiber wakes whenever it
 * returns, so one of them takes over the watch or all see the request.
 * Either request ends the unikernel the same way: the app returns and the
 * guest powers off (a reboot request does not restart it).
 * Without Xen (QEMU alone) there is no xenstore: nothing asks to stop, and
 * stop_q, external, keeps a waiting fiber from counting as deadlocked. */
#include <string.h>
#include <mira/fiber.h>
#include <mira/log.h>
#include <mira/stop.h>
#include <mira/xen/xenstore.h>

#define STOP_KEY "control/shutdown"
#define STOP_TOKEN "mira-stop"

static struct mira_waitq stop_q = MIRA_WAITQ_INIT_EXTERNAL;
static bool stop_asked, catching, watching, watcher_busy;

void mira_stop_catch(void)
{
    if (catching)
        return;
    catching = true;
    if (mira_xs_watch(STOP_KEY, STOP_TOKEN) < 0)
        return; /* no xenstore: nothing will ask */
    watching = true;
    (void)mira_xs_write("control/feature-poweroff", "1");
    (void)mira_xs_write("control/feature-reboot", "1");
}

/* Reads the key; true when it asks us to stop (the key is then cleared:
 * the toolstack's sign that the request was taken). */
static bool request_pending(void)
{
    char v[32];
    long n = mira_xs_read(STOP_KEY, v, sizeof(v));
    if (n <= 0)
        return false;
    if (strcmp(v, "poweroff") != 0 && strcmp(v, "reboot") != 0 && strcmp(v, "halt") != 0) {
        mira_log(MIRA_LOG_WARN, "xen", "control/shutdown: '%s' ignored (not poweroff or reboot)", v);
        (void)mira_xs_write(STOP_KEY, "");
        return false;
    }
    mira_log(MIRA_LOG_INFO, "xen", "asked to stop (%s)", v);
    (void)mira_xs_write(STOP_KEY, "");
    return true;
}

int mira_stop_wait(mira_time_t deadline)
{
    mira_stop_catch();
    while (!stop_asked) {
        if (!watching || watcher_busy) {
            if (mira_wait_until(&stop_q, deadline) == MIRA_ETIMEDOUT)
                return stop_asked ? MIRA_OK : MIRA_ETIMEDOUT;
            continue;
        }
        watcher_busy = true;
        int r = 0;
        if (request_pending())
            stop_asked = true;
        else {
            char path[64];
            r = mira_xs_wait_watch(STOP_TOKEN, path, sizeof(path), deadline);
            if (r == 0 && request_pending())
                stop_asked = true;
            else if (r < 0 && r != MIRA_ETIMEDOUT)
                watching = false; /* the watch is gone: wait as without Xen */
        }
        watcher_busy = false;
        mira_wake_all(&stop_q);
        if (r == MIRA_ETIMEDOUT)
            return stop_asked ? MIRA_OK : MIRA_ETIMEDOUT;
    }
    return MIRA_OK;
}

bool mira_stop_requested(void)
{
    return stop_asked;
}
