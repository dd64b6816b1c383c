/*
 * mira/xen/debugcon.h - the debug port 0xe9, the guest's earliest output.
 *
 * Bytes written to I/O port 0xe9 appear in Xen's serial log as "(dN)"
 * lines (with the guest_loglvl=all Xen option), and in QEMU's debugcon
 * file when QEMU boots the guest directly, without Xen.  It needs no ring,
 * no event channel and no hypercall, so it works from the first
 * instruction and inside a panic.  It is not what `xl console` shows: that
 * is the console ring (mira/xen/console_ring.h).  The console-xen driver
 * writes here when there is no console ring (QEMU's direct PVH boot).
 */
#ifndef MIRA_XEN_DEBUGCON_H
#define MIRA_XEN_DEBUGCON_H

#include <stddef.h>

/* Writes the len bytes of buf to port 0xe9.  Never fails, never waits. */
void mira_xen_debugcon_write(const char *buf, size_t len);

#endif
