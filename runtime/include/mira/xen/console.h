/*
 * mira/xen/console.h - the guest's first PV console ring (what `xl console`
 * shows), shared by the runtime's diagnostics and the console-xen driver.
 *
 * The ring page and its event channel come from the HVM parameters
 * HVM_PARAM_CONSOLE_PFN / HVM_PARAM_CONSOLE_EVTCHN.  Without Xen (QEMU's
 * direct PVH boot) writes go to the debug port 0xe9 instead.
 */
#ifndef MIRA_XEN_CONSOLE_H
#define MIRA_XEN_CONSOLE_H

#include <stddef.h>
#include <mira/fiber.h>

/* Writes what fits of buf into the ring and notifies the backend, without
 * waiting; returns the count written (0 when the ring is full).  Without a
 * ring, writes everything to port 0xe9 and returns len. */
long mira_xen_console_write_nowait(const char *buf, size_t len);

/* The wait queue woken whenever the backend signals the console's event
 * channel (it has consumed output): a writer facing a full ring waits on
 * it and retries. */
struct mira_waitq *mira_xen_console_waitq(void);

#endif
