/*
 * boot.c - start-up, diagnostics and shutdown of the xen guest.
 *
 * mira_xen_boot runs on the boot stack once entry.S reached long mode.  It
 * copies what it needs out of hvm_start_info (command line, memory map)
 * before the page allocator may reuse that memory, finds out whether it
 * runs on Xen (CPUID leaves 0x40000000+: without Xen, as under QEMU's
 * direct PVH boot, no hypercall is made, diagnostics go to port 0xe9 and
 * the exit status to QEMU's isa-debug-exit port 0xf4), brings up the Xen
 * services, and runs the app.
 */
#include <stdint.h>
#include <string.h>
#include <mira/error.h>
#include <mira/format.h>
#include <mira/log.h>
#include <mira/param.h>
#include <mira/xen/evtchn.h>
#include <mira/xen/xenstore.h>
#include "../../libc/libc_internal.h"
#include "../../platform.h"
#include "xen_internal.h"

char mira_hypercall_page[4096] __attribute__((aligned(4096), section(".bss.hypercall")));
bool mira_xen_present;
bool mira_xen_sched_running;
bool mira_xen_stopping;
struct shared_info *mira_xen_shared_info;
struct vcpu_info *mira_xen_vcpu_info;

static char cmdline[1024];
static struct mira_xen_memrange ram[32];
static int nram;

void mira_xen_e9_write(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        outb(0xe9, (uint8_t)buf[i]);
}

static void early(const char *s)
{
    mira_xen_e9_write(s, strlen(s));
}

static uint32_t detect_xen(void)
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
        mira_xen_hvm_get_param(evtchn_param, &ev) || pfn == 0 ||
        pfn >= (4ull << 20)) /* beyond the 4 GiB that the page tables map */
        return MIRA_ENOENT;
    *ring = (void *)(uintptr_t)(pfn << PAGE_SHIFT);
    *port = (evtchn_port_t)ev;
    return 0;
}

static void read_start_info(uint32_t pa)
{
    const struct hvm_start_info *si = (const void *)(uintptr_t)pa;
    if (pa == 0 || si->magic != XEN_HVM_START_MAGIC_VALUE) {
        early("mira: no hvm_start_info: assuming 32 MiB\n");
        ram[nram++] = (struct mira_xen_memrange){0x100000, 32u << 20};
        return;
    }
    if (si->cmdline_paddr) {
        const char *c = (const char *)(uintptr_t)si->cmdline_paddr;
        size_t n = strnlen(c, sizeof(cmdline) - 1);
        memcpy(cmdline, c, n);
    }
    if (si->version >= 1 && si->memmap_paddr && si->memmap_entries) {
        const struct hvm_memmap_table_entry *e =
            (const void *)(uintptr_t)si->memmap_paddr;
        for (uint32_t i = 0; i < si->memmap_entries && nram < 32; i++)
            if (e[i].type == XEN_HVM_MEMMAP_TYPE_RAM)
                ram[nram++] = (struct mira_xen_memrange){
                    e[i].addr, e[i].addr + e[i].size};
    } else {
        early("mira: no memory map: assuming 32 MiB\n");
        ram[nram++] = (struct mira_xen_memrange){0x100000, 32u << 20};
    }
}

static void parse_cmdline(void)
{
    char *p = cmdline;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            *p++ = 0;
        if (!*p)
            break;
        char *word = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n')
            p++;
        char save = *p;
        *p = 0;
        char *eq = strchr(word, '=');
        if (eq) {
            *eq = 0;
            mira_param_add(word, eq + 1);
            *eq = '=';
        } else {
            mira_param_add(word, "");
        }
        *p = save;
    }
}

static void map_shared_info(void)
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

