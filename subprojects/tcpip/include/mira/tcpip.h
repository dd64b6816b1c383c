/*
 * mira/tcpip.h - Mira's own TCP/IP stack (-Dnet=direct): mira/stack.h over
 * a network interface (mira/netif.h): Ethernet, ARP, IPv4 with fragment
 * reassembly, ICMP echo, UDP, TCP, and a DHCP client.
 *
 * The generator stacks it over its netif, named after it: stack0 runs over
 * stack0-netif, connected first and closed last.
 *
 * Runtime parameters (device stack0 shown; every device has its own):
 *   --stack0-ipv4=A.B.C.D/N     our address and prefix (default 10.0.0.2/24)
 *   --stack0-gateway=A.B.C.D    the default router (default 10.0.0.1;
 *                               0.0.0.0: none, the local network only)
 *   --stack0-dhcp=true|false    configure by DHCP instead (default: the
 *                               build's -Ddhcp); the lease's address,
 *                               netmask and router replace the three above
 *   --stack0-dhcp-timeout=S     connect fails without a lease within S
 *                               seconds (default 30)
 *   --stack0-arp-cache-size=N   next hops remembered (default 64)
 *   --stack0-arp-timeout=S      how long an answer is trusted (default 60)
 *   --stack0-arp-queue=N        packets kept per next hop being resolved
 *                               (default 64)
 *   --stack0-reass-datagrams=N  fragmented datagrams reassembled at once
 *                               (default 16)
 *   --stack0-reass-bytes=N      memory for reassembly (default 1048576)
 *   --stack0-reass-timeout=S    a datagram's fragments are awaited S
 *                               seconds (default 15)
 *   --stack0-udp-queue=N        datagrams a UDP socket keeps unread
 *                               (default 256)
 *
 * Malformed and unwanted frames are dropped and counted by reason (the
 * wire layer's mira/tcpip/drop.h reasons, and the stack's own); closing
 * the stack logs the counts that are not zero, at info level.
 */
#ifndef MIRA_TCPIP_H
#define MIRA_TCPIP_H

#include <mira/netif.h>
#include <mira/stack.h>

/* mira_tcpip_connect: the stack of device name (kept by pointer) over
 * netif (which must outlive it), into *out.  With DHCP, waits for the
 * first lease.  Returns 0, or MIRA_EINVAL (a bad parameter), MIRA_ETIMEDOUT
 * (no DHCP lease in time), MIRA_ENOMEM, after one error line saying why. */
int mira_tcpip_connect(struct mira_stack **out, const char *name, struct mira_netif *netif);

#endif
