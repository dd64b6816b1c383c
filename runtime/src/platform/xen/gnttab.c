/*
 * gnttab.c - grant table version 1 of the xen guest.
 *
 * The table's frames are placed into the guest's physical memory with
 * XENMEM_add_to_physmap(XENMAPSPACE_grant_table) over pages taken from the
 * page allocator (their RAM is given back to Xen), after asking for the
 * size with GNTTABOP_query_size.  Entries below GNTTAB_NR_RESERVED_ENTRIES
 * belong to the toolstack; free entries are chained through a free list.
 */
#include <stdint.h>
#include <mira/error.h>
#include <mira/log.h>
#include <mira/xen/gnttab.h>
#include "../../libc/libc_internal.h"
#include "xen_internal.h"

#define MAX_FRAMES 4

static grant_entry_v1_t *table;
static unsigned nr_entries;
static grant_ref_t *free_list; /* next free ref per entry, 0 ends */
static grant_ref_t free_head;

void mira_xen_gnttab_init(void)
{
    struct gnttab_query_size q = {.dom = DOMID_SELF};
    if (MIRA_HYPERVISOR_grant_table_op(GNTTABOP_query_size, &q, 1) || q.status)
        return;
    unsigned frames = q.max_nr_frames < MAX_FRAMES ? q.max_nr_frames : MAX_FRAMES;
    if (frames == 0)
        return;
    char *base = mira_page_alloc(frames);
    if (base == NULL)
        return;
    for (unsigned i = 0; i < frames; i++) {
        struct xen_add_to_physmap x = {
            .domid = DOMID_SELF,
            .space = XENMAPSPACE_grant_table,
            .idx = i,
            .gpfn = ((uintptr_t)base >> PAGE_SHIFT) + i,
        };
        if (MIRA_HYPERVISOR_memory_op(XENMEM_add_to_physmap, &x)) {
            frames = i;
            break;
        }
    }
    if (frames == 0)
        return;
    table = (grant_entry_v1_t *)base;
    nr_entries = frames * PAGE_SIZE / sizeof(grant_entry_v1_t);
    free_list = mira_page_alloc((nr_entries * sizeof(grant_ref_t) + PAGE_SIZE - 1) / PAGE_SIZE);
    if (free_list == NULL) {
        nr_entries = 0;
        return;
    }
    free_head = 0;
    for (grant_ref_t r = nr_entries - 1; r >= GNTTAB_NR_RESERVED_ENTRIES; r--) {
        free_list[r] = free_head;
        free_head = r;
    }
}

unsigned mira_gnttab_capacity(void)
{
    return nr_entries;
}

int mira_gnttab_grant(domid_t domid, uint64_t pfn, bool readonly)
{
    if (free_head == 0)
        return MIRA_ENOMEM;
    grant_ref_t ref = free_head;
    free_head = free_list[ref];
    table[ref].frame = (uint32_t)pfn;
    table[ref].domid = domid;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    __atomic_store_n(&table[ref].flags,
                     (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0)),
                     __ATOMIC_SEQ_CST);
    return (int)ref;
}

int mira_gnttab_grant_page(domid_t domid, const void *page, bool readonly)
{
    return mira_gnttab_grant(domid, (uintptr_t)page >> PAGE_SHIFT, readonly);
}

int mira_gnttab_end(grant_ref_t ref)
{
    if (ref < GNTTAB_NR_RESERVED_ENTRIES || ref >= nr_entries)
        mira_panic("mira_gnttab_end: bad grant reference %u", ref);
    uint16_t flags = __atomic_load_n(&table[ref].flags, __ATOMIC_SEQ_CST);
    do {
        if (flags & (GTF_reading | GTF_writing))
            return MIRA_EAGAIN;
    } while (!__atomic_compare_exchange_n(&table[ref].flags, &flags, 0, false,
                                          __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
    free_list[ref] = free_head;
    free_head = ref;
    return 0;
}
