/*
 * cpu.c - descriptor tables and CPU exceptions of the xen guest.
 *
 * Every exception vector reports the crash with a register dump and stops
 * the guest through mira_panic (SHUTDOWN_crash on Xen).  Exceptions run on
 * IST stacks (stacks.c), so a stack that overflows into its guard page is
 * reported too (as a stack overflow, naming the fiber or the platform
 * stack), and a NULL dereference faults because page 0 is left unmapped
 * (see mm.c).
 */
#include <stdint.h>
#include <string.h>
#include <mira/fiber.h>
#include <mira/format.h>
#include <mira/log.h>
#include <mira/xen/debugcon.h>
#include "../../platform.h"
#include "xen_internal.h"

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

struct idt_entry {
    uint16_t off_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type;
    uint16_t off_mid;
    uint32_t off_hi;
    uint32_t reserved;
} __attribute__((packed));

struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};

extern uint64_t mira_xen_gdt[];
extern const uint64_t mira_xen_trap_stubs[32];
extern char mira_xen_upcall_entry[];

static struct tss tss;
static struct idt_entry idt[256] __attribute__((aligned(16)));

static void set_gate(int vec, uintptr_t handler, int ist)
{
    idt[vec] = (struct idt_entry){
        .off_lo = (uint16_t)handler,
        .selector = 0x08,
        .ist = (uint8_t)ist,
        .type = 0x8e, /* present, DPL 0, 64-bit interrupt gate */
        .off_mid = (uint16_t)(handler >> 16),
        .off_hi = (uint32_t)(handler >> 32),
    };
}

void mira_xen_cpu_init(void)
{
    tss.ist[0] = mira_xen_ist_top(1);
    tss.ist[1] = mira_xen_ist_top(2);
    tss.iomap_base = sizeof(tss);
    uint64_t base = (uintptr_t)&tss, limit = sizeof(tss) - 1;
    mira_xen_gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
                      (0x89ull << 40) | (((limit >> 16) & 0xf) << 48) |
                      (((base >> 24) & 0xff) << 56);
    mira_xen_gdt[4] = base >> 32;
    __asm__ volatile("ltr %w0" : : "r"(0x18));

    for (int v = 0; v < 32; v++)
        set_gate(v, mira_xen_trap_stubs[v], v == 8 ? 2 : 1);
    set_gate(XEN_UPCALL_VECTOR, (uintptr_t)mira_xen_upcall_entry, 0);
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) idtr = {sizeof(idt) - 1, (uintptr_t)idt};
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

static const char *const names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow",
    "bound range exceeded", "invalid opcode", "device not available",
    "double fault", "coprocessor segment overrun", "invalid TSS",
    "segment not present", "stack-segment fault", "general protection fault",
    "page fault", "reserved", "x87 floating-point exception",
    "alignment check", "machine check", "SIMD floating-point exception",
    "virtualization exception", "control protection exception",
};

static void dump(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void dump(const char *fmt, ...)
{
    char line[160];
    va_list ap;
    va_start(ap, fmt);
    int n = mira_vsnprintf(line, sizeof(line) - 1, fmt, ap); /* never < 0 */
    va_end(ap);
    if ((size_t)n > sizeof(line) - 2)
        n = sizeof(line) - 2;
    line[n++] = '\n';
    mira_platform_diag_write(line, (size_t)n);
}

_Noreturn void mira_xen_trap(struct trap_frame *f);
_Noreturn void mira_xen_trap(struct trap_frame *f)
{
    static int nested;
    uint64_t cr2;
    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    if (nested++) {
        char msg[192];
        const char *stack = mira_xen_stack_of_guard(cr2);
        int n = mira_snprintf(msg, sizeof(msg),
                              "mira: panic: exception %lu in the exception handler "
                              "(rip 0x%lx, cr2 0x%lx)%s%s\n", (unsigned long)f->vector,
                              (unsigned long)f->rip, (unsigned long)cr2,
                              stack ? ": stack overflow of " : "", stack ? stack : "");
        mira_xen_debugcon_write(msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
        mira_platform_crash();
    }
    struct mira_fiber *self = mira_xen_sched_running ? mira_self() : NULL;
    /* Outside every fiber: boot code, or the scheduler (idle wait, event
     * handlers); both run on the boot stack. */
    const char *fiber = self ? mira_fiber_name(self)
                        : mira_xen_sched_running ? "(scheduler)" : "(boot)";
    const char *name = f->vector < 32 && names[f->vector] ? names[f->vector]
                                                          : "exception";
    dump("mira: trap: %s (vector %lu, error 0x%lx) in fiber '%s'", name,
         (unsigned long)f->vector, (unsigned long)f->error, fiber);
    dump("mira: trap: rip=%016lx rsp=%016lx rflags=%016lx cr2=%016lx",
         f->rip, f->rsp, f->rflags, cr2);
    dump("mira: trap: rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx",
         f->rax, f->rbx, f->rcx, f->rdx);
    dump("mira: trap: rsi=%016lx rdi=%016lx rbp=%016lx r8 =%016lx",
         f->rsi, f->rdi, f->rbp, f->r8);
    dump("mira: trap: r9 =%016lx r10=%016lx r11=%016lx r12=%016lx",
         f->r9, f->r10, f->r11, f->r12);
    dump("mira: trap: r13=%016lx r14=%016lx r15=%016lx",
         f->r13, f->r14, f->r15);
    if (f->vector == 14) {
        const char *access = f->error & 16 ? "instruction fetch"
                             : f->error & 2 ? "write" : "read";
        if (cr2 < PAGE_SIZE)
            mira_panic("NULL pointer dereference: page fault on %s at 0x%lx "
                       "(rip 0x%lx) in fiber '%s'", access, (unsigned long)cr2,
                       (unsigned long)f->rip, fiber);
        const char *stack = mira_xen_stack_of_guard(cr2);
        if (stack && mira_xen_mm_is_guard(cr2))
            mira_panic("stack overflow: %s hit its guard page at 0x%lx "
                       "(rip 0x%lx)", stack, (unsigned long)cr2,
                       (unsigned long)f->rip);
        if (mira_xen_mm_is_guard(cr2))
            mira_panic("stack overflow: fiber '%s' hit its guard page at "
                       "0x%lx (rip 0x%lx)", fiber, (unsigned long)cr2,
                       (unsigned long)f->rip);
        mira_panic("page fault on %s at 0x%lx (rip 0x%lx) in fiber '%s'",
                   access, (unsigned long)cr2, (unsigned long)f->rip, fiber);
    }
    if (f->vector == 8)
        mira_panic("double fault (rsp 0x%lx: a stack overflow?) in fiber '%s'",
                   (unsigned long)f->rsp, fiber);
    mira_panic("%s at rip 0x%lx in fiber '%s'", name, (unsigned long)f->rip, fiber);
}
