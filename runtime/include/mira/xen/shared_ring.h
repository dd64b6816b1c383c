/*
 * mira/xen/shared_ring.h - Xen's shared request/response rings (blkif,
 * netif, ...) for Mira drivers, with Xen's own <xen/io/ring.h> macros used
 * as they are.
 *
 * ring.h leaves the memory barriers to its includer.  On x86_64 (TSO: loads
 * are not reordered with loads, nor stores with stores) a read or write
 * barrier only has to stop the compiler; the full barrier, which orders a
 * store before a later load (publish the producer index, then read the
 * peer's event index), needs mfence.  A driver includes this header, never
 * <xen/io/ring.h> directly:
 *
 *     #include <mira/xen/shared_ring.h>
 *     #include <xen/io/blkif.h>          // DEFINE_RING_TYPES(blkif, ...)
 *
 *     blkif_sring_t *s = mira_pages_alloc(1, MIRA_PAGE_ZERO);
 *     SHARED_RING_INIT(s);
 *     FRONT_RING_INIT(&front, s, MIRA_PAGE_SIZE);
 *
 * then RING_GET_REQUEST / RING_PUSH_REQUESTS_AND_CHECK_NOTIFY (notify the
 * event channel when it says so) / RING_FINAL_CHECK_FOR_RESPONSES (work
 * left: consume more; none: wait on the event channel).
 */
#ifndef MIRA_XEN_SHARED_RING_H
#define MIRA_XEN_SHARED_RING_H

#include <stddef.h> /* offsetof, size_t */
#include <stdint.h>
#include <mira/page.h>

/* SHARED_RING_INIT calls memset and the FLEX macros memcpy; declared here
 * (as <string.h> does) so that this header needs only freestanding ones. */
void *memset(void *s, int c, size_t n);
void *memcpy(void *restrict d, const void *restrict s, size_t n);

#if !defined(__x86_64__)
#error "mira/xen/shared_ring.h: barriers are defined for x86_64 only"
#endif

#ifndef xen_mb
/* Full barrier: orders earlier stores before later loads (mfence). */
#define xen_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
/* Read barrier: x86 keeps loads in order; stop the compiler only. */
#define xen_rmb() __asm__ volatile("" ::: "memory")
/* Write barrier: x86 keeps stores in order; stop the compiler only. */
#define xen_wmb() __asm__ volatile("" ::: "memory")
#endif

#include <xen/grant_table.h> /* grant_ref_t, for the FLEX macros */
#include <xen/io/ring.h>

#endif
