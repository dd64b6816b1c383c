/*
 * mira/console_xen.h - the console driver of the xen target: how an app
 * connects a console device (mira/console.h) to the PV console.  The
 * ring itself is the runtime's service mira/xen/console_ring.h.
 *
 * Writes go to the guest's PV console ring (what `xl console` and
 * `xl create -c` show), the ring given by the HVM parameters
 * HVM_PARAM_CONSOLE_PFN/EVTCHN.  A writer that finds the ring full waits
 * (its fiber only) until the backend signals that it consumed output.
 * Without Xen (QEMU's direct PVH boot) output goes to port 0xe9.
 */
#ifndef MIRA_CONSOLE_XEN_H
#define MIRA_CONSOLE_XEN_H

#include <mira/console.h>

/* mira_console_xen_connect: creates console device name (kept by pointer)
 * on the PV console and stores it in *out.  Returns 0 or MIRA_ENOMEM. */
int mira_console_xen_connect(struct mira_console **out, const char *name);

#endif
