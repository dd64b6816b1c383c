/* libc_internal.h - what the guest libc needs from the xen platform. */
#ifndef MIRA_LIBC_INTERNAL_H
#define MIRA_LIBC_INTERNAL_H

#include <stddef.h>

#define MIRA_PAGE_SIZE 4096u

/* Allocates npages contiguous, page-aligned, identity-mapped pages
 * (contents unspecified); NULL when memory runs out. */
void *mira_page_alloc(size_t npages);

/* Returns npages pages from p (as given by mira_page_alloc) to the pool. */
void mira_page_free(void *p, size_t npages);

#endif
