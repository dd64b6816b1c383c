/*
 * mira/netif.h - a network interface: Ethernet frames in and out.
 *
 * On unix a netif is a Linux tap device (netif-tap); on xen a virtual
 * interface behind the netfront protocol.  Mira's TCP/IP stack runs over a
 * netif; applications normally use a stack (mira/stack.h) instead.
 *
 * Frames are packet buffers (mira/pbuf.h) that start at the Ethernet
 * header (destination MAC) and end with the payload: no preamble, no frame
 * check sequence, no device header.  Errors follow mira/error.h.
 *
 * Receiving is pulled: one fiber (the stack's input fiber) calls
 * mira_netif_recv, which waits only that fiber and returns every frame
 * that has arrived, up to a count, so a busy link costs one wake-up per
 * batch, not per frame.  Sending never waits (it is called from timer
 * callbacks too): a frame the device cannot take now is dropped and
 * counted, as a full transmit ring drops on a real card;
 * mira_netif_wait_writable lets a sender that would rather wait do so.
 *
 * The runtime counts frames and bytes each way for every driver; drivers
 * count what they drop, by reason (struct mira_netif_stats).
 */
#ifndef MIRA_NETIF_H
#define MIRA_NETIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mira/error.h>
#include <mira/pbuf.h>
#include <mira/time.h>

/* Bytes of an Ethernet header (two MACs and the EtherType). */
#define MIRA_ETH_HLEN 14u
/* Bytes of a MAC address. */
#define MIRA_ETH_ALEN 6u

struct mira_netif;

/* Offloads a device has (struct mira_netif_info.offloads). */
/* It computes the checksums of frames marked MIRA_PBUF_CSUM_PARTIAL. */
#define MIRA_NETIF_TX_CSUM 0x1u
/* It checks received checksums and marks good frames MIRA_PBUF_CSUM_VALID. */
#define MIRA_NETIF_RX_CSUM 0x2u
/* It cuts TCP/IPv4 frames marked MIRA_PBUF_GSO_TCPV4 into segments of
 * offload.gso_size (up to gso_max bytes per frame). */
#define MIRA_NETIF_TSO4 0x4u
/* It sends chained frames without gathering them into one buffer first. */
#define MIRA_NETIF_SG 0x8u

/* What a network interface is; fixed from connect to close. */
struct mira_netif_info {
    uint8_t mac[MIRA_ETH_ALEN]; /* our MAC address */
    uint32_t mtu;       /* the largest payload after the Ethernet header (1500) */
    uint32_t offloads;  /* MIRA_NETIF_* bits */
    uint32_t headroom;  /* bytes the driver needs before a frame to send it
                           without a copy (a virtio-net header): allocate
                           frames with at least this much headroom */
    uint32_t gso_max;   /* with MIRA_NETIF_TSO4: the longest frame it cuts */
};

/* Why a frame was dropped, for the statistics. */
enum mira_netif_drop {
    MIRA_NETIF_DROP_NOMEM,     /* no buffer for a received frame */
    MIRA_NETIF_DROP_TOO_LONG,  /* longer than MTU + Ethernet header (and not GSO) */
    MIRA_NETIF_DROP_TOO_SHORT, /* shorter than an Ethernet header */
    MIRA_NETIF_DROP_TX_FULL,   /* the device could not take a frame now */
    MIRA_NETIF_DROP_DEVICE,    /* the device or backend reported an error */
    MIRA_NETIF_DROP_MALFORMED, /* bad device metadata (a virtio-net header, a ring slot) */
    MIRA_NETIF_DROP_REASONS
};

/* Counters since connect. */
struct mira_netif_stats {
    uint64_t rx_frames, rx_bytes; /* delivered by mira_netif_recv */
    uint64_t tx_frames, tx_bytes; /* taken by the device */
    uint64_t rx_gso_frames;       /* of rx_frames: coalesced (marked for GSO) */
    uint64_t tx_gso_frames;       /* of tx_frames: marked for GSO (the device cuts them) */
    uint64_t rx_drops[MIRA_NETIF_DROP_REASONS];
    uint64_t tx_drops[MIRA_NETIF_DROP_REASONS];
};

/* mira_netif_info: copies n's description into *info. */
void mira_netif_info(const struct mira_netif *n, struct mira_netif_info *info);

/* mira_netif_send: hands frame (a whole Ethernet frame, at most MTU + 14
 * bytes unless it is marked for GSO) to the device.  Never waits.  The
 * frame is the device's in every case, even on failure.  Returns 0, or
 * MIRA_EINVAL (too long or too short; dropped), MIRA_EAGAIN (the device is
 * full; dropped) or MIRA_EIO (the device failed; dropped). */
int mira_netif_send(struct mira_netif *n, struct mira_pbuf *frame);

/* mira_netif_wait_writable: waits (the calling fiber only) until a frame
 * sent now would be taken, or deadline.  Returns 0, MIRA_ETIMEDOUT, or
 * MIRA_EIO when the device has failed. */
int mira_netif_wait_writable(struct mira_netif *n, mira_time_t deadline);

/* mira_netif_recv: waits (the calling fiber only) until at least one frame
 * has arrived, or deadline, then stores up to max frames in frames[] (the
 * caller frees each with mira_pbuf_free).  Returns the count (>= 1),
 * MIRA_ETIMEDOUT, MIRA_EIO (the device failed) or MIRA_ECLOSED (the device
 * went away).  One fiber at a time may receive on a netif. */
int mira_netif_recv(struct mira_netif *n, struct mira_pbuf **frames, int max,
                    mira_time_t deadline);

/* mira_netif_stats: copies n's counters into *st. */
void mira_netif_stats(const struct mira_netif *n, struct mira_netif_stats *st);

/* mira_netif_drop_name: a short name for reason ("tx-full"). */
const char *mira_netif_drop_name(enum mira_netif_drop reason);

/* mira_netif_close: frees n; no fiber may be inside a call on it. */
void mira_netif_close(struct mira_netif *n);

/* mira_netif_name: the device's name, as the generated main.c gave it. */
const char *mira_netif_name(const struct mira_netif *n);

#endif
