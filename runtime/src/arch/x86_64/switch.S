/*
 * x86_64 System V context switch for fibers.
 *
 * mira_arch_switch(void **save_sp, void *load_sp): pushes the callee-saved
 * registers and the x87/SSE control words on the current stack, stores the
 * stack pointer in *save_sp, loads load_sp and pops the same frame from it.
 * Caller-saved registers need no saving: the call itself clobbers them.
 * The frame layout is mirrored by mira_arch_stack_init in arch.c.
 */
    .text
    .globl mira_arch_switch
    .type mira_arch_switch, @function
mira_arch_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr 4(%rsp)
    fnstcw (%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    fldcw (%rsp)
    ldmxcsr 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size mira_arch_switch, .-mira_arch_switch

/*
 * First code a new fiber runs: mira_arch_stack_init left the argument in
 * %r12 and the entry function in %r13.  %rsp is 16-byte aligned here, as
 * the ABI wants at a call instruction.  The entry function never returns.
 */
    .globl mira_arch_fiber_start
    .type mira_arch_fiber_start, @function
mira_arch_fiber_start:
    movq %r12, %rdi
    callq *%r13
    ud2
    .size mira_arch_fiber_start, .-mira_arch_fiber_start

    .section .note.GNU-stack,"",@progbits
