/*
 * mira/xen/idle.h - halting the whole guest until an event or a deadline.
 *
 * Below the fibers: the vCPU itself stops (not one fiber), so this is for
 * code that must wait when no fiber can, e.g. a driver polling a ring
 * before the scheduler runs, or the shutdown path.  A fiber waits with
 * mira_wait / mira_sleep instead.
 */
#ifndef MIRA_XEN_IDLE_H
#define MIRA_XEN_IDLE_H

#include <mira/time.h>

/* Halts the guest until some event channel event is pending or the
 * monotonic clock reaches deadline (MIRA_TIME_NEVER: no deadline), then
 * returns without dispatching the events (mira_evtchn_dispatch does).
 * May return early; returns at once while an event is pending and not
 * yet dispatched, so a caller that waits in a loop must dispatch (else it
 * spins).  Without Xen it spins until the deadline. */
void mira_xen_idle_until(mira_time_t deadline);

#endif
