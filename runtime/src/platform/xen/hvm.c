/*
 * hvm.c - finding Xen, and what Xen gives a PVH guest (see mira/xen/hvm.h).
 *
 * Xen is found by its CPUID signature "XenVMMXenVMM" at leaf 0x40000000 or
 * a multiple of 0x100 above (another hypervisor may come first); leaf
 * base+2 names the MSR that makes Xen fill in the hypercall page.  The
 * shared info page (vCPU 0's vcpu_info and the event channel bitmaps) is
 * placed over a page of the allocator with XENMEM_add_to_physmap.  The
 * console and xenstore rings are announced in HVM parameters.
 */
#include <stdint.h>
#include <mira/error.h>
#include <mira/log.h>
#include <mira/xen/hvm.h>
#include "../../libc/libc_internal.h"
#include "identity_map.h"
#include "xen_internal.h"

char mira_hypercall_page[4096] __attribute__((aligned(4096), section(".bss.hypercall")));
bool mira_xen_present;
struct shared_info *mira_xen_shared_info;
struct vcpu_info *mira_xen_vcpu_info;

/* The CPUID base of Xen's leaves, or 0 without Xen. */
static uint32_t xen_cpuid_base(void)
{
    for (uint32_t base = 0x40000000; base < 0x40010000; base += 0x100) {
        uint32_t r[4];
        cpuid(base, 0, r);
        if (r[1] == 0x566e6558 && r[2] == 0x65584d4d && r[3] == 0x4d4d566e &&
            r[0] - base >= 2)
            return base; /* "XenVMMXenVMM" */
    }
    return 0;
}

void mira_xen_hvm_detect(void)
{
    uint32_t base = xen_cpuid_base();
    if (base == 0)
        return;
    uint32_t r[4];
    cpuid(base + 2, 0, r);
    wrmsr(r[1], (uintptr_t)mira_hypercall_page);
    mira_xen_present = true;
}

void mira_xen_hvm_map_shared_info(void)
{
    void *page = mira_page_alloc(1);
    struct xen_add_to_physmap xatp = {
        .domid = DOMID_SELF,
        .space = XENMAPSPACE_shared_info,
        .idx = 0,
        .gpfn = (uintptr_t)page >> PAGE_SHIFT,
    };
    if (page == NULL || MIRA_HYPERVISOR_memory_op(XENMEM_add_to_physmap, &xatp))
        mira_panic("cannot map the shared info page");
    mira_xen_shared_info = page;
    mira_xen_vcpu_info = &mira_xen_shared_info->vcpu_info[0];
}

int mira_xen_hvm_get_param(unsigned index, uint64_t *value)
{
    struct xen_hvm_param p = {.domid = DOMID_SELF, .index = index};
    long r = MIRA_HYPERVISOR_hvm_op(HVMOP_get_param, &p);
    if (r)
        return MIRA_EIO;
    *value = p.value;
    return 0;
}

int mira_xen_hvm_ring(unsigned pfn_param, unsigned evtchn_param, void **ring,
                      evtchn_port_t *port)
{
    uint64_t pfn = 0, ev = 0;
    if (mira_xen_hvm_get_param(pfn_param, &pfn) ||
        mira_xen_hvm_get_param(evtchn_param, &ev) ||
        !mira_xen_identity_mapped_pfn(pfn))
        return MIRA_ENOENT;
    *ring = (void *)(uintptr_t)(pfn << PAGE_SHIFT);
    *port = (evtchn_port_t)ev;
    return 0;
}
