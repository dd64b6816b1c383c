/*
 * mira/xen/evtchn.h - event channels for Mira's Xen drivers.
 *
 * Handlers run inside the scheduler's idle wait (mira_platform_wait), on
 * the scheduler's stack and never inside an interrupt: they may call
 * mira_wake_* and touch driver state freely, but must not wait.
 */
#ifndef MIRA_XEN_EVTCHN_H
#define MIRA_XEN_EVTCHN_H

#include <stdint.h>
#include <mira/xen/hypercall.h>

typedef void (*mira_evtchn_handler)(evtchn_port_t port, void *arg);

/* Installs handler for port (replacing any) and unmasks the port.
 * Returns 0 or MIRA_EINVAL for a port out of range. */
int mira_evtchn_bind(evtchn_port_t port, mira_evtchn_handler handler, void *arg);

/* Masks port and removes its handler. */
void mira_evtchn_unbind(evtchn_port_t port);

/* Allocates an unbound port that domain remote may bind to; 0 or a
 * negative MIRA_E* code. */
int mira_evtchn_alloc_unbound(domid_t remote, evtchn_port_t *port);

/* Binds VIRQ virq on vCPU 0 to a new port. */
int mira_evtchn_bind_virq(uint32_t virq, evtchn_port_t *port);

/* Signals the other end of port. */
void mira_evtchn_notify(evtchn_port_t port);

void mira_evtchn_mask(evtchn_port_t port);
void mira_evtchn_unmask(evtchn_port_t port);

/* Dispatches every pending, unmasked event to its handler; returns the
 * number of events handled.  Called by the platform's idle loop; drivers
 * that must poll before the scheduler runs may call it too. */
int mira_evtchn_dispatch(void);

#endif
