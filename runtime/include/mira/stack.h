/*
 * mira/stack.h - a network stack: IPv4, UDP sockets and TCP connections.
 *
 * One interface for both stacks: Mira's own TCP/IP over a netif
 * (-Dnet=direct, unix and xen) and the host kernel's sockets
 * (-Dnet=socket, unix).  Errors follow mira/error.h; besides the codes
 * named at each function, any call may return MIRA_ENOMEM.
 *
 * Fiber style: a call that waits (a read, an accept, a connect, a write
 * into a full send buffer) suspends only its fiber, until it can go on or
 * until its deadline (an absolute time on the monotonic clock,
 * mira_clock_monotonic() + a duration through mira_time_add;
 * MIRA_TIME_NEVER: no deadline), when it returns MIRA_ETIMEDOUT having
 * consumed nothing.
 *
 * Closing: mira_udp_close, mira_tcp_close and mira_tcp_listener_close may
 * be called while other fibers wait in calls on the same socket (this is
 * how a server stops its worker fibers): those calls return MIRA_ECLOSED,
 * and the socket's memory is released when the last of them has returned.
 * A socket must not be used after its close otherwise.
 *
 * Addresses are host byte order (mira/ipv4.h); ports too.
 */
#ifndef MIRA_STACK_H
#define MIRA_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mira/error.h>
#include <mira/ipv4.h>
#include <mira/time.h>

struct mira_stack;
struct mira_udp;          /* a UDP socket */
struct mira_tcp_listener; /* a TCP port accepting connections */
struct mira_tcp;          /* a TCP connection */

/* The largest UDP payload over IPv4 (65535 - 20 - 8). */
#define MIRA_UDP_MAX_PAYLOAD 65507u

/* The IPv4 configuration in force. */
struct mira_ipv4_config {
    mira_ipv4_t addr;     /* our address; MIRA_IPV4_ANY: every address of
                             the host (socket stack) */
    unsigned prefix_len;  /* the local network's prefix (24: a /24) */
    mira_ipv4_t gateway;  /* the default router; MIRA_IPV4_ANY: none */
    bool dhcp;            /* obtained by DHCP (a lease) */
};

/* mira_stack_ipv4: copies the configuration in force into *cfg.  Returns
 * 0, or MIRA_EAGAIN when the stack has no address now (a DHCP lease lost
 * and not yet renewed). */
int mira_stack_ipv4(struct mira_stack *s, struct mira_ipv4_config *cfg);

/* --- UDP --- */

/* mira_udp_bind: a UDP socket on port (0: a free port the stack picks)
 * of the stack's address, into *out.  Returns 0, MIRA_EADDRINUSE, or
 * MIRA_EINVAL (a port this stack may not use). */
int mira_udp_bind(struct mira_stack *s, uint16_t port, struct mira_udp **out);

/* mira_udp_recv: waits for the next datagram to the socket and copies up
 * to len bytes of its payload into buf (the rest of a longer one is
 * dropped).  from (if not NULL) receives the sender's address and port, to
 * (if not NULL) the address and port it was sent to.  Returns the count
 * copied (0 for an empty datagram), MIRA_ETIMEDOUT or MIRA_ECLOSED. */
long mira_udp_recv(struct mira_udp *u, void *buf, size_t len, struct mira_endpoint *from,
                   struct mira_endpoint *to, mira_time_t deadline);

/* mira_udp_send: sends the len bytes of buf as one datagram to `to`.
 * Waits only while the stack has no room to take it.  Returns 0, or
 * MIRA_EINVAL (len > MIRA_UDP_MAX_PAYLOAD, port 0, or an address the
 * stack cannot send to), MIRA_EIO (no route, the device failed) or
 * MIRA_ECLOSED. */
int mira_udp_send(struct mira_udp *u, const struct mira_endpoint *to, const void *buf,
                  size_t len);

/* mira_udp_local: the address and port u is bound to. */
void mira_udp_local(const struct mira_udp *u, struct mira_endpoint *local);

/* mira_udp_close: closes u (see Closing, above). */
void mira_udp_close(struct mira_udp *u);

/* --- TCP --- */

/* mira_tcp_listen: accepts connections to port of the stack's address
 * from now on (up to backlog not yet accepted; 0: the stack's default),
 * into *out.  Returns 0, MIRA_EADDRINUSE or MIRA_EINVAL. */
int mira_tcp_listen(struct mira_stack *s, uint16_t port, int backlog,
                    struct mira_tcp_listener **out);

