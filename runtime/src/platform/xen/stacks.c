/*
 * stacks.c - the platform's own stacks, each above an unmapped guard page.
 *
 * The boot stack is where mira_xen_boot runs and, after it, the scheduler
 * and everything it calls outside a fiber: the idle wait and the event
 * handlers it dispatches.  The two exception stacks (IST1 for every CPU
 * exception, IST2 for double faults, see cpu.c) are where traps are
 * reported.  Each lies in .bss right above a page of its own that mm.c
 * marks as a guard page once it has split the first 2 MiB into 4 KiB
 * pages, so an overflow faults on that page, which the trap handler reports
 * by name, instead of silently overwriting what lies below (the page
 * tables sit below the boot stack, the hypercall page below an exception
 * stack).  Before mira_xen_stacks_guard runs the guard pages are plain
 * memory: boot code runs shallow.
 */
#include <stdint.h>
#include "xen_internal.h"

#define BOOT_STACK_SIZE (32u * 1024)
#define IST1_SIZE (16u * 1024)
#define IST2_SIZE (8u * 1024)

/* A guard page, then the stack (which grows down towards the guard). */
#define GUARDED_STACK(name, size)                                          \
    static struct {                                                        \
        char guard[PAGE_SIZE];                                             \
        char stack[size];                                                  \
    } name __attribute__((aligned(PAGE_SIZE), section(".bss.stack." #name)))

GUARDED_STACK(boot_stack, BOOT_STACK_SIZE);
GUARDED_STACK(ist1_stack, IST1_SIZE);
GUARDED_STACK(ist2_stack, IST2_SIZE);

/* Read by entry.S before any C code runs. */
char *const mira_xen_boot_stack_top = boot_stack.stack + sizeof(boot_stack.stack);

static const struct {
    const char *guard;
    const char *name;
} stacks[] = {
    {boot_stack.guard, "the boot stack (the scheduler's: event handlers, idle wait)"},
    {ist1_stack.guard, "the exception stack (IST1)"},
    {ist2_stack.guard, "the double-fault stack (IST2)"},
};

uintptr_t mira_xen_ist_top(int ist)
{
    return ist == 1 ? (uintptr_t)(ist1_stack.stack + sizeof(ist1_stack.stack))
                    : (uintptr_t)(ist2_stack.stack + sizeof(ist2_stack.stack));
}

void mira_xen_stacks_guard(void)
{
    for (size_t i = 0; i < sizeof(stacks) / sizeof(stacks[0]); i++)
        mira_xen_mm_guard((uintptr_t)stacks[i].guard, true);
}

const char *mira_xen_stack_of_guard(uintptr_t va)
{
    for (size_t i = 0; i < sizeof(stacks) / sizeof(stacks[0]); i++)
        if (va - (uintptr_t)stacks[i].guard < PAGE_SIZE)
            return stacks[i].name;
    return NULL;
}
