/*
 * traps.S - interrupt descriptor table entry stubs.
 *
 * Vectors 0-31 (CPU exceptions) push a uniform frame (error code or 0,
 * vector, the 15 general registers) and call mira_xen_trap(frame), which
 * reports the crash and never returns.  They run on an IST stack so that a
 * fiber's stack overflow (a fault on its guard page) can still be reported.
 * The direction flag is cleared before any C code runs: the CPU keeps the
 * interrupted code's DF (set inside memmove's backward copy, say), and the
 * compiled C code assumes it clear, as the ABI guarantees at every call.
 *
 * The event-channel upcall vector only clears the vCPU's
 * evtchn_upcall_pending flag: events are dispatched by the idle loop
 * (events.c), never inside the interrupt, so fibers need no locking.
 */
    .text

.macro TRAP_NOERR n
    .balign 16
trap_\n:
    pushq $0
    pushq $\n
    jmp trap_common
.endm
.macro TRAP_ERR n
    .balign 16
trap_\n:
    pushq $\n
    jmp trap_common
.endm

TRAP_NOERR 0
TRAP_NOERR 1
TRAP_NOERR 2
TRAP_NOERR 3
TRAP_NOERR 4
TRAP_NOERR 5
TRAP_NOERR 6
TRAP_NOERR 7
TRAP_ERR 8
TRAP_NOERR 9
TRAP_ERR 10
TRAP_ERR 11
TRAP_ERR 12
TRAP_ERR 13
TRAP_ERR 14
TRAP_NOERR 15
TRAP_NOERR 16
TRAP_ERR 17
TRAP_NOERR 18
TRAP_NOERR 19
TRAP_NOERR 20
TRAP_ERR 21
TRAP_NOERR 22
TRAP_NOERR 23
TRAP_NOERR 24
TRAP_NOERR 25
TRAP_NOERR 26
TRAP_NOERR 27
TRAP_NOERR 28
TRAP_ERR 29
TRAP_ERR 30
TRAP_NOERR 31

trap_common:
    cld                             /* the C code below assumes DF = 0 */
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rdi
    andq $~15, %rsp
    call mira_xen_trap              /* never returns */
    ud2

/* The event channel upcall: see the comment at the top. */
    .balign 16
    .globl mira_xen_upcall_entry
mira_xen_upcall_entry:
    pushq %rax
    movq mira_xen_vcpu_info(%rip), %rax
    testq %rax, %rax
    jz 1f
    movb $0, (%rax)                 /* vcpu_info.evtchn_upcall_pending */
1:  popq %rax
    iretq

    .section .rodata
    .balign 8
    .globl mira_xen_trap_stubs
mira_xen_trap_stubs:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad trap_\n
    .endr

    .section .note.GNU-stack, "", @progbits
