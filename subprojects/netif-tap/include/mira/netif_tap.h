/*
 * mira/netif_tap.h - the network interface of the unix target: a Linux tap
 * device (/dev/net/tun), Ethernet frames to and from the host kernel.
 *
 * Runtime parameters (device net0 shown; every device has its own):
 *   --net0-tap=NAME          the tap to attach to (default tap0, as in the
 *                            tutorial); created when it does not exist
 *                            (then it goes when the unikernel ends, and the
 *                            host must bring it up: ip link set NAME up)
 *   --net0-mac=XX:..:XX      our MAC address (default: a random locally
 *                            administered one)
 *   --net0-mtu=N             the largest IP packet, 68 to 65521 (default 1500)
 *   --net0-tun-device=PATH   the clone device (default /dev/net/tun)
 *   --net0-offload=BOOL      use the tap's offloads (default true): a
 *                            virtio-net header on every frame
 *                            (IFF_VNET_HDR), checksums left to the host
 *                            and TSO frames of up to 64 KiB on send,
 *                            unfinished sums and coalesced segments of up
 *                            to 64 KiB on receive (TUNSETOFFLOAD); false,
 *                            or a kernel that refuses, gives plain frames
 *
 * Attaching needs CAP_NET_ADMIN, unless the tap is persistent and owned by
 * the user (ip tuntap add NAME mode tap user USER).  Without the clone
 * device or the capability, connect fails with one error line that says
 * what to do.
 *
 * Receiving reads every frame that is ready (up to the caller's count) per
 * wake-up, each straight into a packet buffer with readv; sending gathers a
 * frame's pieces with writev: no copy in the driver either way.  The
 * connect line lists the offloads in use ("offloads: tx-csum tso4 rx-csum
 * rx-gso", or "none").
 */
#ifndef MIRA_NETIF_TAP_H
#define MIRA_NETIF_TAP_H

#include <mira/netif.h>

/* mira_netif_tap_connect: attaches device name (kept by pointer) to its
 * tap and stores it in *out.  Returns 0, or MIRA_ENOENT (no clone device),
 * MIRA_EINVAL (a bad parameter, no permission), MIRA_EIO or MIRA_ENOMEM,
 * after one error line saying why. */
int mira_netif_tap_connect(struct mira_netif **out, const char *name);

#endif
