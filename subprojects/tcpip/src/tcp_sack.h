/*
 * tcp_sack.h - a sender's SACK scoreboard (RFC 2018, RFC 6675): the
 * ranges of sent data the peer has reported holding beyond SND.UNA, and
 * the RFC 6675 arithmetic over them (IsLost, SetPipe, the holes NextSeg
 * picks, the rescue retransmission).  Pure and bounded: at most
 * TCP_SACK_MAX ranges, kept sorted, disjoint and not touching; a block
 * that would need one more range is forgotten (the scoreboard is advice:
 * forgetting a block only makes recovery retransmit more).  Private to
 * subprojects/tcpip; tcp_cb.c validates blocks against [SND.UNA, SND.MAX]
 * before they get here.
 */
#ifndef MIRA_TCPIP_TCP_SACK_H
#define MIRA_TCPIP_TCP_SACK_H

#include <stdbool.h>
#include <stdint.h>

/* A range of sequence numbers [left, right). */
struct tcp_range {
    uint32_t left, right;
};

/* The most ranges a scoreboard keeps: 4 blocks a segment, and enough
 * for the holes of a window of losses that are worth knowing apart. */
#define TCP_SACK_MAX 16

/* RFC 6675 DupThresh. */
#define TCP_SACK_DUPTHRESH 3

struct tcp_sack_board {
    struct tcp_range r[TCP_SACK_MAX]; /* ascending */
    unsigned n;
};

/* tcp_sack_clear: forgets every range (after a timeout, RFC 2018 8). */
void tcp_sack_clear(struct tcp_sack_board *b);

/* tcp_sack_add: records [left, right) (left < right) as SACKed, merging
 * with the ranges it touches; true when it covers a byte not recorded
 * before, false when nothing is new or there is no room for it. */
bool tcp_sack_add(struct tcp_sack_board *b, uint32_t left, uint32_t right);

/* tcp_sack_trim: drops what lies before una (acknowledged cumulatively). */
void tcp_sack_trim(struct tcp_sack_board *b, uint32_t una);

/* tcp_sack_bytes: the SACKed bytes within [from, to). */
uint32_t tcp_sack_bytes(const struct tcp_sack_board *b, uint32_t from, uint32_t to);

/* tcp_sack_lost_edge: every unSACKed byte before the returned sequence
 * number is lost by RFC 6675 IsLost (more than (DupThresh - 1) * mss
 * bytes SACKed above it), none at or after it; una when none is lost. */
uint32_t tcp_sack_lost_edge(const struct tcp_sack_board *b, uint32_t una, uint32_t mss);

/* tcp_sack_pipe: RFC 6675 SetPipe over [una, max): the unSACKed bytes not
 * lost, plus the unSACKed bytes retransmitted (before high_rxt). */
uint32_t tcp_sack_pipe(const struct tcp_sack_board *b, uint32_t una, uint32_t max,
                       uint32_t high_rxt, uint32_t mss);

/* tcp_sack_hole: the first unSACKed byte at or after from and before
 * limit, as *seq, with *len (1 to mss) the unSACKed bytes from there up to
 * the next SACKed range or limit; false when there is none. */
bool tcp_sack_hole(const struct tcp_sack_board *b, uint32_t from, uint32_t limit, uint32_t mss,
                   uint32_t *seq, uint32_t *len);

/* tcp_sack_highest: the right edge of the highest SACKed range, or una
 * when there is none. */
uint32_t tcp_sack_highest(const struct tcp_sack_board *b, uint32_t una);

/* tcp_sack_rescue: RFC 6675 NextSeg rule 4: up to mss unSACKed bytes of
 * [una, max) ending with the highest unSACKed byte; false when every byte
 * is SACKed. */
bool tcp_sack_rescue(const struct tcp_sack_board *b, uint32_t una, uint32_t max, uint32_t mss,
                     uint32_t *seq, uint32_t *len);

/* tcp_sack_check: NULL when the ranges lie within [una, max], sorted,
 * disjoint, not touching and at most TCP_SACK_MAX; else which broke. */
const char *tcp_sack_check(const struct tcp_sack_board *b, uint32_t una, uint32_t max);

#endif
