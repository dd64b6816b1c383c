/*
 * tcp_isn.h - initial sequence numbers (RFC 6528) and the keyed hash
 * behind them (SipHash-2-4).  Pure; private to subprojects/tcpip.
 *
 * ISN = M + F(local address, local port, remote address, remote port,
 * secret key), M a clock that ticks every 4 microseconds, F SipHash-2-4
 * keyed with 128 random bits per stack: an off-path attacker cannot guess
 * the next ISN of a connection, while a new incarnation of the same
 * 4-tuple still starts above the old one (the clock part).
 */
#ifndef MIRA_TCPIP_TCP_ISN_H
#define MIRA_TCPIP_TCP_ISN_H

#include <stddef.h>
#include <stdint.h>
#include <mira/time.h>

/* tcp_siphash: SipHash-2-4 of the n bytes at p under key. */
uint64_t tcp_siphash(const uint8_t key[16], const void *p, size_t n);

/* tcp_isn: the ISN of the connection (laddr:lport -> raddr:rport) at
 * monotonic time now (ns). */
uint32_t tcp_isn(const uint8_t key[16], uint32_t laddr, uint16_t lport, uint32_t raddr,
                 uint16_t rport, mira_time_t now);

#endif
