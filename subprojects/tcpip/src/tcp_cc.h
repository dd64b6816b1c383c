/*
 * tcp_cc.h - TCP congestion control: the arithmetic of the congestion
 * window (cwnd) and slow-start threshold (ssthresh), apart from the
 * state machine that decides when they change (tcp_cb.c).  Two
 * algorithms: NewReno's window growth and reduction (RFC 5681 3.1, RFC
 * 6582) and CUBIC (RFC 9438), CUBIC the default as in Linux.
 *
 * Pure: the caller hands in the windows, the bytes acknowledged, its
 * smoothed round trip and the time; nothing here reads a clock, allocates
 * or uses floating point (the Xen guest is freestanding): CUBIC's cube and
 * cube root are integer arithmetic on time in units of 2^-10 s.  Windows
 * are in bytes, as in tcp_cb.
 *
 * tcp_cb.c calls it at four points: an ACK of new data outside recovery
 * (tcp_cc_ack), a congestion event that starts loss recovery
 * (tcp_cc_congestion, which returns the new ssthresh; the recovery's own
 * window inflation stays in tcp_cb.c), the end of recovery
 * (tcp_cc_recovered, which returns the new cwnd) and a retransmission
 * timeout (tcp_cc_timeout, new ssthresh; cwnd becomes one segment).
 * Nothing here fails: an mss of 0 counts as 1 and an algorithm outside the
 * enum as NewReno (tcp_cc_from_name is the only door for names), so the
 * pure TCP core links without the runtime.
 */
#ifndef MIRA_TCPIP_TCP_CC_H
#define MIRA_TCPIP_TCP_CC_H

#include <stdint.h>
#include <mira/time.h>

/* The algorithms; the runtime parameter "<stack>-tcp-cc" names one. */
enum tcp_cc_algo {
    TCP_CC_CUBIC = 0,   /* RFC 9438, the default */
    TCP_CC_NEWRENO = 1, /* RFC 5681 + RFC 6582 */
};

/* No window grows beyond this (the largest send ring tcp_cb takes), so
 * window arithmetic never wraps. */
#define TCP_CC_CWND_MAX (1u << 30)

/* CUBIC's constants (RFC 9438 4.1, 4.6, 4.7) as fractions. */
#define TCP_CC_CUBIC_BETA_NUM 7  /* beta_cubic = 0.7 */
#define TCP_CC_CUBIC_BETA_DEN 10
#define TCP_CC_CUBIC_C_NUM 2     /* C = 0.4 */
#define TCP_CC_CUBIC_C_DEN 5
#define TCP_CC_CUBIC_TIME_SHIFT 10 /* CUBIC's time unit: 2^-10 s */

/* CUBIC's state between congestion events (RFC 9438 4.1 names in
 * brackets). */
struct tcp_cc_cubic {
    uint32_t w_max;          /* [W_max] the window before the last reduction,
                                lowered by fast convergence (4.7) */
    uint32_t origin;         /* the plateau of this epoch's curve: W_max, or
                                cwnd_epoch when it starts above W_max or
                                after a timeout (4.8) */
    uint32_t cwnd_prior;     /* [cwnd_prior] cwnd at the last reduction */
    uint32_t cwnd_epoch;     /* [cwnd_epoch] cwnd when this epoch began */
    uint32_t k;              /* [K] in 2^-10 s */
    mira_time_t epoch_start; /* [t's origin], MIRA_TIME_NEVER between epochs */
    mira_time_t unused_since; /* the epoch's window went unused from then
                                 (MIRA_TIME_NEVER: it is in use): that span
                                 is left out of t */
    uint32_t w_est;          /* [W_est] the Reno-friendly window (4.3) */
    uint64_t est_acc;        /* W_est's growth not yet a whole byte */
    uint64_t cnt_acc;        /* cwnd's growth toward the target, ditto */
};

/* NewReno's state: RFC 5681 3.1's byte counting in congestion avoidance. */
struct tcp_cc_newreno {
    uint32_t bytes_acked; /* since cwnd last grew by a segment */
};

/* One connection's congestion control state. */
struct tcp_cc {
    enum tcp_cc_algo algo;
    struct tcp_cc_newreno newreno;
    struct tcp_cc_cubic cubic;
};

/* tcp_cc_name: "cubic" or "newreno"; "?" outside the enum. */
const char *tcp_cc_name(enum tcp_cc_algo algo);

/* tcp_cc_from_name: *algo for "cubic" or "newreno"; 0, or MIRA_EINVAL for
 * any other name (*algo unchanged). */
int tcp_cc_from_name(const char *name, enum tcp_cc_algo *algo);

