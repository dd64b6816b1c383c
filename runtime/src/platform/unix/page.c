/*
 * platform/unix/page.c - mira/page.h in a Linux process: anonymous mmap,
 * which is page-aligned and already zero (MIRA_PAGE_ZERO costs nothing).
 */
#include <stdint.h>
#include <sys/mman.h>

#include <mira/log.h>
#include <mira/page.h>

void *mira_pages_alloc(size_t n, unsigned flags)
{
    (void)flags; /* fresh anonymous mappings are zero-filled */
    if (n == 0)
        mira_panic("mira_pages_alloc of 0 pages");
    if (n > SIZE_MAX / MIRA_PAGE_SIZE)
        return NULL;
    void *p = mmap(NULL, n * MIRA_PAGE_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void mira_pages_free(void *p, size_t n)
{
    if (p == NULL)
        return;
    if ((uintptr_t)p % MIRA_PAGE_SIZE || n == 0 ||
        munmap(p, n * MIRA_PAGE_SIZE) != 0)
        mira_panic("mira_pages_free(%p, %zu): not a page run", p, n);
}
