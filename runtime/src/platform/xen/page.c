/*
 * page.c - mira/page.h and mira/xen/page.h on the xen guest.
 *
 * The pages come from mm.c's pool through the internal layer of
 * libc_internal.h (mira_page_alloc/mira_page_free), which malloc and the
 * fiber stacks use as well: one pool, one free count.
 */
#include <stdint.h>
#include <string.h>
#include <mira/log.h>
#include <mira/page.h>
#include <mira/xen/page.h>
#include "../../libc/libc_internal.h"

void *mira_pages_alloc(size_t n, unsigned flags)
{
    if (n == 0)
        mira_panic("mira_pages_alloc of 0 pages");
    void *p = mira_page_alloc(n);
    if (p && (flags & MIRA_PAGE_ZERO))
        memset(p, 0, n * MIRA_PAGE_SIZE);
    return p;
}

void mira_pages_free(void *p, size_t n)
{
    if (p == NULL)
        return;
    if ((uintptr_t)p % MIRA_PAGE_SIZE || n == 0)
        mira_panic("mira_pages_free(%p, %zu): not a page run", p, n);
    mira_page_free(p, n);
}

uint64_t mira_xen_virt_to_pfn(const void *p)
{
    uintptr_t a = (uintptr_t)p;
    if (a < MIRA_PAGE_SIZE || a >= MIRA_XEN_IDENTITY_LIMIT)
        mira_panic("mira_xen_virt_to_pfn(%p): outside the identity-mapped 4 GiB", p);
    return a >> 12;
}

void *mira_xen_pfn_to_virt(uint64_t pfn)
{
    if (pfn == 0 || pfn >= (MIRA_XEN_IDENTITY_LIMIT >> 12))
        mira_panic("mira_xen_pfn_to_virt(%#llx): outside the identity-mapped 4 GiB",
                   (unsigned long long)pfn);
    return (void *)(uintptr_t)(pfn << 12);
}
