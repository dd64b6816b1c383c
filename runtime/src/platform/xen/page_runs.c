/*
 * page_runs.c - first-fit page-run allocator with coalescing (page_runs.h).
 */
#include <stddef.h>
#include <stdint.h>
#include <mira/error.h>
#include "page_runs.h"

#define PG ((uintptr_t)MIRA_PAGE_RUNS_PAGE)

static uintptr_t run_end(const struct mira_page_run *r)
{
    return (uintptr_t)r + r->npages * PG;
}

void mira_page_runs_init(struct mira_page_runs *a)
{
    a->head = NULL;
    a->free_pages = 0;
}

int mira_page_runs_free(struct mira_page_runs *a, uintptr_t start, size_t npages)
{
    if (npages == 0 || start == 0 || start % PG != 0 ||
        npages > (UINTPTR_MAX - start) / PG) /* the range would wrap */
        return MIRA_EINVAL;
    uintptr_t end = start + npages * PG;
    /* prev: the last run below start; next: the first run at or above. */
    struct mira_page_run *prev = NULL, *next = a->head;
    while (next && (uintptr_t)next < start) {
        prev = next;
        next = next->next;
    }
    if ((prev && run_end(prev) > start) || (next && (uintptr_t)next < end))
        return MIRA_EINVAL; /* overlaps free memory: a double free */
    struct mira_page_run *r = (struct mira_page_run *)start;
    r->npages = npages;
    r->next = next;
    if (next && end == (uintptr_t)next) { /* merge with the next run */
        r->npages += next->npages;
        r->next = next->next;
    }
    if (prev && run_end(prev) == start) { /* merge into the previous run */
        prev->npages += r->npages;
        prev->next = r->next;
    } else if (prev) {
        prev->next = r;
    } else {
        a->head = r;
    }
    a->free_pages += npages;
    return 0;
}

void *mira_page_runs_alloc(struct mira_page_runs *a, size_t npages)
{
    if (npages == 0)
        return NULL;
    for (struct mira_page_run **pp = &a->head; *pp; pp = &(*pp)->next) {
        struct mira_page_run *r = *pp;
        if (r->npages < npages)
            continue;
        a->free_pages -= npages;
        if (r->npages == npages) {
            *pp = r->next;
            return r;
        }
        /* Take the top of the run: its header stays where it is. */
        r->npages -= npages;
        return (char *)r + r->npages * PG;
    }
    return NULL;
}

size_t mira_page_runs_count(const struct mira_page_runs *a)
{
    size_t n = 0;
    for (const struct mira_page_run *r = a->head; r; r = r->next)
        n++;
    return n;
}

size_t mira_page_runs_largest(const struct mira_page_runs *a)
{
    size_t m = 0;
    for (const struct mira_page_run *r = a->head; r; r = r->next)
        if (r->npages > m)
            m = r->npages;
    return m;
}
