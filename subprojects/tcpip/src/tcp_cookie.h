/*
 * tcp_cookie.h - SYN cookies (RFC 4987 3.6): when a listener's SYN backlog
 * is full, its SYN-ACK carries the connection's state in the ISN instead
 * of the stack keeping any, and the handshake's final ACK proves the
 * peer received it.  Pure; private to subprojects/tcpip.
 *
 * The cookie (our ISN) is 32 bits:
 *
 *   bits 31..27  the time counter (a tick every TCP_COOKIE_TICK) mod 32
 *   bits 26..24  an index into tcp_cookie_mss_table (the peer's MSS,
 *                rounded down to an entry)
 *   bits 23..0   SipHash-2-4 under the stack's secret of the 4-tuple, the
 *                peer's ISN, the full counter and the MSS index, cut to
 *                24 bits
 *
 * The final ACK's acknowledgment number minus 1 must be a cookie made for
 * the same 4-tuple and the same peer ISN (its sequence number minus 1)
 * within the current or the previous tick: a cookie lives from one to two
 * ticks.  A blind attacker guesses a valid one with probability 2^-24 per
 * try.
 *
 * What a cookie cannot carry: the peer's window scale, SACK permission and
 * timestamps (there are no timestamps to hide them in), so a connection
 * opened by a cookie runs without window scaling (a window of at most
 * 65535 bytes each way), and with an MSS rounded down to the table.
 */
#ifndef MIRA_TCPIP_TCP_COOKIE_H
#define MIRA_TCPIP_TCP_COOKIE_H

#include <stdbool.h>
#include <stdint.h>
#include <mira/time.h>

/* The counter's period: Linux's is 60 s, this one is 64 s. */
#define TCP_COOKIE_TICK MIRA_SECONDS(64)

/* The MSS values a cookie can say (its 3-bit index), ascending. */
extern const uint16_t tcp_cookie_mss_table[8];

/* The 4-tuple and the peer's ISN a cookie is bound to. */
struct tcp_cookie_conn {
    uint32_t laddr, raddr;
    uint16_t lport, rport;
    uint32_t irs; /* the peer's ISN: its SYN's sequence number */
};

/* tcp_cookie_make: the ISN for a SYN-ACK answering the SYN of conn that
 * offered mss (536 when it sent no option), at monotonic time now. */
uint32_t tcp_cookie_make(const uint8_t key[16], const struct tcp_cookie_conn *conn, uint16_t mss,
                         mira_time_t now);

/* tcp_cookie_check: true when cookie (the final ACK's ack - 1) was made by
 * tcp_cookie_make for conn (irs: the ACK's seq - 1) under key no more than
 * one tick before now's; *mss then gets the MSS it encodes. */
bool tcp_cookie_check(const uint8_t key[16], const struct tcp_cookie_conn *conn, uint32_t cookie,
                      mira_time_t now, uint16_t *mss);

#endif
