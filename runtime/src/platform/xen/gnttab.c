/*
 * gnttab.c - grant table version 1 of the xen guest, growing on demand.
 *
 * GNTTABOP_query_size gives the most frames Xen allows this guest; the
 * address range for all of them is reserved at boot (contiguous pages from
 * the allocator, so the table is one array), but only one frame is placed
 * there with XENMEM_add_to_physmap(XENMAPSPACE_grant_table) (Xen grows its
 * table when a frame beyond the current count is mapped; the RAM page that
 * was at that address goes back to Xen).  When the free list (gnttab_refs.c)
 * runs dry, one more frame is added.  Entries below GNTTAB_NR_RESERVED_ENTRIES
 * belong to the toolstack.  Grants the backend still maps when a driver
 * ends them wait on a deferred list, retried from the idle loop.
 */
#include <stdint.h>
#include <stdlib.h>
#include <mira/error.h>
#include <mira/log.h>
#include <mira/page.h>
#include <mira/xen/gnttab.h>
#include <mira/xen/page.h>
#include "../../libc/libc_internal.h"
#include "gnttab_refs.h"
#include "xen_internal.h"

#define ENTRIES_PER_FRAME (PAGE_SIZE / sizeof(grant_entry_v1_t))
#define MAX_FRAMES_CAP 256u /* 1 MiB of table: far above Xen's default 64 */

_Static_assert(MIRA_GNTTAB_RESERVED == GNTTAB_NR_RESERVED_ENTRIES,
               "reserved grant entries");

static grant_entry_v1_t *table; /* room for max_frames frames */
static unsigned nr_frames, max_frames;
static struct mira_gnttab_refs refs;

struct deferred {
    struct deferred *next;
    grant_ref_t ref;
    void *page;
};
static struct deferred *deferred_head;
static unsigned deferred_count;

/* Places frame number nr_frames of the table; 0 or MIRA_ENOMEM. */
static int add_frame(void)
{
    if (nr_frames >= max_frames)
        return MIRA_ENOMEM;
    struct xen_add_to_physmap x = {
        .domid = DOMID_SELF,
        .space = XENMAPSPACE_grant_table,
        .idx = nr_frames,
        .gpfn = mira_xen_virt_to_pfn(table) + nr_frames,
    };
    long rc = MIRA_HYPERVISOR_memory_op(XENMEM_add_to_physmap, &x);
    if (rc) {
        mira_log(MIRA_LOG_WARN, "gnttab", "cannot add grant frame %u (Xen: %ld)",
                 nr_frames, rc);
        max_frames = nr_frames; /* do not try again */
        return MIRA_ENOMEM;
    }
    nr_frames++;
    if (mira_gnttab_refs_grow(&refs, nr_frames * ENTRIES_PER_FRAME))
        mira_panic("gnttab: free list cannot grow to %u frames", nr_frames);
    mira_log(MIRA_LOG_DEBUG, "gnttab", "grant table: %u of %u frames", nr_frames,
             max_frames);
    return 0;
}

void mira_xen_gnttab_init(void)
{
    struct gnttab_query_size q = {.dom = DOMID_SELF};
    if (MIRA_HYPERVISOR_grant_table_op(GNTTABOP_query_size, &q, 1) || q.status)
        return;
    unsigned max = q.max_nr_frames < MAX_FRAMES_CAP ? q.max_nr_frames : MAX_FRAMES_CAP;
    if (max == 0)
        return;
    char *base = mira_page_alloc(max);
    uint32_t *link = mira_page_alloc((max * ENTRIES_PER_FRAME * sizeof(uint32_t) +
                                      PAGE_SIZE - 1) / PAGE_SIZE);
    if (base == NULL || link == NULL) {
        mira_log(MIRA_LOG_WARN, "gnttab", "no memory for a grant table of %u frames", max);
        return;
    }
    table = (grant_entry_v1_t *)base;
    max_frames = max;
    mira_gnttab_refs_init(&refs, link, max * ENTRIES_PER_FRAME);
    add_frame();
}

unsigned mira_gnttab_capacity(void)
{
    return refs.nr;
}

unsigned mira_gnttab_max_capacity(void)
{
    return max_frames * ENTRIES_PER_FRAME;
}

unsigned mira_gnttab_free_count(void)
{
    return refs.nfree;
}

int mira_gnttab_grant(domid_t domid, uint64_t pfn, bool readonly)
{
    if (pfn == 0 || pfn > UINT32_MAX)
        mira_panic("mira_gnttab_grant: frame %#llx cannot be granted (v1 entries)",
                   (unsigned long long)pfn);
    long ref = mira_gnttab_refs_get(&refs);
    if (ref < 0 && deferred_count) {
        mira_gnttab_retry_deferred();
        ref = mira_gnttab_refs_get(&refs);
    }
    if (ref < 0 && add_frame() == 0)
        ref = mira_gnttab_refs_get(&refs);
    if (ref < 0)
        return MIRA_ENOMEM;
    table[ref].frame = (uint32_t)pfn;
    table[ref].domid = domid;
    /* The backend must see frame and domid before the permission. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    __atomic_store_n(&table[ref].flags,
                     (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0)),
                     __ATOMIC_SEQ_CST);
    return (int)ref;
}

int mira_gnttab_grant_page(domid_t domid, const void *page, bool readonly)
{
    if ((uintptr_t)page % PAGE_SIZE)
        mira_panic("mira_gnttab_grant_page(%p): not page-aligned", page);
    return mira_gnttab_grant(domid, mira_xen_virt_to_pfn(page), readonly);
}

/* Revokes ref unless the backend maps it: 0 or MIRA_EAGAIN. */
static int revoke(grant_ref_t ref)
{
    uint16_t flags = __atomic_load_n(&table[ref].flags, __ATOMIC_SEQ_CST);
    do {
        if (flags & (GTF_reading | GTF_writing))
            return MIRA_EAGAIN;
    } while (!__atomic_compare_exchange_n(&table[ref].flags, &flags, 0, false,
                                          __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
    return 0;
}

static void check_ref(const char *who, grant_ref_t ref)
{
    if (!mira_gnttab_refs_in_use(&refs, ref))
        mira_panic("%s: grant reference %u is not in use", who, ref);
}

int mira_gnttab_end(grant_ref_t ref)
{
    check_ref("mira_gnttab_end", ref);
    int r = revoke(ref);
    if (r == 0)
        mira_gnttab_refs_put(&refs, ref);
    return r;
}

int mira_gnttab_end_deferred(grant_ref_t ref, void *page)
{
    check_ref("mira_gnttab_end_deferred", ref);
    if (revoke(ref) == 0) {
        mira_gnttab_refs_put(&refs, ref);
        mira_pages_free(page, 1);
        return 0;
    }
    struct deferred *d = malloc(sizeof(*d));
    if (d == NULL) {
        mira_log(MIRA_LOG_WARN, "gnttab", "out of memory: grant %u and its page leak", ref);
        return 1;
    }
    d->ref = ref;
    d->page = page;
    d->next = deferred_head;
    deferred_head = d;
    deferred_count++;
    return 1;
}

unsigned mira_gnttab_retry_deferred(void)
{
    for (struct deferred **pp = &deferred_head; *pp;) {
        struct deferred *d = *pp;
        if (revoke(d->ref) != 0) {
            pp = &d->next;
            continue;
        }
        *pp = d->next;
        mira_gnttab_refs_put(&refs, d->ref);
        mira_pages_free(d->page, 1);
        free(d);
        deferred_count--;
    }
    return deferred_count;
}
