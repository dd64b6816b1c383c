/*
 * mira/xen/gnttab.h - grant tables (version 1) for Mira's Xen drivers.
 *
 * A frontend grants a backend domain access to one of its pages and hands
 * it the returned reference through xenstore or a shared ring.  The table
 * starts with one frame and grows a frame (512 entries) at a time when its
 * free entries run out, up to the maximum Xen allows the guest
 * (GNTTABOP_query_size: 64 frames, 32,760 entries, by default).
 *
 * Errors: MIRA_ENOMEM (the table is full at its maximum size, or there is
 * no grant table: no Xen), MIRA_EAGAIN (the backend still maps a page).
 * Ending a reference that is not in use is a programmer error (panics).
 */
#ifndef MIRA_XEN_GNTTAB_H
#define MIRA_XEN_GNTTAB_H

#include <stdbool.h>
#include <stdint.h>
#include <mira/xen/hypercall.h>

/* Grants domain domid access to the page at guest-physical page frame
 * number pfn (for an identity-mapped page: address >> 12), read-only if
 * readonly.  Returns the reference (>= 0) or MIRA_ENOMEM. */
int mira_gnttab_grant(domid_t domid, uint64_t pfn, bool readonly);

/* Grants the page at address page (page-aligned; mira_xen_virt_to_pfn). */
int mira_gnttab_grant_page(domid_t domid, const void *page, bool readonly);

/* Ends a grant.  Returns 0, or MIRA_EAGAIN if the backend still maps the
 * page (then the grant stays and the caller retries later). */
int mira_gnttab_end(grant_ref_t ref);

/* Ends a grant now if the backend has let go of the page, else later: the
 * reference is retried from the idle loop and at each new grant, and only
 * once the backend has unmapped it is it reused and page (if not NULL: one
 * page from mira_pages_alloc) freed.  Returns 0 if released now, 1 if
 * deferred.  The caller forgets ref and page either way. */
int mira_gnttab_end_deferred(grant_ref_t ref, void *page);

/* Retries the deferred releases now; returns how many are still pending.
 * (The idle loop calls it; drivers need not.) */
unsigned mira_gnttab_retry_deferred(void);

/* Entries in the table now (reserved ones included). */
unsigned mira_gnttab_capacity(void);

/* Entries the table may grow to (Xen's limit for this guest). */
unsigned mira_gnttab_max_capacity(void);

/* Entries free now, without growing the table. */
unsigned mira_gnttab_free_count(void);

#endif
