/* wire_vnet.h - the virtio-net header that a tap with IFF_VNET_HDR puts in
 * front of every frame it reads and expects in front of every frame written
 * (struct virtio_net_hdr of Linux's linux/virtio_net.h, 10 bytes, the
 * legacy layout: little-endian fields on x86 and every little-endian host,
 * which is what a tap uses unless TUNSETVNETBE asks otherwise).  Layout
 * only; the mapping to packet-buffer offloads is vnet.c's. */
#ifndef NETIF_TAP_WIRE_VNET_H
#define NETIF_TAP_WIRE_VNET_H

#define TAP_VNET_HDR_LEN 10u

#define TAP_VNET_OFF_FLAGS 0       /* u8: TAP_VNET_F_* */
#define TAP_VNET_OFF_GSO_TYPE 1    /* u8: TAP_VNET_GSO_* */
#define TAP_VNET_OFF_HDR_LEN 2     /* le16: bytes of headers (Ethernet to TCP) */
#define TAP_VNET_OFF_GSO_SIZE 4    /* le16: payload bytes per segment */
#define TAP_VNET_OFF_CSUM_START 6  /* le16: where the checksum's range starts */
#define TAP_VNET_OFF_CSUM_OFFSET 8 /* le16: where after csum_start the sum goes */

#define TAP_VNET_F_NEEDS_CSUM 0x01 /* the checksum from csum_start on is to be computed */
#define TAP_VNET_F_DATA_VALID 0x02 /* the checksums have been checked */

#define TAP_VNET_GSO_NONE 0x00
#define TAP_VNET_GSO_TCPV4 0x01
#define TAP_VNET_GSO_UDP 0x03
#define TAP_VNET_GSO_TCPV6 0x04
#define TAP_VNET_GSO_ECN 0x80

#endif
