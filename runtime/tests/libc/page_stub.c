/* page_stub.c - the page allocator the guest malloc sits on
 * (libc_internal.h), hosted: page runs from aligned_alloc, filled with
 * garbage as the guest's pages may be, counted, and checked on return (a
 * run must come back whole, once, with the page count it was taken with). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "guest_libc.h"
#include "../../src/libc/libc_internal.h"

size_t mira_test_pages_taken;
size_t mira_test_pages_live;
long mira_test_pages_fail_after = -1;

struct run {
    void *p;
    size_t npages;
};

static struct run *runs;
static size_t nruns, cap_runs;

static _Noreturn void stub_fail(const char *why, void *p, size_t npages)
{
    fprintf(stderr, "page_stub: %s (%p, %zu pages)\n", why, p, npages);
    abort();
}

void *mira_page_alloc(size_t npages)
{
    if (npages == 0)
        stub_fail("allocation of 0 pages", NULL, 0);
    if (mira_test_pages_fail_after == 0)
        return NULL;
    if (mira_test_pages_fail_after > 0)
        mira_test_pages_fail_after--;
    if (npages > ((size_t)1 << 20)) /* 4 GiB: more than a test may take */
        return NULL;
    if (nruns == cap_runs) {
        cap_runs = cap_runs ? 2 * cap_runs : 64;
        runs = realloc(runs, cap_runs * sizeof(*runs));
        if (runs == NULL)
            stub_fail("out of memory for the run table", NULL, 0);
    }
    void *p = aligned_alloc(MIRA_PAGE_SIZE, npages * MIRA_PAGE_SIZE);
    if (p == NULL)
        return NULL;
    memset(p, 0xa5, npages * MIRA_PAGE_SIZE); /* contents unspecified */
    runs[nruns++] = (struct run){p, npages};
    mira_test_pages_taken += npages;
    mira_test_pages_live += npages;
    return p;
}

void mira_page_free(void *p, size_t npages)
{
    for (size_t i = 0; i < nruns; i++) {
        if (runs[i].p != p)
            continue;
        if (runs[i].npages != npages)
            stub_fail("run returned with another page count", p, npages);
        runs[i] = runs[--nruns];
        mira_test_pages_live -= npages;
        free(p);
        return;
    }
    stub_fail("free of a run never allocated (or freed twice)", p, npages);
}
