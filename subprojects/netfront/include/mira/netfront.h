/*
 * mira/netfront.h - the network interface of the xen target: a Xen virtual
 * interface (vif) driven through the netif protocol, against a backend such
 * as Linux netback.
 *
 * Runtime parameters (device net0 shown; every device has its own):
 *   net0-vif=N     the vif to use, device/vif/N in xenstore (default: the
 *                  first netif device of the app takes vif 0, the second
 *                  vif 1, ...; the .xl's vif list is in that order)
 *
 * The MAC address is the one the toolstack wrote (device/vif/N/mac); the
 * MTU is 1500.  Receive pages are granted to the backend once, when the
 * device connects, and a received frame is a packet buffer over its page
 * (mira_pbuf_wrap): when the stack frees it, the page goes straight back
 * onto the receive ring.  Sending grants each piece of a frame read-only
 * for as long as the backend holds it: no copy either way, unless a frame
 * has more pieces than netback takes (18), which is then gathered once.
 *
 * What the backend writes is checked before it is used
 * (mira/netif_proto.h): a frame with a bad size or flags is dropped and
 * counted (MIRA_NETIF_DROP_MALFORMED), one the backend failed is counted
 * as MIRA_NETIF_DROP_DEVICE, and a response that names no slot in flight
 * fails the device: every later call returns MIRA_EIO.  A backend that
 * closes makes receive return MIRA_ECLOSED.
 */
#ifndef MIRA_NETFRONT_H
#define MIRA_NETFRONT_H

#include <mira/netif.h>

/* mira_netfront_connect: connects device name (kept by pointer) to its vif
 * and stores it in *out.  Returns 0, or MIRA_ENOENT (no such vif),
 * MIRA_ECORRUPT (a bad MAC or backend key), MIRA_ETIMEDOUT (the backend did
 * not connect within 30 s), MIRA_ENOMEM, MIRA_EIO, after one error line
 * saying why. */
int mira_netfront_connect(struct mira_netif **out, const char *name);

/* What the protocol core refused since connect, by reason (the indexes of
 * enum mira_netproto_reason of mira/netif_proto.h), both rings together;
 * for diagnostics and tests.  n must be a netfront device. */
struct mira_netfront_stats {
    uint64_t refused[6];
    uint32_t rx_pages;       /* receive pages in the pool */
    uint32_t rx_posted;      /* of which on the ring now */
    uint32_t tx_inflight;    /* transmit slots the backend holds */
    uint32_t tx_linearised;  /* frames gathered into fresh pages first */
};

/* mira_netfront_stats: copies n's protocol counters into *st. */
void mira_netfront_stats(const struct mira_netif *n, struct mira_netfront_stats *st);

#endif
