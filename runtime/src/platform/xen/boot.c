/*
 * boot.c - start-up of the xen guest.
 *
 * mira_xen_boot runs on the boot stack once entry.S reached long mode.  It
 * copies what it needs out of hvm_start_info (command line, memory map)
 * before the page allocator may reuse that memory, finds out whether it
 * runs on Xen (without Xen, as under QEMU's direct PVH boot, no hypercall
 * is made), brings up the platform's services in order, and runs the app.
 * It only calls the services (hvm.c, mm.c, events.c, console_ring.c,
 * time.c, idle.c, gnttab.c, xenstore.c, shutdown.c): none calls back.
 */
#include <stdint.h>
#include <string.h>
#include <mira/log.h>
#include <mira/param.h>
#include <mira/xen/debugcon.h>
#include <mira/xen/hvm.h>
#include "../../platform.h"
#include "xen_internal.h"

static char cmdline[1024];
static struct mira_xen_memrange ram[32];
static int nram;

static void early(const char *s)
{
    mira_xen_debugcon_write(s, strlen(s));
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

_Noreturn void mira_xen_boot(uint32_t start_info_pa);
_Noreturn void mira_xen_boot(uint32_t start_info_pa)
{
    mira_xen_cpu_init();
    read_start_info(start_info_pa);
    mira_xen_hvm_detect();
    mira_xen_mm_init(ram, nram);
    mira_xen_stacks_guard();
    /* The parameters are known before any service starts, so the services
     * read theirs (xenstore-timeout-ms) as they start. */
    parse_cmdline();
    if (mira_xen_present) {
        mira_xen_hvm_map_shared_info();
        mira_xen_events_init();
        mira_xen_console_ring_init();
    }
    mira_xen_time_init();
    mira_xen_idle_init();
    if (mira_xen_present) {
        mira_xen_gnttab_init();
        mira_xen_xs_init();
    }
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
