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

extern char mira_hypercall_page[4096];

/* True once the guest knows it runs on Xen (false under QEMU's direct
 * PVH boot, where no hypercall may be made). */
extern bool mira_xen_present;

/* The shared info page, mapped at boot (NULL without Xen). */
extern struct shared_info *mira_xen_shared_info;

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

/* Reads HVM parameter index (HVM_PARAM_*); 0 on success. */
int mira_xen_hvm_get_param(unsigned index, uint64_t *value);

/* Finds a ring page and event channel that Xen announces in HVM params
 * (console, xenstore): 0 with *ring and *port set, or MIRA_ENOENT. */
int mira_xen_hvm_ring(unsigned pfn_param, unsigned evtchn_param, void **ring,
                      evtchn_port_t *port);

#endif
