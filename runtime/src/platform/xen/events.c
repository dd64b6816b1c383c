/*
 * events.c - event channels (2-level ABI) of the xen guest.
 *
 * Xen delivers an upcall on XEN_UPCALL_VECTOR (HVM_PARAM_CALLBACK_IRQ of
 * type "vector"); its entry stub only clears evtchn_upcall_pending, since
 * the guest only enables interrupts while halted.  The pending ports are
 * dispatched here, from the idle loop, to the handler table.  A struct
 * mira_evtchn is a port whose handler (channel_event) marks it fired and
 * wakes its wait queue.  The idle loop's dispatch also retries the grants
 * whose release was deferred (mira_gnttab_end_deferred).
 */
#include <stdint.h>
#include <mira/error.h>
#include <mira/fiber.h>
#include <mira/xen/debugcon.h>
#include <mira/xen/evtchn.h>
#include <mira/xen/idle.h>
#include <mira/xen/gnttab.h>
#include "../../platform.h"
#include "xen_internal.h"

#define BITS_PER_WORD (sizeof(xen_ulong_t) * 8)
#define NR_PORTS (BITS_PER_WORD * BITS_PER_WORD)

static struct {
    mira_evtchn_handler fn;
    void *arg;
} handlers[NR_PORTS];
unsigned long mira_xen_events; /* statistics, logged at exit (debug) */

void mira_xen_events_init(void)
{
    struct shared_info *s = mira_xen_shared_info;
    for (unsigned i = 0; i < BITS_PER_WORD; i++)
        s->evtchn_mask[i] = ~(xen_ulong_t)0;
    struct xen_hvm_param p = {
        .domid = DOMID_SELF,
        .index = HVM_PARAM_CALLBACK_IRQ,
        .value = ((uint64_t)HVM_PARAM_CALLBACK_TYPE_VECTOR << 56) | XEN_UPCALL_VECTOR,
    };
    if (MIRA_HYPERVISOR_hvm_op(HVMOP_set_param, &p)) {
        static const char msg[] = "mira: cannot set the event callback vector\n";
        mira_xen_debugcon_write(msg, sizeof(msg) - 1);
    }
}

int mira_evtchn_bind(evtchn_port_t port, mira_evtchn_handler handler, void *arg)
{
    if (port >= NR_PORTS)
        return MIRA_EINVAL;
    handlers[port].fn = handler;
    handlers[port].arg = arg;
    mira_evtchn_unmask(port);
    return 0;
}

void mira_evtchn_unbind(evtchn_port_t port)
{
    if (port >= NR_PORTS)
        return;
    mira_evtchn_mask(port);
    handlers[port].fn = NULL;
}

int mira_evtchn_close_port(evtchn_port_t port)
{
    mira_evtchn_unbind(port);
    struct evtchn_close c = {.port = port};
    if (MIRA_HYPERVISOR_event_channel_op(EVTCHNOP_close, &c))
        return MIRA_EIO;
    return 0;
}

void mira_evtchn_mask(evtchn_port_t port)
{
    __atomic_fetch_or(&mira_xen_shared_info->evtchn_mask[port / BITS_PER_WORD],
                      (xen_ulong_t)1 << (port % BITS_PER_WORD), __ATOMIC_SEQ_CST);
}

void mira_evtchn_unmask(evtchn_port_t port)
{
    /* The hypercall clears the mask and re-raises a pending event. */
    struct evtchn_unmask u = {.port = port};
    MIRA_HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &u);
}

int mira_evtchn_alloc_unbound(domid_t remote, evtchn_port_t *port)
{
    struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = remote};
    if (MIRA_HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &a))
        return MIRA_EIO;
    *port = a.port;
    return 0;
}

int mira_evtchn_bind_virq(uint32_t virq, evtchn_port_t *port)
{
    struct evtchn_bind_virq b = {.virq = virq, .vcpu = 0};
    if (MIRA_HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &b))
        return MIRA_EIO;
    *port = b.port;
    return 0;
}

void mira_evtchn_notify(evtchn_port_t port)
{
    struct evtchn_send s = {.port = port};
    MIRA_HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
}

int mira_evtchn_dispatch(void)
{
    if (!mira_xen_present)
        return 0;
    mira_gnttab_retry_deferred();
    struct shared_info *s = mira_xen_shared_info;
    struct vcpu_info *v = mira_xen_vcpu_info;
    int handled = 0;
    v->evtchn_upcall_pending = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    xen_ulong_t sel = __atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    while (sel) {
        unsigned w = (unsigned)__builtin_ctzl(sel);
        sel &= sel - 1;
        xen_ulong_t pend;
        while ((pend = __atomic_load_n(&s->evtchn_pending[w], __ATOMIC_SEQ_CST) &
                       ~__atomic_load_n(&s->evtchn_mask[w], __ATOMIC_SEQ_CST))) {
            unsigned b = (unsigned)__builtin_ctzl(pend);
            __atomic_fetch_and(&s->evtchn_pending[w], ~((xen_ulong_t)1 << b),
                               __ATOMIC_SEQ_CST);
            evtchn_port_t port = w * BITS_PER_WORD + b;
            if (handlers[port].fn)
                handlers[port].fn(port, handlers[port].arg);
            handled++;
            mira_xen_events++;
        }
    }
    return handled;
}

/* --- struct mira_evtchn --- */

static void channel_event(evtchn_port_t port, void *arg)
{
    (void)port;
    struct mira_evtchn *ch = arg;
    ch->fired = true;
    mira_wake_all(&ch->waitq);
}

int mira_evtchn_open_port(struct mira_evtchn *ch, evtchn_port_t port)
{
    if (port >= NR_PORTS)
        return MIRA_EINVAL;
    ch->port = port;
    ch->fired = false;
    ch->open = true;
    mira_waitq_init(&ch->waitq, true);
    return mira_evtchn_bind(port, channel_event, ch);
}

int mira_evtchn_open_unbound(struct mira_evtchn *ch, domid_t remote)
{
    evtchn_port_t port;
    int r = mira_evtchn_alloc_unbound(remote, &port);
    if (r < 0)
        return r;
    r = mira_evtchn_open_port(ch, port);
    if (r < 0) {
        struct evtchn_close c = {.port = port};
        MIRA_HYPERVISOR_event_channel_op(EVTCHNOP_close, &c);
        ch->open = false;
    }
    return r;
}

static bool fiber_mode(void)
{
    return mira_xen_sched_running && !mira_xen_stopping && mira_self() != NULL;
}

int mira_evtchn_wait(struct mira_evtchn *ch, mira_time_t deadline)
{
    while (!ch->fired && ch->open) {
        if (fiber_mode()) {
            if (mira_wait_until(&ch->waitq, deadline) == MIRA_ETIMEDOUT && !ch->fired)
                return MIRA_ETIMEDOUT;
        } else {
            mira_evtchn_dispatch();
            if (ch->fired)
                break;
            if (mira_platform_monotonic() >= deadline)
                return MIRA_ETIMEDOUT;
            mira_xen_idle_until(deadline);
        }
    }
    ch->fired = false;
    return 0;
}

void mira_evtchn_kick(const struct mira_evtchn *ch)
{
    if (ch->open)
        mira_evtchn_notify(ch->port);
}

void mira_evtchn_close(struct mira_evtchn *ch)
{
    if (!ch->open)
        return;
    ch->open = false;
    mira_evtchn_close_port(ch->port);
    mira_wake_all(&ch->waitq);
}
