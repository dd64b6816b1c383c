/*
 * xs_shim.h - the Xen platform calls xenstore.c makes, on the hosted
 * runtime: the "HVM param" names fake_xenstored's ring, the "event channel"
 * calls the bound handler at once (handlers never wait, so calling one from
 * the fake's fiber is as legal as from the idle loop), and mira_xen_block
 * lets the fake serve while the client polls.
 */
#ifndef XS_SHIM_H
#define XS_SHIM_H

#include <stdbool.h>

/* The port the shim announces for xenstore. */
#define XS_SHIM_PORT 5

/* When true, there is no xenstore (mira_xen_hvm_ring fails). */
extern bool xs_shim_no_xenstore;

/* The fake signals the guest: runs the handler bound to the port. */
void xs_shim_notify_guest(void);

#endif
