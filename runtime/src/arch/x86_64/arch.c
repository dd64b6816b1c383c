/* Initial stack frames for x86_64 fibers; see switch.S for the layout. */
#include <stdint.h>
#include "../../arch.h"

void mira_arch_fiber_start(void);

void *mira_arch_stack_init(void *top, void (*entry)(void *), void *arg)
{
    uintptr_t t = (uintptr_t)top & ~(uintptr_t)15;
    uint64_t *sp = (uint64_t *)(t - 16); /* %rsp after the final ret */

    *--sp = (uint64_t)(uintptr_t)mira_arch_fiber_start; /* return address */
    *--sp = 0;                          /* rbp: ends frame-pointer walks */
    *--sp = 0;                          /* rbx */
    *--sp = (uint64_t)(uintptr_t)arg;   /* r12 */
    *--sp = (uint64_t)(uintptr_t)entry; /* r13 */
    *--sp = 0;                          /* r14 */
    *--sp = 0;                          /* r15 */
    /* x87 control word 0x037f (all exceptions masked, 64-bit precision)
     * in the low half, MXCSR 0x1f80 (all masked, round to nearest) above. */
    *--sp = ((uint64_t)0x1f80 << 32) | 0x037f;
    return sp;
}
