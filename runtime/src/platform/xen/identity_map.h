/*
 * identity_map.h - what the guest's boot page tables map.
 *
 * entry.S identity-maps the first 4 GiB of guest-physical memory (virtual
 * = physical, 2048 pages of 2 MiB); nothing above is mapped.  A page that
 * Xen announces by frame number (the console and xenstore rings, in HVM
 * parameters) can only be used if it lies inside that map.  Pure, so that
 * it is unit tested on the build machine (tests/xen/unit).
 */
#ifndef MIRA_XEN_IDENTITY_MAP_H
#define MIRA_XEN_IDENTITY_MAP_H

#include <stdbool.h>
#include <stdint.h>

/* Bytes mapped from physical (and virtual) address 0. */
#define MIRA_XEN_IDENTITY_MAP_BYTES (4ull << 30)

/* True if the 4 KiB page frame pfn lies wholly inside the identity map
 * and is not page 0 (left unmapped, so that NULL faults; Xen also uses
 * pfn 0 in HVM parameters to mean "none"). */
static inline bool mira_xen_identity_mapped_pfn(uint64_t pfn)
{
    return pfn != 0 && pfn < (MIRA_XEN_IDENTITY_MAP_BYTES >> 12);
}

#endif
