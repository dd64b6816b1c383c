/*
 * xs_shim.h - the Xen platform calls xenstore.c makes, on the hosted
 * runtime: the "HVM param" names fake_xenstored's ring; a notification of
 * the guest runs the bound handler later, from a delivery fiber, as the
 * xen platform runs handlers later from its idle loop (so the messages sit
 * on the ring for a while, and other fibers run meanwhile); while the
 * client polls (no delivery fiber, or the guest stopping), it runs at once
 * and mira_xen_idle_until lets the fake serve.
 */
#ifndef XS_SHIM_H
#define XS_SHIM_H

#include <stdbool.h>

/* The port the shim announces for xenstore. */
#define XS_SHIM_PORT 5

/* When true, there is no xenstore (mira_xen_hvm_ring fails). */
extern bool xs_shim_no_xenstore;

/* The fake signals the guest: the handler bound to the port runs soon. */
void xs_shim_notify_guest(void);

/* How many times the handler ran. */
unsigned xs_shim_deliveries(void);

/* Starts (from a fiber) and stops the delivery fiber. */
void xs_shim_spawn(void);
void xs_shim_stop(void);

#endif
