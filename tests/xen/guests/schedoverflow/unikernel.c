/* tests/xen/guests/schedoverflow: an event handler that recurses without
 * end overflows the scheduler's stack (the boot stack: handlers run there,
 * dispatched by the idle wait), hits the guard page below it and is
 * reported as a crash naming that stack, instead of overwriting the page
 * tables below it.  The event comes from a loopback event channel: a port
 * allocated for DOMID_SELF, bound to a second port of this same domain;
 * signalling the second makes the first pending. */
#include <mira/console.h>
#include <mira/time.h>
#include <mira/xen/evtchn.h>
#include <mira/xen/hypercall.h>

/* The recursion is the point of this test. */
#pragma GCC diagnostic ignored "-Winfinite-recursion"

static int depth(volatile char *prev, int n)
{
    volatile char buf[256];
    buf[0] = (char)n;
    buf[255] = prev ? prev[0] : 0;
    return depth(buf, n + 1) + buf[1];
}

static void recurse(evtchn_port_t port, void *arg)
{
    (void)port;
    (void)arg;
    depth(NULL, 0);
}

int unikernel_start(struct mira_console *c)
{
    evtchn_port_t handled;
    if (mira_evtchn_alloc_unbound(DOMID_SELF, &handled) != 0) {
        mira_console_log(c, "schedoverflow: FAIL: EVTCHNOP_alloc_unbound");
        return 1;
    }
    struct evtchn_bind_interdomain loop = {.remote_dom = DOMID_SELF,
                                           .remote_port = handled};
    if (MIRA_HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &loop) != 0) {
        mira_console_log(c, "schedoverflow: FAIL: EVTCHNOP_bind_interdomain");
        return 1;
    }
    mira_evtchn_bind(handled, recurse, NULL);
    mira_console_log(c, "schedoverflow: signalling port %u, whose handler recurses",
                     (unsigned)handled);
    mira_evtchn_notify(loop.local_port);
    mira_sleep(MIRA_SECONDS(2)); /* the idle wait dispatches the event */
    mira_console_log(c, "schedoverflow: FAIL: came back");
    return 1;
}
