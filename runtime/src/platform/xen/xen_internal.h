/* xen_internal.h - shared between the files of the xen platform. */
#ifndef MIRA_XEN_INTERNAL_H
#define MIRA_XEN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mira/xen/hypercall.h>
#include <xen/arch-x86/hvm/start_info.h>

#define PAGE_SIZE 4096u
#define PAGE_SHIFT 12

/* The vector on which Xen delivers event channel upcalls. */
#define XEN_UPCALL_VECTOR 0xf3

extern struct vcpu_info *mira_xen_vcpu_info;

/* True between the start and the end of mira_runtime_start: fibers exist
 * and a fiber may wait on a wait queue. */
extern bool mira_xen_sched_running;
/* Set once a panic or exit started: everything polls from then on. */
extern bool mira_xen_stopping;

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
#define mb() __asm__ volatile("mfence" ::: "memory")

/* cpu.c */
void mira_xen_cpu_init(void);

/* mm.c */
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

/* time.c */
void mira_xen_time_init(void);
/* System time (ns) of the hypervisor, for the single-shot timer. */
uint64_t mira_xen_system_time(void);

/* events.c */
void mira_xen_events_init(void);

/* console ring (cons.c) */
void mira_xen_cons_init(void);
/* Writes what fits of buf to the console ring without waiting; returns
 * the count written, or -1 when there is no ring. */
long mira_xen_cons_write_nowait(const char *buf, size_t len);
/* Waits (polling) until the backend has read everything, at most ms. */
void mira_xen_cons_flush(int ms);

/* xenstore.c */
void mira_xen_xs_init(void);

/* gnttab.c */
void mira_xen_gnttab_init(void);

/* debugcon (port 0xe9) */
void mira_xen_e9_write(const char *buf, size_t len);

#endif
