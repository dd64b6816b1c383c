/*
 * mira/xen/byte_ring.h - index arithmetic of Xen's byte rings.
 *
 * The console (xencons_interface) and xenstore (xenstore_domain_interface)
 * rings are byte arrays of a power-of-two size with free-running 32-bit
 * producer and consumer indices: the used byte count is prod - cons (mod
 * 2^32) and a byte's slot is its index & (size - 1).  These functions are
 * pure (no Xen, no barriers: callers add those) so that they are unit
 * tested on the build machine.
 */
#ifndef MIRA_XEN_BYTE_RING_H
#define MIRA_XEN_BYTE_RING_H

#include <stddef.h>
#include <stdint.h>

/* Bytes between cons and prod; a value above size means corrupt indices. */
static inline uint32_t mira_byte_ring_used(uint32_t prod, uint32_t cons)
{
    return prod - cons;
}

/* Free bytes, or 0 when the indices are corrupt (used > size). */
static inline uint32_t mira_byte_ring_space(uint32_t prod, uint32_t cons,
                                       uint32_t size)
{
    uint32_t used = prod - cons;
    return used > size ? 0 : size - used;
}

/* Copies up to n bytes of src into ring (size bytes) at producer index
 * prod, bounded by the free space; returns the count copied.  The caller
 * publishes prod + count after a write barrier. */
size_t mira_byte_ring_put(char *ring, uint32_t size, uint32_t prod, uint32_t cons,
                     const void *src, size_t n);

/* Copies up to n bytes from ring at consumer index cons into dst, bounded
 * by the bytes available; returns the count copied.  The caller publishes
 * cons + count after a barrier. Corrupt indices give 0. */
size_t mira_byte_ring_get(const char *ring, uint32_t size, uint32_t prod,
                     uint32_t cons, void *dst, size_t n);

#endif
