/*
 * shutdown.c - how the xen guest ends (mira_platform_exit,
 * mira_platform_crash), by the exit-status contract of docs/xen.md.
 *
 * On Xen: the exit status (or, after a panic, the last diagnostic line)
 * goes to xenstore for the toolstack, the console ring is drained for up
 * to 1 s, then SCHEDOP_shutdown (poweroff or crash).  Without Xen: the
 * status goes to QEMU's isa-debug-exit port 0xf4 (a crash writes 255).
 */
#include <mira/format.h>
#include <mira/log.h>
#include <mira/xen/hvm.h>
#include <mira/xen/xenstore.h>
#include "../../platform.h"
#include "xen_internal.h"

/* Statistics of idle.c and events.c, logged at exit (debug). */
extern unsigned long mira_xen_halts, mira_xen_events;

static _Noreturn void shutdown_now(unsigned reason, int status)
{
    if (mira_xen_present) {
        struct sched_shutdown s = {.reason = reason};
        for (;;)
            MIRA_HYPERVISOR_sched_op(SCHEDOP_shutdown, &s);
    }
    /* QEMU's isa-debug-exit: QEMU exits with (status << 1) | 1. */
    outl(0xf4, (uint32_t)status);
    for (;;)
        __asm__ volatile("cli; hlt");
}

static _Noreturn void stop(unsigned reason, int status)
{
    if (reason != SHUTDOWN_crash)
        mira_log(MIRA_LOG_DEBUG, "xen", "exit status %d after %lu halts, %lu events, "
                 "%lld ms", status, mira_xen_halts, mira_xen_events,
                 (long long)(mira_platform_monotonic() / 1000000));
    mira_xen_stopping = true;
    if (mira_xen_present) {
        char v[16];
        mira_snprintf(v, sizeof(v), "%d", status);
        if (reason == SHUTDOWN_crash)
            mira_xs_write("data/mira-panic", mira_xen_diag_last_line());
        else
            mira_xs_write("data/mira-exit-status", v);
        mira_xen_console_ring_flush(1000);
    }
    shutdown_now(reason, status);
}

_Noreturn void mira_platform_exit(int status)
{
    stop(SHUTDOWN_poweroff, status & 255);
}

_Noreturn void mira_platform_crash(void)
{
    static bool crashing;
    if (crashing) { /* a panic while reporting a panic */
        mira_xen_stopping = true;
        shutdown_now(SHUTDOWN_crash, 255);
    }
    crashing = true;
    stop(SHUTDOWN_crash, 255);
}
