/*
 * entry.S - the PVH entry point of the Mira xen guest.
 *
 * Xen (and QEMU's direct PVH boot) jumps to the address of the
 * XEN_ELFNOTE_PHYS32_ENTRY note in 32-bit protected mode with paging off,
 * flat segments, and %ebx holding the physical address of a struct
 * hvm_start_info.  We zero .bss, build page tables that identity-map the
 * first 4 GiB with 2 MiB pages (the C code later splits the first one to
 * leave page 0 unmapped), enable PAE, SSE and long mode, and call
 * mira_xen_boot(start_info_paddr) on the boot stack (stacks.c: it has a
 * guard page below it once mm.c runs).
 */
#include <xen/elfnote.h>

#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)
#define CR0_EM (1 << 2)
#define CR0_NE (1 << 5)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define CR4_OSFXSR (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)

/* One Xen ELF note: name "Xen", then the descriptor. */
#define XEN_NOTE_BEGIN(type)        \
    .balign 4;                      \
    .long 4;                        \
    .long 2f - 1f;                  \
    .long type;                     \
    .asciz "Xen";                   \
1:
#define XEN_NOTE_END                \
2:  .balign 4

    .section .note.Xen, "a", @note
    XEN_NOTE_BEGIN(XEN_ELFNOTE_GUEST_OS)
    .asciz "Mira"
    XEN_NOTE_END
    XEN_NOTE_BEGIN(XEN_ELFNOTE_XEN_VERSION)
    .asciz "xen-3.0"
    XEN_NOTE_END
    XEN_NOTE_BEGIN(XEN_ELFNOTE_PHYS32_ENTRY)
    .long _start32
    XEN_NOTE_END

    .section .text.boot, "ax", @progbits
    .code32
    .globl _start32
    .type _start32, @function
_start32:
    cli
    cld
    movl %ebx, %esi                 /* hvm_start_info: keep it in %esi */
    /* The boot's first timestamp (time.c turns it into Xen's system time
     * once the PV clock is mapped; boot-time=1 prints it).  In .data: the
     * .bss is zeroed below. */
    rdtsc
    movl %eax, mira_xen_boot_tsc
    movl %edx, mira_xen_boot_tsc + 4

    /* Zero .bss (page tables and stacks live there). */
    movl $__bss_start, %edi
    movl $_end, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb
    movl %esi, mira_xen_start_info_pa

    /* PML4[0] -> PDPT; PDPT[0..3] -> the four page directories. */
    movl $mira_xen_pdpt, %eax
    orl $3, %eax
    movl %eax, mira_xen_pml4
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $12, %eax
    addl $mira_xen_pd, %eax
    orl $3, %eax
    movl %eax, mira_xen_pdpt(, %ecx, 8)
    incl %ecx
    cmpl $4, %ecx
    jne 1b
    /* 2048 PDEs of 2 MiB: present, writable, large. */
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl $0x83, %eax
    movl %eax, mira_xen_pd(, %ecx, 8)
    incl %ecx
    cmpl $2048, %ecx
    jne 1b

    lgdt gdt_ptr
    movl $0x10, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movl %eax, %fs
    movl %eax, %gs

    movl %cr4, %eax
    orl $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
    movl %eax, %cr4
    movl $mira_xen_pml4, %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_LME, %eax
    wrmsr
    movl %cr0, %eax
    andl $~CR0_EM, %eax
    orl $(CR0_PE | CR0_MP | CR0_NE | CR0_WP | CR0_PG), %eax
    movl %eax, %cr0
    ljmp $0x08, $start64

    .code64
start64:
    movl $0x10, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movl %eax, %fs
    movl %eax, %gs
    movq mira_xen_boot_stack_top(%rip), %rsp  /* stacks.c */
    xorl %ebp, %ebp
    fninit
    pushq $0x1f80
    ldmxcsr (%rsp)
    popq %rax
    /* A stack protector canary from the TSC, before any C code runs. */
    rdtsc
    shlq $32, %rdx
    orq %rdx, %rax
    movabsq $0x9e3779b97f4a7c15, %rdx
    imulq %rdx, %rax
    xorq %rax, __stack_chk_guard(%rip)
    movl mira_xen_start_info_pa(%rip), %edi
    call mira_xen_boot              /* never returns */
    ud2
    .size _start32, .-_start32

    .data
    .balign 16
    .globl mira_xen_gdt
mira_xen_gdt:
    .quad 0                         /* 0x00: null */
    .quad 0x00af9a000000ffff        /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff        /* 0x10: data */
    .quad 0, 0                      /* 0x18: TSS, filled in by cpu.c */
gdt_end:
    .balign 8
    .word 0
gdt_ptr:
    .word gdt_end - mira_xen_gdt - 1
    .quad mira_xen_gdt

    .globl mira_xen_start_info_pa
mira_xen_start_info_pa:
    .long 0

    .balign 8
    .globl mira_xen_boot_tsc
mira_xen_boot_tsc:
    .quad 0

    .bss
    .balign 4096
    .globl mira_xen_pml4, mira_xen_pdpt, mira_xen_pd
mira_xen_pml4:
    .skip 4096
mira_xen_pdpt:
    .skip 4096
mira_xen_pd:
    .skip 4 * 4096

    .section .note.GNU-stack, "", @progbits
