/* tests/xen/guests/dfpanic: a fault while the direction flag is set (as
 * inside memmove's backward copy) is still reported intact.  The C code of
 * the panic path assumes DF clear (the ABI's rule at every call): on Xen
 * its report goes through memcpy's "rep movsb" into the console ring and
 * the xenstore request, which with DF set copy backwards, garbling the
 * report and memory below the buffers.  The trap entry must clear DF. */
#include <mira/console.h>

int unikernel_start(struct mira_console *c)
{
    mira_console_log(c, "dfpanic: writing to NULL with the direction flag set");
    /* One asm statement: nothing compiled runs between std and the fault. */
    __asm__ volatile("std\n\tmovl $1, (%0)\n\tcld" : : "r"((volatile int *)0) : "memory");
    mira_console_log(c, "dfpanic: FAIL: came back");
    return 1;
}
