/*
 * page_runs.h - a first-fit allocator of page runs, pure C.
 *
 * Free memory is a list of runs (start, length in pages) sorted by address;
 * each run's header lives in its own first page, so the allocator needs no
 * memory of its own.  Allocation is first fit and takes the top of a run
 * (the header stays put); freeing inserts in address order and merges with
 * the previous and the next run.  No page tables, no Xen: the xen platform
 * (mm.c) owns one instance over the guest's RAM, and tests/xen/unit checks
 * it on the build machine over an ordinary buffer.
 */
#ifndef MIRA_XEN_PAGE_RUNS_H
#define MIRA_XEN_PAGE_RUNS_H

#include <stddef.h>
#include <stdint.h>

#define MIRA_PAGE_RUNS_PAGE 4096u

/* The header at the start of each free run. */
struct mira_page_run {
    struct mira_page_run *next; /* the next run up, never adjacent */
    size_t npages;
};

struct mira_page_runs {
    struct mira_page_run *head; /* lowest address first */
    size_t free_pages;
};

/* Makes a empty (no memory). */
void mira_page_runs_init(struct mira_page_runs *a);

/* Gives npages pages at start (page-aligned, not currently free) to a,
 * merging with adjacent free runs.  Returns 0, or MIRA_EINVAL (and changes
 * nothing) if start is not page-aligned, npages is 0, the range wraps, or
 * it overlaps memory that is already free (a double free). */
int mira_page_runs_free(struct mira_page_runs *a, uintptr_t start, size_t npages);

/* Takes npages (>= 1) contiguous pages, first fit; NULL when no run is
 * long enough. */
void *mira_page_runs_alloc(struct mira_page_runs *a, size_t npages);

/* The number of runs (for tests and statistics). */
size_t mira_page_runs_count(const struct mira_page_runs *a);

/* The longest run, in pages (0 when nothing is free). */
size_t mira_page_runs_largest(const struct mira_page_runs *a);

#endif
