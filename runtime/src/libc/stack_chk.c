/* stack_chk.c - the stack protector's canary and its failure handler
 * (-fstack-protector-strong).  The platform's boot code sets the canary to
 * a random value before calling anything protected. */
#include <stdint.h>
#include <mira/log.h>

uintptr_t __stack_chk_guard = 0x595e9fbd94fda766ull;

_Noreturn void __stack_chk_fail(void)
{
    mira_panic("stack smashing detected (stack protector canary overwritten)");
}
