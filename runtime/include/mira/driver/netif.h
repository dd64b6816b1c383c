/*
 * mira/driver/netif.h - what a network interface driver implements.
 *
 * A driver embeds struct mira_netif first in its own state, fills ops and
 * info when it connects, and never changes info afterwards.  The runtime's
 * mira_netif_* functions check frames before send (length; the driver sees
 * only frames of 14 to MTU + 14 bytes, or GSO frames up to gso_max on a
 * device with MIRA_NETIF_TSO4), count frames and bytes each way, and free a
 * refused frame.  Drivers count their own drops with mira_netif_count_drop.
 */
#ifndef MIRA_DRIVER_NETIF_H
#define MIRA_DRIVER_NETIF_H

#include <mira/netif.h>

struct mira_netif_ops {
    /* send: as mira_netif_send on a checked frame, which it owns from now
     * on.  Never waits.  Returns 0 or MIRA_EAGAIN / MIRA_EIO after
     * counting the drop. */
    int (*send)(struct mira_netif *n, struct mira_pbuf *frame);
    /* wait_writable: as mira_netif_wait_writable. */
    int (*wait_writable)(struct mira_netif *n, mira_time_t deadline);
    /* recv: as mira_netif_recv (max >= 1). */
    int (*recv)(struct mira_netif *n, struct mira_pbuf **frames, int max,
                mira_time_t deadline);
    /* close: releases everything the driver holds for n, n included. */
    void (*close)(struct mira_netif *n);
};

struct mira_netif {
    const struct mira_netif_ops *ops;
    const char *name;
    struct mira_netif_info info;
    struct mira_netif_stats stats; /* frames/bytes: the runtime's; drops: the driver's */
};

/* mira_netif_count_drop: counts one frame dropped on receive (rx true) or
 * send, for reason. */
void mira_netif_count_drop(struct mira_netif *n, bool rx, enum mira_netif_drop reason);

/* mira_netif_check_frame: 0 if a frame of len bytes (gso: marked for
 * segmentation) may go to a device described by info, else MIRA_EINVAL.
 * Pure. */
int mira_netif_check_frame(const struct mira_netif_info *info, size_t len, bool gso);

/* mira_netif_random_mac: a random locally administered unicast MAC (the
 * first byte's bit 1 set, bit 0 clear), for drivers without one. */
void mira_netif_random_mac(uint8_t mac[MIRA_ETH_ALEN]);

/* mira_netif_parse_mac: parses "xx:xx:xx:xx:xx:xx" (hex, either case) into
 * mac.  Returns 0, or MIRA_EINVAL (mac unchanged).  Pure. */
int mira_netif_parse_mac(const char *s, uint8_t mac[MIRA_ETH_ALEN]);

#endif
