/*
 * xen_internal.h - shared between the files of the xen platform, and not
 * by drivers (their services are in runtime/include/mira/xen/).  One
 * section per file that defines them.
 */
#ifndef MIRA_XEN_INTERNAL_H
#define MIRA_XEN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mira/time.h>
#include <mira/xen/hvm.h>
#include <xen/arch-x86/hvm/start_info.h>

#define PAGE_SIZE 4096u
#define PAGE_SHIFT 12

/* The vector on which Xen delivers event channel upcalls. */
#define XEN_UPCALL_VECTOR 0xf3

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v),
                     "d"((uint32_t)(v >> 32)));
}
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(sub));
}
#define barrier() __asm__ volatile("" ::: "memory")

/* cpu.c: descriptor tables, exceptions. */
void mira_xen_cpu_init(void);

/* stacks.c: the boot (scheduler) stack and the exception stacks. */
/* The top of exception stack ist (1: every exception, 2: double fault). */
uintptr_t mira_xen_ist_top(int ist);
/* Makes the page below each of these stacks a guard page (after
 * mira_xen_mm_init). */
void mira_xen_stacks_guard(void);
/* The name of the platform stack whose guard page holds va, or NULL (a
 * fiber's guard page, or no guard page at all). */
const char *mira_xen_stack_of_guard(uintptr_t va);

/* hvm.c: Xen or not, hypercall page, shared info (see also mira/xen/hvm.h). */
/* Looks for Xen; if found, installs the hypercall page and sets
 * mira_xen_present. */
void mira_xen_hvm_detect(void);
/* Maps the shared info page (panics if Xen refuses). */
void mira_xen_hvm_map_shared_info(void);
/* vCPU 0's vcpu_info in the shared info page (NULL until mapped). */
extern struct vcpu_info *mira_xen_vcpu_info;

/* mm.c: page tables and the page allocator. */
struct mira_xen_memrange {
    uint64_t start, end;
};
void mira_xen_mm_init(const struct mira_xen_memrange *ram, int n);
/* Marks the page at va not present, as a guard page (faults on it are
 * reported as stack overflows), or restores it. */
void mira_xen_mm_guard(uintptr_t va, bool guard);
/* True if va lies in a guard page. */
bool mira_xen_mm_is_guard(uintptr_t va);
size_t mira_xen_mm_free_pages(void);

/* events.c: event channels (the driver API is mira/xen/evtchn.h). */
void mira_xen_events_init(void);

/* console_ring.c (the driver API is mira/xen/console_ring.h). */
/* Finds the console ring and binds its event channel. */
void mira_xen_console_ring_init(void);
/* Waits (halting the guest) until the backend has read everything, at
 * most ms milliseconds. */
void mira_xen_console_ring_flush(int ms);

/* time.c: clocks. */
void mira_xen_time_init(void);
/* System time (ns) of the hypervisor, now. */
uint64_t mira_xen_system_time(void);
/* The hypervisor's system time at monotonic time t (for the timer). */
uint64_t mira_xen_system_time_at(mira_time_t t);

/* idle.c: the idle wait (the halt itself is mira/xen/idle.h). */
/* Binds VIRQ_TIMER, which ends a halt at its deadline. */
void mira_xen_idle_init(void);
/* Whether a fiber may wait on a wait queue, rather than poll: only while
 * the scheduler runs (between the start and the end of
 * mira_runtime_start; set by boot.c) and the guest is not stopping (set
 * once a panic or exit started, by shutdown.c). */
extern bool mira_xen_sched_running;
extern bool mira_xen_stopping;

/* gnttab.c */
void mira_xen_gnttab_init(void);

/* xenstore.c */
void mira_xen_xs_init(void);

/* diag.c: mira_platform_diag_write. */
/* The last diagnostic line written (without its newline). */
const char *mira_xen_diag_last_line(void);

/* shutdown.c: mira_platform_exit, mira_platform_crash (nothing else). */

#endif