void mira_xen_boot(uint32_t start_info_pa);
void mira_xen_boot(uint32_t start_info_pa)
{
    mira_xen_cpu_init();
    read_start_info(start_info_pa);
    uint32_t base = detect_xen();
    if (base) {
        uint32_t r[4];
        cpuid(base + 2, 0, r);
        wrmsr(r[1], (uintptr_t)mira_hypercall_page);
        mira_xen_present = true;
    }
    mira_xen_mm_init(ram, nram);
    if (mira_xen_present) {
        map_shared_info();
        mira_xen_events_init();
        mira_xen_cons_init();
    }
    mira_xen_time_init();
    if (mira_xen_present) {
        mira_xen_gnttab_init();
        mira_xen_xs_init();
    }
    parse_cmdline();
    if (strcmp(mira_param("log-level", ""), "debug") == 0)
        mira_log_set_level(MIRA_LOG_DEBUG); /* for the line below */
    mira_log(MIRA_LOG_DEBUG, "xen", "PVH guest on %s, %zu KiB free, cmdline '%s', "
             "booted in %lld us", mira_xen_present ? "Xen" : "a bare PVH loader (no Xen)",
             mira_xen_mm_free_pages() * 4, cmdline,
             (long long)(mira_platform_monotonic() / 1000));
    mira_xen_sched_running = true;
    int status = mira_runtime_start();
    mira_xen_sched_running = false;
    mira_platform_exit(status);
}

/* The last diagnostic line, kept for data/mira-panic. */
static char last_line[256];
static size_t last_len;
static bool line_done = true;

static void remember(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (line_done) {
            last_len = 0;
            line_done = false;
        }
        if (buf[i] == '\n')
            line_done = true;
        else if (last_len < sizeof(last_line) - 1)
            last_line[last_len++] = buf[i];
    }
    last_line[last_len] = 0;
}

void mira_platform_diag_write(const char *buf, size_t len)
{
    remember(buf, len);
    mira_xen_e9_write(buf, len);
    if (!mira_xen_present)
        return;
    mira_time_t deadline = 0;
    while (len) {
        long n = mira_xen_cons_write_nowait(buf, len);
        if (n < 0)
            return; /* no console ring: port 0xe9 only */
        buf += n;
        len -= (size_t)n;
        if (len) {
            if (deadline == 0)
                deadline = mira_platform_monotonic() + MIRA_SECONDS(2);
            else if (mira_platform_monotonic() > deadline)
                return; /* nobody reads the console: drop the rest */
            mira_xen_block(mira_platform_monotonic() + MIRA_MILLISECONDS(1));
        }
    }
}

extern unsigned long mira_xen_halts, mira_xen_events;

static _Noreturn void stop(unsigned reason, int status)
{
    if (reason != SHUTDOWN_crash)
        mira_log(MIRA_LOG_DEBUG, "xen", "exit status %d after %lu halts, %lu events, "
                 "%lld ms", status, mira_xen_halts, mira_xen_events,
                 (long long)(mira_platform_monotonic() / 1000000));
    mira_xen_stopping = true;
    if (mira_xen_present) {
        char v[16];
        mira_snprintf(v, sizeof(v), "%d", status);
        if (reason == SHUTDOWN_crash)
            mira_xs_write("data/mira-panic", last_line);
        else
            mira_xs_write("data/mira-exit-status", v);
        mira_xen_cons_flush(1000);
        struct sched_shutdown s = {.reason = reason};
        for (;;)
            MIRA_HYPERVISOR_sched_op(SCHEDOP_shutdown, &s);
    }
    /* QEMU's isa-debug-exit: QEMU exits with (status << 1) | 1. */
    outl(0xf4, (uint32_t)status);
    for (;;)
        __asm__ volatile("cli; hlt");
}

_Noreturn void mira_platform_exit(int status)
{
    stop(SHUTDOWN_poweroff, status & 255);
}

_Noreturn void mira_platform_crash(void)
{
    static bool crashing;
    if (crashing) { /* a panic while reporting a panic */
        mira_xen_stopping = true;
        if (mira_xen_present) {
            struct sched_shutdown s = {.reason = SHUTDOWN_crash};
            for (;;)
                MIRA_HYPERVISOR_sched_op(SCHEDOP_shutdown, &s);
        }
        outl(0xf4, 255);
        for (;;)
            __asm__ volatile("cli; hlt");
    }
    crashing = true;
    stop(SHUTDOWN_crash, 255);
}
