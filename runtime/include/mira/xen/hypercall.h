/*
 * mira/xen/hypercall.h - Xen hypercalls from a Mira PVH guest.
 *
 * The Xen ABI comes from Xen's public headers (Debian's libxen-dev), with
 * the interface version pinned by the build (__XEN_INTERFACE_VERSION__ is
 * set in the runtime's compile arguments).  Hypercalls go through the
 * hypercall page that the platform installs at boot: each call is
 * "call page + 32 * number" with the arguments in %rdi %rsi %rdx %r10 %r8.
 * For drivers (console-xen, blkfront, netfront) and the platform itself.
 */
#ifndef MIRA_XEN_HYPERCALL_H
#define MIRA_XEN_HYPERCALL_H

#include <stdbool.h>
#include <stdint.h>

#ifndef __XEN_INTERFACE_VERSION__
#error "__XEN_INTERFACE_VERSION__ must be pinned by the build"
#endif
#include <xen/xen.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/vcpu.h>

/* The hypercall page, filled in by Xen at boot (see mira/xen/hvm.h for
 * whether Xen is there at all). */
extern char mira_hypercall_page[4096];

static inline long mira_hypercall5(unsigned nr, unsigned long a1,
                                   unsigned long a2, unsigned long a3,
                                   unsigned long a4, unsigned long a5)
{
    register unsigned long r10 __asm__("r10") = a4;
    register unsigned long r8 __asm__("r8") = a5;
    long ret;
    __asm__ volatile("call *%[entry]"
                     : "=a"(ret), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10),
                       "+r"(r8)
                     : [entry] "r"(mira_hypercall_page + nr * 32)
                     : "memory", "rcx", "r9", "r11");
    return ret;
}

static inline long mira_hypercall2(unsigned nr, unsigned long a1,
                                   unsigned long a2)
{
    return mira_hypercall5(nr, a1, a2, 0, 0, 0);
}

static inline long mira_hypercall3(unsigned nr, unsigned long a1,
                                   unsigned long a2, unsigned long a3)
{
    return mira_hypercall5(nr, a1, a2, a3, 0, 0);
}

#define MIRA_HYPERVISOR_sched_op(cmd, arg) \
    mira_hypercall2(__HYPERVISOR_sched_op, (cmd), (unsigned long)(arg))
#define MIRA_HYPERVISOR_event_channel_op(cmd, arg) \
    mira_hypercall2(__HYPERVISOR_event_channel_op, (cmd), (unsigned long)(arg))
#define MIRA_HYPERVISOR_hvm_op(cmd, arg) \
    mira_hypercall2(__HYPERVISOR_hvm_op, (cmd), (unsigned long)(arg))
#define MIRA_HYPERVISOR_memory_op(cmd, arg) \
    mira_hypercall2(__HYPERVISOR_memory_op, (cmd), (unsigned long)(arg))
#define MIRA_HYPERVISOR_vcpu_op(cmd, vcpu, arg)                         \
    mira_hypercall3(__HYPERVISOR_vcpu_op, (cmd), (vcpu),                \
                    (unsigned long)(arg))
#define MIRA_HYPERVISOR_grant_table_op(cmd, arg, count)                 \
    mira_hypercall3(__HYPERVISOR_grant_table_op, (cmd),                 \
                    (unsigned long)(arg), (count))

#endif
