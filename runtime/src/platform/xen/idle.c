/*
 * idle.c - the scheduler's idle wait (mira_platform_wait) and the halt
 * beneath it (see mira/xen/idle.h).
 *
 * mira_xen_idle_until arms the single-shot timer
 * (VCPUOP_set_singleshot_timer, delivered as VIRQ_TIMER) for the deadline
 * and halts.  Events are kept masked in the CPU (IF=0) at all times except
 * in "sti; hlt": the interrupt shadow of sti makes the pending check and
 * the halt atomic, so an event that arrives after the check still ends
 * the halt.  (On a PVH vCPU, Xen's HLT handling is SCHEDOP_block; calling
 * SCHEDOP_block itself with IF=0 could sleep through an event, because Xen
 * checks for events deliverable to the guest, and none is while IF=0.)
 */
#include <stdint.h>
#include <mira/xen/evtchn.h>
#include <mira/xen/hvm.h>
#include <mira/xen/idle.h>
#include "../../platform.h"
#include "xen_internal.h"

bool mira_xen_sched_running;
bool mira_xen_stopping;
unsigned long mira_xen_halts; /* statistics, logged at exit (debug) */
static evtchn_port_t timer_port;

/* The timer's only job is to end the halt. */
static void timer_event(evtchn_port_t port, void *arg)
{
    (void)port;
    (void)arg;
}

void mira_xen_idle_init(void)
{
    if (!mira_xen_present)
        return;
    MIRA_HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);
    if (mira_evtchn_bind_virq(VIRQ_TIMER, &timer_port) == 0)
        mira_evtchn_bind(timer_port, timer_event, NULL);
}

void mira_xen_idle_until(mira_time_t deadline)
{
    if (!mira_xen_present) {
        while (mira_platform_monotonic() < deadline)
            __asm__ volatile("pause");
        return;
    }
    volatile struct vcpu_info *v = mira_xen_vcpu_info;
    /* An event still pending (not yet dispatched) means no new one can end
     * a halt: Xen raises the upcall only when a port's pending bit, and
     * its word's bit in evtchn_pending_sel, go from 0 to 1 (2-level ABI).
     * The entry stub cleared evtchn_upcall_pending when the first one came;
     * halting now, even our own timer's VIRQ would never wake us. */
    if (v->evtchn_upcall_pending || v->evtchn_pending_sel)
        return;
    if (deadline != MIRA_TIME_NEVER) {
        struct vcpu_set_singleshot_timer t = {
            .timeout_abs_ns = mira_xen_system_time_at(deadline),
            .flags = 0,
        };
        MIRA_HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t);
    }
    if (v->evtchn_upcall_pending || v->evtchn_pending_sel)
        return;
    mira_xen_halts++;
    __asm__ volatile("sti; hlt; cli" ::: "memory");
}

void mira_platform_wait(mira_time_t deadline)
{
    for (;;) {
        if (mira_xen_present && mira_evtchn_dispatch() > 0)
            return;
        if (mira_platform_monotonic() >= deadline)
            return;
        mira_xen_idle_until(deadline);
    }
}
