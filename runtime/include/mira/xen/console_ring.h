/*
 * mira/xen/console_ring.h - the guest's first PV console ring (what
 * `xl console` shows), a runtime service shared by the runtime's
 * diagnostics and the console-xen driver (mira/console_xen.h).
 *
 * The ring page and its event channel come from the HVM parameters
 * HVM_PARAM_CONSOLE_PFN / HVM_PARAM_CONSOLE_EVTCHN.  Without Xen (QEMU's
 * direct PVH boot) there is no ring: writers fall back on the debug port
 * (mira/xen/debugcon.h).
 *
 * Error contract (mira/error.h): a count on success, a negative MIRA_E*
 * code on failure.
 */
#ifndef MIRA_XEN_CONSOLE_RING_H
#define MIRA_XEN_CONSOLE_RING_H

#include <stddef.h>
#include <mira/fiber.h>

/* Copies what fits of the len bytes of buf into the ring and notifies the
 * backend, without waiting: returns the count written (0 when the ring is
 * full), or MIRA_ENOTSUP when the guest has no console ring. */
long mira_xen_console_ring_write(const char *buf, size_t len);

/* The wait queue woken whenever the backend signals the console's event
 * channel (it has consumed output): a writer facing a full ring waits on
 * it and retries. */
struct mira_waitq *mira_xen_console_ring_waitq(void);

#endif
