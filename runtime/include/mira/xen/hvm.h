/*
 * mira/xen/hvm.h - what Xen gives a PVH guest at boot: whether it runs on
 * Xen at all, the shared info page, and the HVM parameters that announce
 * the console and xenstore rings.
 *
 * Error contract (mira/error.h): 0 on success, a negative MIRA_E* code on
 * failure.  Without Xen (QEMU's direct PVH boot) mira_xen_present is false
 * and no hypercall may be made: the functions below must not be called.
 */
#ifndef MIRA_XEN_HVM_H
#define MIRA_XEN_HVM_H

#include <stdbool.h>
#include <stdint.h>
#include <mira/xen/hypercall.h>

/* True once the guest knows it runs on Xen (false under QEMU's direct
 * PVH boot, where no hypercall may be made). */
extern bool mira_xen_present;

/* The shared info page, mapped at boot (NULL without Xen). */
extern struct shared_info *mira_xen_shared_info;

/* Reads HVM parameter index (HVM_PARAM_*) into *value: 0, or MIRA_EIO
 * when Xen refuses. */
int mira_xen_hvm_get_param(unsigned index, uint64_t *value);

/* Finds a ring page and its event channel that Xen announces in the HVM
 * parameters pfn_param and evtchn_param (console, xenstore): 0 with *ring
 * and *port set, or MIRA_ENOENT when a parameter is missing or the page
 * lies outside the guest's identity map. */
int mira_xen_hvm_ring(unsigned pfn_param, unsigned evtchn_param, void **ring,
                      evtchn_port_t *port);

#endif
