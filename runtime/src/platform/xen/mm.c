/*
 * mm.c - physical memory and page tables of the xen guest.
 *
 * entry.S identity-maps the first 4 GiB with 2 MiB pages.  Here the first
 * 2 MiB are split into 4 KiB pages with page 0 left unmapped (NULL
 * dereferences fault), and the RAM from the memory map above the image is
 * handed to the first-fit allocator of page runs (page_runs.c), which backs
 * mira/page.h, malloc and the fiber stacks.  Stack guard pages are made not-present by
 * splitting the 2 MiB page that holds them; such PTEs carry a software bit
 * so the page fault handler can tell a stack overflow.
 */
#include <stdint.h>
#include <string.h>
#include <mira/log.h>
#include "../../libc/libc_internal.h"
#include "page_runs.h"
#include "xen_internal.h"

#define PTE_P 0x1ull
#define PTE_W 0x2ull
#define PTE_PS 0x80ull
#define PTE_GUARD 0x200ull /* software bit 9: a guard page */
#define ADDR_MASK 0x000ffffffffff000ull

extern uint64_t mira_xen_pd[4 * 512];
extern char _end[];

static uint64_t first_pt[512] __attribute__((aligned(4096)));

static struct mira_page_runs ram_runs;

static inline void invlpg(uintptr_t va)
{
    __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

void mira_xen_mm_init(const struct mira_xen_memrange *ram, int n)
{
    /* Split the first 2 MiB page; page 0 stays unmapped. */
    for (int i = 1; i < 512; i++)
        first_pt[i] = (uint64_t)i * PAGE_SIZE | PTE_P | PTE_W;
    mira_xen_pd[0] = (uintptr_t)first_pt | PTE_P | PTE_W;
    invlpg(0);
    __asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" ::: "rax", "memory");

    uintptr_t floor = ((uintptr_t)_end + PAGE_SIZE - 1) & ~(uintptr_t)(PAGE_SIZE - 1);
    for (int i = 0; i < n; i++) {
        uint64_t s = (ram[i].start + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
        uint64_t e = ram[i].end & ~(uint64_t)(PAGE_SIZE - 1);
        if (s < floor)
            s = floor;
        if (e > 0xffe00000ull) /* stay inside the identity map */
            e = 0xffe00000ull;
        if (e > s && mira_page_runs_free(&ram_runs, (uintptr_t)s,
                                         (size_t)((e - s) / PAGE_SIZE)))
            mira_log(MIRA_LOG_WARN, "xen", "memory map: RAM range %#llx-%#llx "
                     "overlaps another, ignored", (unsigned long long)s,
                     (unsigned long long)e);
    }
}

size_t mira_xen_mm_free_pages(void)
{
    return ram_runs.free_pages;
}

/* The internal layer of libc_internal.h (malloc, stacks, the platform):
 * the same pool as mira_pages_alloc. */
void *mira_page_alloc(size_t npages)
{
    return mira_page_runs_alloc(&ram_runs, npages ? npages : 1);
}

void mira_page_free(void *p, size_t npages)
{
    if (p && npages && mira_page_runs_free(&ram_runs, (uintptr_t)p, npages))
        mira_panic("page free of %zu pages at %p: not an allocated run (double free?)",
                   npages, p);
}

/* The 4 KiB PTE that maps va, splitting its 2 MiB page if needed. */
static uint64_t *pte_of(uintptr_t va)
{
    if (va >= (4ull << 30))
        return NULL;
    uint64_t *pde = &mira_xen_pd[va >> 21];
    if (*pde & PTE_PS) {
        uint64_t *pt = mira_page_alloc(1);
        if (pt == NULL)
            return NULL;
        uint64_t base = *pde & ADDR_MASK & ~0x1fffffull;
        for (int i = 0; i < 512; i++)
            pt[i] = (base + (uint64_t)i * PAGE_SIZE) | PTE_P | PTE_W;
        *pde = (uintptr_t)pt | PTE_P | PTE_W;
        __asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" ::: "rax", "memory");
    }
    uint64_t *pt = (uint64_t *)(uintptr_t)(*pde & ADDR_MASK);
    return &pt[(va >> 12) & 511];
}

void mira_xen_mm_guard(uintptr_t va, bool guard)
{
    va &= ~(uintptr_t)(PAGE_SIZE - 1);
    uint64_t *pte = pte_of(va);
    if (pte == NULL)
        return; /* no page for a page table: run without this guard */
    *pte = guard ? (va | PTE_GUARD) : (va | PTE_P | PTE_W);
    invlpg(va);
}

bool mira_xen_mm_is_guard(uintptr_t va)
{
    if (va >= (4ull << 30))
        return false;
    uint64_t pde = mira_xen_pd[va >> 21];
    if (pde & PTE_PS || !(pde & PTE_P))
        return false;
    uint64_t *pt = (uint64_t *)(uintptr_t)(pde & ADDR_MASK);
    uint64_t pte = pt[(va >> 12) & 511];
    return !(pte & PTE_P) && (pte & PTE_GUARD);
}

void *mira_platform_stack_alloc(size_t size, void **bottom, size_t *usable)
{
    size_t npages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
    char *p = mira_page_alloc(npages + 1);
    if (p == NULL)
        return NULL;
    mira_xen_mm_guard((uintptr_t)p, true);
    *bottom = p + PAGE_SIZE;
    *usable = npages * PAGE_SIZE;
    return p;
}

void mira_platform_stack_free(void *stack, size_t size)
{
    if (stack == NULL)
        return;
    size_t npages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
    mira_xen_mm_guard((uintptr_t)stack, false);
    mira_page_free(stack, npages + 1);
}
