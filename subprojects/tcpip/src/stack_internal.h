/*
 * stack_internal.h - the seam between the stack's core (netif, Ethernet,
 * ARP, IPv4, ICMP, UDP, DHCP: stack*.c, arp_cache.c, ip*.c, udp_sock.c,
 * dhcp_client.c) and its TCP module (tcp_*.c).  Private to subprojects/tcpip.
 *
 * Everything runs on the one CPU, between fibers and timer callbacks
 * (mira/fiber.h, mira/timer.h): nothing here locks.  The core calls the
 * TCP hooks below from its input fiber (tcpip_tcp_input,
 * tcpip_tcp_icmp_error) and from connect/close; the TCP module calls
 * tcpip_ipv4_output from fibers and timer callbacks alike (it never waits).
 *
 * Errors follow mira/error.h.
 */
#ifndef MIRA_TCPIP_STACK_INTERNAL_H
#define MIRA_TCPIP_STACK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mira/driver/stack.h>
#include <mira/ipv4.h>
#include <mira/netif.h>
#include <mira/pbuf.h>
#include <mira/tcpip/drop.h>

/* Headroom a payload handed to tcpip_ipv4_output should have in its first
 * piece: IPv4 (20) + Ethernet (14) + a device header (a virtio-net header
 * is 12), rounded up.  With less the output still works: mira_pbuf_push
 * puts a fresh piece in front. */
#define MIRA_TCPIP_HEADROOM 64u

struct tcpip_stack; /* the core's: netif, IPv4 config, ARP cache, counters, timers */
struct tcpip_tcp;   /* the TCP module's own state (one per stack) */

/* --- what the core gives the TCP module --- */

/* tcpip_ipv4_output: sends payload (a chain whose first piece should have
 * MIRA_TCPIP_HEADROOM bytes of headroom) to dst with protocol proto, from
 * src (0: the stack's address).  Resolves the next hop through ARP,
 * queueing a bounded number of packets while it resolves; fragments what
 * is longer than the MTU allows.  Takes ownership of payload in every case.
 * Never waits.  Returns 0 (sent, or queued for ARP), or a negative code
 * after counting the drop: MIRA_EAGAIN (no address now: DHCP), MIRA_EIO
 * (no route, the device failed or is full), MIRA_ENOMEM, MIRA_EINVAL (too
 * long for IPv4). */
int tcpip_ipv4_output(struct tcpip_stack *s, mira_ipv4_t src, mira_ipv4_t dst, uint8_t proto,
                      struct mira_pbuf *payload);

/* tcpip_mss_for: the TCP maximum segment size for dst: the netif's MTU
 * minus 40 (IPv4 and TCP headers without options). */
uint16_t tcpip_mss_for(struct tcpip_stack *s, mira_ipv4_t dst);

/* tcpip_addr: the stack's address now (MIRA_IPV4_ANY while it has none:
 * DHCP not bound yet, or a lease lost). */
mira_ipv4_t tcpip_addr(struct tcpip_stack *s);

/* tcpip_dev: the stack as the runtime sees it (for mira_sock_init). */
struct mira_stack *tcpip_dev(struct tcpip_stack *s);

/* tcpip_from_dev: the core's stack behind a runtime stack handed to an op
 * (tcp_listen, tcp_connect). */
struct tcpip_stack *tcpip_from_dev(struct mira_stack *dev);

/* tcpip_netif_info: the netif's description (offloads: MIRA_NETIF_TX_CSUM,
 * MIRA_NETIF_RX_CSUM, TSO). */
const struct mira_netif_info *tcpip_netif_info(struct tcpip_stack *s);

/* tcpip_count_drop: counts one received packet dropped for reason (the
 * TCP module counts its own: TCP_CHECKSUM, TCP_SHORT, ...). */
void tcpip_count_drop(struct tcpip_stack *s, enum mira_tcpip_drop reason);

/* tcpip_tcp_state, tcpip_set_tcp_state: the TCP module's per-stack state,
 * kept by the core (NULL until tcpip_tcp_init sets it). */
struct tcpip_tcp *tcpip_tcp_state(struct tcpip_stack *s);
void tcpip_set_tcp_state(struct tcpip_stack *s, struct tcpip_tcp *t);

/* --- what the TCP module gives the core (tcp_*.c; tcp_stub.c until it
 * lands) --- */

/* tcpip_tcp_init: at connect, after the netif and IPv4 are set up.
 * Returns 0 or MIRA_ENOMEM (connect then fails). */
int tcpip_tcp_init(struct tcpip_stack *s);

/* tcpip_tcp_fini: at close: aborts every connection (fibers still waiting
 * in them never run again: mira/stack.h), frees every TCP socket and the
 * module's state. */
void tcpip_tcp_fini(struct tcpip_stack *s);

/* tcpip_tcp_input: a TCP segment for us: IP header fields parsed (src,
 * dst), the checksum NOT yet verified (the module verifies it with the
 * pseudo header, unless seg->offload.flags has MIRA_PBUF_CSUM_VALID); seg
 * starts at the TCP header and ends with its data (Ethernet padding
 * trimmed).  Takes ownership. */
void tcpip_tcp_input(struct tcpip_stack *s, mira_ipv4_t src, mira_ipv4_t dst,
                     struct mira_pbuf *seg);

/* tcpip_tcp_icmp_error: an ICMP error about a TCP segment we sent (type 3
 * destination unreachable, code 4 fragmentation needed with the next-hop
 * MTU in the message: mtu, else 0; type 11 time exceeded).  src/dst: the
 * quoted datagram's (ours, then the peer's); quoted_tcp: its first len
 * (>= 8) bytes of TCP header. */
void tcpip_tcp_icmp_error(struct tcpip_stack *s, mira_ipv4_t src, mira_ipv4_t dst, uint8_t type,
                          uint8_t code, uint16_t mtu, const uint8_t *quoted_tcp, size_t len);

/* The mira/driver/stack.h TCP ops, with its signatures and close/free
 * split (runtime/src/stack.c calls them). */
int tcpip_tcp_listen(struct mira_stack *s, uint16_t port, int backlog,
                     struct mira_tcp_listener **out);
int tcpip_tcp_accept(struct mira_tcp_listener *l, struct mira_tcp **out, mira_time_t deadline);
void tcpip_tcp_listener_close(struct mira_tcp_listener *l);
void tcpip_tcp_listener_free(struct mira_tcp_listener *l);
int tcpip_tcp_connect(struct mira_stack *s, const struct mira_endpoint *to,
                      struct mira_tcp **out, mira_time_t deadline);
long tcpip_tcp_read(struct mira_tcp *c, void *buf, size_t len, mira_time_t deadline);
long tcpip_tcp_write(struct mira_tcp *c, const void *buf, size_t len, mira_time_t deadline);
int tcpip_tcp_shutdown(struct mira_tcp *c);
void tcpip_tcp_close(struct mira_tcp *c);
void tcpip_tcp_free(struct mira_tcp *c);
int tcpip_tcp_set_nodelay(struct mira_tcp *c, bool on);
int tcpip_tcp_set_keepalive(struct mira_tcp *c, const struct mira_tcp_keepalive *ka);

#endif