/* tcp_cc_init: fresh state for algo (no congestion seen yet). */
void tcp_cc_init(struct tcp_cc *cc, enum tcp_cc_algo algo);

/* tcp_cc_ack: the new cwnd after acked bytes of new data were acknowledged
 * outside loss recovery at time now, with flight bytes outstanding before
 * this ACK: slow start below ssthresh (RFC 5681 3.1, at most one mss per
 * ACK), else the algorithm's congestion avoidance.  The window grows only
 * while the flight uses it (RFC 7661's idea, as Linux: more than half of
 * it in slow start, all but a segment in avoidance); CUBIC's t stops
 * while it does not (RFC 9438 5.8).  rtt is the smoothed round trip, 0
 * before the first sample. */
uint32_t tcp_cc_ack(struct tcp_cc *cc, uint32_t cwnd, uint32_t ssthresh, uint32_t acked,
                    uint32_t flight, uint32_t mss, mira_time_t rtt, mira_time_t now);

/* tcp_cc_congestion: a loss detected by duplicate ACKs (fast retransmit,
 * entering recovery) at time now with flight bytes outstanding and the
 * window cwnd: returns the new ssthresh (at least 2 mss). */
uint32_t tcp_cc_congestion(struct tcp_cc *cc, uint32_t cwnd, uint32_t flight, uint32_t mss,
                           mira_time_t now);

/* tcp_cc_recovered: loss recovery ended (the full ACK of RFC 6582 3.2 step
 * 3) with flight bytes still outstanding: returns the cwnd to continue
 * with (at most ssthresh). */
uint32_t tcp_cc_recovered(struct tcp_cc *cc, uint32_t ssthresh, uint32_t flight, uint32_t mss,
                          mira_time_t now);

/* tcp_cc_timeout: a retransmission timeout at time now (RFC 5681 3.1 eq.
 * 4; RFC 9438 4.8): returns the new ssthresh; the caller sets cwnd to one
 * segment. */
uint32_t tcp_cc_timeout(struct tcp_cc *cc, uint32_t cwnd, uint32_t flight, uint32_t mss,
                        mira_time_t now);

/* The algorithms' halves of the calls above (tcp_cc.c dispatches;
 * declared here for it and for the tests).  Windows in bytes. */

/* tcp_cc_newreno_avoid: RFC 5681 3.1, one ACK of acked bytes in
 * congestion avoidance: one mss more per cwnd bytes acknowledged. */
uint32_t tcp_cc_newreno_avoid(struct tcp_cc_newreno *r, uint32_t cwnd, uint32_t acked,
                              uint32_t mss);
/* tcp_cc_newreno_ssthresh: RFC 5681 eq. 4, max(flight / 2, 2 mss). */
uint32_t tcp_cc_newreno_ssthresh(uint32_t flight, uint32_t mss);

/* tcp_cc_cubic_avoid: RFC 9438 4.2-4.5, one ACK of acked bytes in
 * congestion avoidance at time now. */
uint32_t tcp_cc_cubic_avoid(struct tcp_cc_cubic *c, uint32_t cwnd, uint32_t acked, uint32_t mss,
                            mira_time_t rtt, mira_time_t now);
/* tcp_cc_cubic_congestion: RFC 9438 4.6 and 4.7: returns ssthresh. */
uint32_t tcp_cc_cubic_congestion(struct tcp_cc_cubic *c, uint32_t cwnd, uint32_t flight,
                                 uint32_t mss);
/* tcp_cc_cubic_unused: an ACK at time now while the window is not used
 * (application- or receiver-limited): t stops until it is again. */
void tcp_cc_cubic_unused(struct tcp_cc_cubic *c, mira_time_t now);
/* tcp_cc_cubic_timeout: RFC 9438 4.8: returns ssthresh. */
uint32_t tcp_cc_cubic_timeout(struct tcp_cc_cubic *c, uint32_t cwnd, uint32_t flight,
                              uint32_t mss);
/* tcp_cc_cubic_window: W_cubic(t) (RFC 9438 eq. 1) in bytes for t in
 * 2^-10 s since the epoch began, from c's origin and k, within [0,
 * TCP_CC_CWND_MAX]. */
uint32_t tcp_cc_cubic_window(const struct tcp_cc_cubic *c, uint64_t t, uint32_t mss);
/* tcp_cc_cubic_k: K (RFC 9438 eq. 2) in 2^-10 s for a curve from cwnd_epoch
 * up to origin. */
uint32_t tcp_cc_cubic_k(uint32_t origin, uint32_t cwnd_epoch, uint32_t mss);
/* tcp_cc_cbrt: the integer cube root of x, rounded down. */
uint32_t tcp_cc_cbrt(uint64_t x);

#endif
