/* xs_shim.c - the Xen platform services xenstore.c uses, for the hosted
 * test (see xs_shim.h).  Everything else xenstore.c calls (fibers, clock,
 * log, parameters) is the hosted runtime itself. */
#include <time.h>
#include <mira/error.h>
#include <mira/fiber.h>
#include <mira/log.h>
#include <mira/xen/evtchn.h>
#include "platform.h"
#include "xen_internal.h"
#include "fake_xenstored.h"
#include "xs_shim.h"

bool mira_xen_sched_running = true;
bool mira_xen_stopping;
bool xs_shim_no_xenstore;

static mira_evtchn_handler bound;
static void *bound_arg;

int mira_xen_hvm_ring(unsigned pfn_param, unsigned evtchn_param, void **ring,
                      evtchn_port_t *port)
{
    if (xs_shim_no_xenstore || pfn_param != HVM_PARAM_STORE_PFN ||
        evtchn_param != HVM_PARAM_STORE_EVTCHN)
        return MIRA_ENOENT;
    *ring = &fake_xsd_ring;
    *port = XS_SHIM_PORT;
    return 0;
}

int mira_evtchn_bind(evtchn_port_t port, mira_evtchn_handler handler, void *arg)
{
    if (port != XS_SHIM_PORT)
        return MIRA_EINVAL;
    bound = handler;
    bound_arg = arg;
    return 0;
}

void mira_evtchn_notify(evtchn_port_t port)
{
    if (port == XS_SHIM_PORT)
        fake_xsd_kick();
}

static bool pending, stop;
static unsigned deliveries;
static struct mira_waitq deliverq = MIRA_WAITQ_INIT;
static struct mira_fiber *deliverer;

static int deliver(void)
{
    if (!pending || bound == NULL)
        return 0;
    pending = false;
    deliveries++;
    bound(XS_SHIM_PORT, bound_arg);
    return 1;
}

void xs_shim_notify_guest(void)
{
    pending = true;
    if (deliverer && !mira_xen_stopping && mira_self() != NULL)
        mira_wake_all(&deliverq);
    else
        deliver();
}

static void deliverer_fiber(void *arg)
{
    (void)arg;
    while (!stop)
        if (deliver() == 0)
            mira_wait(&deliverq);
}

void xs_shim_spawn(void)
{
    stop = pending = false;
    mira_waitq_init(&deliverq, false);
    deliverer = mira_spawn_joinable("evtchn", deliverer_fiber, NULL, 0);
    if (deliverer == NULL)
        mira_panic("xs_shim: cannot spawn");
}

void xs_shim_stop(void)
{
    stop = true;
    mira_wake_all(&deliverq);
    mira_join(deliverer);
    deliverer = NULL;
}

unsigned xs_shim_deliveries(void)
{
    return deliveries;
}

int mira_evtchn_dispatch(void)
{
    return deliver();
}

void mira_xen_idle_until(int64_t deadline)
{
    if (fake_xsd_step())
        return; /* the fake served (its notifications ran the handler) */
    mira_time_t left = deadline - mira_platform_monotonic();
    if (left > 0) {
        struct timespec ts = {left / 1000000000, left % 1000000000};
        nanosleep(&ts, NULL);
    }
}
