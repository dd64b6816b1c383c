/* console_ring.c - the first PV console ring (see mira/xen/console_ring.h). */
#include <stdint.h>
#include <mira/error.h>
#include <mira/fiber.h>
#include <mira/xen/byte_ring.h>
#include <mira/xen/console_ring.h>
#include <mira/xen/evtchn.h>
#include <mira/xen/hvm.h>
#include <mira/xen/idle.h>
#include <xen/io/console.h>
#include "../../platform.h"
#include "xen_internal.h"

static struct xencons_interface *intf;
static evtchn_port_t port;
static struct mira_waitq waitq = MIRA_WAITQ_INIT_EXTERNAL;

static void console_ring_event(evtchn_port_t p, void *arg)
{
    (void)p;
    (void)arg;
    mira_wake_all(&waitq);
}

void mira_xen_console_ring_init(void)
{
    void *ring;
    if (mira_xen_hvm_ring(HVM_PARAM_CONSOLE_PFN, HVM_PARAM_CONSOLE_EVTCHN, &ring, &port))
        return;
    intf = ring;
    mira_evtchn_bind(port, console_ring_event, NULL);
}

long mira_xen_console_ring_write(const char *buf, size_t len)
{
    if (intf == NULL)
        return MIRA_ENOTSUP;
    uint32_t cons = __atomic_load_n(&intf->out_cons, __ATOMIC_ACQUIRE);
    uint32_t prod = intf->out_prod;
    size_t n = mira_byte_ring_put(intf->out, sizeof(intf->out), prod, cons, buf, len);
    if (n) {
        __atomic_store_n(&intf->out_prod, prod + (uint32_t)n, __ATOMIC_RELEASE);
        mira_evtchn_notify(port);
    }
    return (long)n;
}

struct mira_waitq *mira_xen_console_ring_waitq(void)
{
    return &waitq;
}

void mira_xen_console_ring_flush(int ms)
{
    if (intf == NULL)
        return;
    mira_time_t deadline = mira_platform_monotonic() + MIRA_MILLISECONDS(ms);
    while (__atomic_load_n(&intf->out_cons, __ATOMIC_ACQUIRE) != intf->out_prod &&
           mira_platform_monotonic() < deadline) {
        mira_evtchn_dispatch();
        mira_xen_idle_until(mira_platform_monotonic() + MIRA_MILLISECONDS(1));
    }
}