/* mira_tcp_accept: waits for the next established connection to l and
 * stores it in *out.  Returns 0, MIRA_ETIMEDOUT or MIRA_ECLOSED. */
int mira_tcp_accept(struct mira_tcp_listener *l, struct mira_tcp **out, mira_time_t deadline);

/* mira_tcp_listener_local: the address and port l accepts on. */
void mira_tcp_listener_local(const struct mira_tcp_listener *l, struct mira_endpoint *local);

/* mira_tcp_listener_close: stops accepting; connections not yet accepted
 * are reset (see Closing, above). */
void mira_tcp_listener_close(struct mira_tcp_listener *l);

/* mira_tcp_connect: opens a connection to `to`, waiting until it is
 * established, into *out.  Returns 0, MIRA_ECONNREFUSED (the peer reset
 * it), MIRA_ETIMEDOUT (deadline, or the stack's own retries ran out),
 * MIRA_EIO (no route) or MIRA_EINVAL (port 0, address 0.0.0.0). */
int mira_tcp_connect(struct mira_stack *s, const struct mira_endpoint *to,
                     struct mira_tcp **out, mira_time_t deadline);

/* mira_tcp_read: waits until c has data, then copies up to len (> 0) bytes
 * of it into buf.  Returns the count (>= 1), 0 when the peer has finished
 * sending (every later call returns 0 too), MIRA_ETIMEDOUT (the deadline,
 * or the stack gave the peer up: retransmissions or keepalive probes
 * unanswered), or MIRA_ECLOSED (the connection was reset or closed). */
long mira_tcp_read(struct mira_tcp *c, void *buf, size_t len, mira_time_t deadline);

/* mira_tcp_write: queues the len bytes of buf for sending, waiting while
 * the send buffer is full.  Returns len; or, if deadline passes first, the
 * count queued so far, or MIRA_ETIMEDOUT when that is none; or
 * MIRA_ECLOSED (reset, closed, or after mira_tcp_shutdown), possibly after
 * a part was queued. */
long mira_tcp_write(struct mira_tcp *c, const void *buf, size_t len, mira_time_t deadline);

/* mira_tcp_shutdown: c sends nothing more: the data queued goes out, then
 * the end of the stream (FIN).  Reading goes on.  Returns 0 or
 * MIRA_ECLOSED. */
int mira_tcp_shutdown(struct mira_tcp *c);

/* mira_tcp_peer, mira_tcp_local: the peer's / our address and port. */
void mira_tcp_peer(const struct mira_tcp *c, struct mira_endpoint *peer);
void mira_tcp_local(const struct mira_tcp *c, struct mira_endpoint *local);

/* Keepalive (RFC 9293 3.8.4, RFC 1122 4.2.3.6): when a connection has
 * been quiet for `idle` with nothing of ours unacknowledged, the stack
 * sends a probe the peer must answer, then another every `interval`; after
 * `count` unanswered probes the connection fails: reads and writes return
 * MIRA_ETIMEDOUT.  Off by default.  Times are whole seconds from 1 to
 * 32767 (MIRA_SECONDS(n)), count from 1 to 127, as Linux accepts them;
 * Linux's defaults are 7200 s, 75 s and 9. */
struct mira_tcp_keepalive {
    bool on;
    mira_time_t idle;
    mira_time_t interval;
    unsigned count;
};

/* mira_tcp_set_nodelay: on: small writes go out at once (Nagle's
 * algorithm, RFC 896, off; what it held back goes now); off (the
 * default): a small segment waits while data is unacknowledged.  Returns
 * 0 or MIRA_ECLOSED. */
int mira_tcp_set_nodelay(struct mira_tcp *c, bool on);

/* mira_tcp_set_keepalive: switches keepalive as *ka says (see struct
 * mira_tcp_keepalive; idle, interval and count are ignored when off).
 * Returns 0, MIRA_EINVAL (a time or count out of range) or
 * MIRA_ECLOSED. */
int mira_tcp_set_keepalive(struct mira_tcp *c, const struct mira_tcp_keepalive *ka);

/* mira_tcp_close: closes c (see Closing, above): data queued is still
 * sent, then FIN, unless the peer has reset the connection. */
void mira_tcp_close(struct mira_tcp *c);

/* --- the stack --- */

/* mira_stack_close: closes every socket still open (fibers still waiting
 * in them must never run again: the unikernel is ending) and frees s.
 * The generated main.c closes every device after unikernel_start returns. */
void mira_stack_close(struct mira_stack *s);

/* mira_stack_name: the device's name, as the generated main.c gave it. */
const char *mira_stack_name(const struct mira_stack *s);

#endif
