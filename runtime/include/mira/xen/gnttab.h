/*
 * mira/xen/gnttab.h - grant tables (version 1) for Mira's Xen drivers.
 *
 * A frontend grants a backend domain access to one of its pages and hands
 * it the returned reference through xenstore or a shared ring.
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

/* Convenience: grants the page that contains address page (page-aligned). */
int mira_gnttab_grant_page(domid_t domid, const void *page, bool readonly);

/* Ends a grant.  Returns 0, or MIRA_EAGAIN if the backend still maps the
 * page (then the grant stays and the caller retries later). */
int mira_gnttab_end(grant_ref_t ref);

/* The number of grant entries available in total. */
unsigned mira_gnttab_capacity(void);

#endif
