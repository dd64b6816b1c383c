/* vnet.h - the virtio-net header of a tap (wire_vnet.h) to and from a
 * packet's offloads (struct mira_pbuf_offload), pure, so that unit tests
 * check every case without a tap.
 *
 * Offsets: csum_start and hdr_len count from the frame's first byte (its
 * Ethernet header), in the header and in struct mira_pbuf_offload alike.
 *
 * Errors: MIRA_ECORRUPT for a header the tap should never give us (the
 * frame is dropped as MIRA_NETIF_DROP_MALFORMED), MIRA_EINVAL for offloads
 * a frame we send cannot carry (dropped the same way). */
#ifndef NETIF_TAP_VNET_H
#define NETIF_TAP_VNET_H

#include <stddef.h>
#include <stdint.h>
#include <mira/pbuf.h>

#include "wire_vnet.h"

/* tap_vnet_to_offload: the offloads of a received frame of frame_len bytes
 * (after the header) whose header is hdr: NEEDS_CSUM becomes
 * MIRA_PBUF_CSUM_PARTIAL | MIRA_PBUF_CSUM_VALID (the host's own stack made
 * the packet and left the sum to the device, as Linux's CHECKSUM_PARTIAL:
 * its data is good), DATA_VALID MIRA_PBUF_CSUM_VALID, GSO_TCPV4 a
 * coalesced segment (MIRA_PBUF_GSO_TCPV4 with gso_size and hdr_len).
 * Returns 0 (*o set), or MIRA_ECORRUPT (*o untouched): an unknown flag, a
 * GSO type we did not ask for (UDP, TCPv6, ECN), GSO without NEEDS_CSUM or
 * with gso_size 0, a checksum range or header length outside the frame. */
int tap_vnet_to_offload(const uint8_t hdr[TAP_VNET_HDR_LEN], size_t frame_len,
                        struct mira_pbuf_offload *o);

/* tap_vnet_from_offload: the header for sending a frame of frame_len bytes
 * with offloads o: CSUM_PARTIAL becomes NEEDS_CSUM with its range (a
 * received CSUM_VALID alone says nothing to the tap: flags 0), GSO_TCPV4 a
 * TSO frame.  Returns 0 (hdr written), or MIRA_EINVAL (hdr untouched): GSO
 * without CSUM_PARTIAL or with gso_size 0, an unknown GSO type, a checksum
 * range or header length outside the frame. */
int tap_vnet_from_offload(const struct mira_pbuf_offload *o, size_t frame_len,
                          uint8_t hdr[TAP_VNET_HDR_LEN]);

#endif
