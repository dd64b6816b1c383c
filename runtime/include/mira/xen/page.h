/*
 * mira/xen/page.h - guest addresses to the frame numbers Xen wants.
 *
 * A Mira PVH guest maps its first 4 GiB of guest-physical memory 1:1, so
 * the guest frame number (gfn/pfn) of a page is its address >> 12.  Only
 * addresses in that window have a frame: anything else is refused.
 */
#ifndef MIRA_XEN_PAGE_H
#define MIRA_XEN_PAGE_H

#include <stdint.h>
#include <mira/page.h>

/* The identity-mapped window: [0, MIRA_XEN_IDENTITY_LIMIT). */
#define MIRA_XEN_IDENTITY_LIMIT (4ull << 30)

/* mira_xen_virt_to_pfn: the frame number of the page holding address p.
 * A p at or above MIRA_XEN_IDENTITY_LIMIT, or NULL's page, is a programmer
 * error (panics). */
uint64_t mira_xen_virt_to_pfn(const void *p);

/* mira_xen_pfn_to_virt: the address of frame pfn (pfn below the window's
 * end, else panics). */
void *mira_xen_pfn_to_virt(uint64_t pfn);

#endif
