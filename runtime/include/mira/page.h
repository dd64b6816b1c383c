/*
 * mira/page.h - whole pages of memory, for drivers and buffers that must
 * be page-aligned (shared rings, granted I/O buffers, DMA-like uses).
 *
 * Errors: mira_pages_alloc returns NULL when memory runs out.  Programmer
 * errors (a count of 0, freeing what was not allocated as that run) abort
 * with mira_panic where the platform can tell.
 *
 * xen: pages come from the guest's first-fit page-run allocator (the pool
 * that also backs malloc and fiber stacks); the guest is identity-mapped,
 * so a page's frame number is its address >> 12 (mira/xen/page.h).
 * unix: pages come from mmap(2).
 */
#ifndef MIRA_PAGE_H
#define MIRA_PAGE_H

#include <stddef.h>

/* The size of a page, in bytes. */
#define MIRA_PAGE_SIZE 4096u

/* Flag for mira_pages_alloc: fill the pages with zero bytes. */
#define MIRA_PAGE_ZERO 0x1u

/* mira_pages_alloc: n (>= 1) contiguous, page-aligned pages; zeroed if
 * flags has MIRA_PAGE_ZERO, else of unspecified contents.  NULL when memory
 * runs out. */
void *mira_pages_alloc(size_t n, unsigned flags);

/* mira_pages_free: returns the n pages at p, exactly as one
 * mira_pages_alloc(n, ...) call gave them.  p == NULL does nothing. */
void mira_pages_free(void *p, size_t n);

#endif
