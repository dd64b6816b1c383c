/*
 * tcp_cb.h - one TCP connection's state machine (RFC 9293), pure: a
 * segment or an app call or a clock reading goes in, segments come out
 * through the caller's output function, and the control block records
 * what a waiting fiber should learn (data readable, room to write, an
 * error).  No I/O, no clock, no allocation: the caller hands in the send
 * and receive buffers and the time, and arms one timer for
 * tcp_cb_deadline().  Private to subprojects/tcpip; tcp_stack.c is the
 * glue to packet buffers, timers and fibers, tests/test_tcp_cb.c and
 * tests/fuzz_tcp_conn.c drive it alone.
 *
 * What it does: the eleven states with simultaneous open and close;
 * RFC 6298 retransmission timeout with Karn's rule (without timestamps), exponential backoff
 * and a give-up limit; MSS (RFC 9293 3.7.1) and window scaling (RFC 7323
 * 2) options; RFC 5961 checks (RST exact or challenge ACK, SYN in a
 * synchronized state gets a challenge ACK, ACKs outside
 * [SND.UNA - MAX.SND.WND, SND.MAX] refused); fast retransmit and NewReno
 * recovery (RFC 5681 3.2, RFC 6582), with the congestion window's
 * arithmetic (slow start, congestion avoidance, the reductions) in
 * tcp_cc.h: CUBIC (RFC 9438, the default) or NewReno, per struct
 * tcp_config.cc, called at each ACK of new data outside recovery, at
 * the congestion event, at the end of recovery and at a timeout;
 * SACK (RFC 2018): blocks sent for the out-of-order ranges, most recent
 * first, and as sender a bounded scoreboard (tcp_sack.h) driving RFC 6675
 * recovery (pipe, NextSeg, holes, one rescue retransmission), NewReno
 * when the peer has no SACK; blocks outside [SND.UNA, SND.MAX] ignored
 * and counted; timestamps (RFC 7323): TSecr by the TS.Recent rule, RTT
 * samples from TSecr, PAWS drops (counted, ACKed), the timestamp clock
 * the caller's time in ms plus an offset from the ISS; delayed ACKs
 * (every second full segment, else after delack); Nagle (unless
 * nodelay); sender and receiver silly-window avoidance; zero window
 * probes with backoff (persist); keepalive (off by default); TIME-WAIT
 * of 2*MSL and an orphaned FIN-WAIT-2 limit; out-of-order data kept in
 * the receive buffer (a bounded list of ranges).  A bare ACK carries
 * SND.MAX (as BSD), so a peer holding data we are resending after a
 * timeout still takes it.
 *
 * Options on every segment: timestamps once negotiated (their 12 bytes
 * come out of snd_mss), SACK blocks on ACKs while out-of-order data is
 * held; the whole never more than 40 bytes (mira_tcp_options_len).
 *
 * Sequence numbers compare modulo 2^32 (tcp_seq_lt ...).  Buffers are
 * byte rings; the send ring holds every byte from SND.UNA's first data
 * byte on (unacknowledged, then unsent); the receive ring holds the bytes
 * the app has not read, from RCV.NXT back, and out-of-order bytes beyond.
 */
#ifndef MIRA_TCPIP_TCP_CB_H
#define MIRA_TCPIP_TCP_CB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mira/time.h>
#include <mira/tcpip/tcp.h>
#include "tcp_sack.h"

#include "tcp_cc.h"

static inline bool tcp_seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool tcp_seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool tcp_seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool tcp_seq_ge(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }

enum tcp_state {
    TCP_CLOSED,
    TCP_LISTEN,
    TCP_SYN_SENT,
    TCP_SYN_RECEIVED,
    TCP_ESTABLISHED,
    TCP_FIN_WAIT_1,
    TCP_FIN_WAIT_2,
    TCP_CLOSE_WAIT,
    TCP_CLOSING,
    TCP_LAST_ACK,
    TCP_TIME_WAIT,
};

/* tcp_state_name: "ESTABLISHED" ...; "?" outside the enum. */
const char *tcp_state_name(enum tcp_state st);

/* A byte ring over caller memory. */
struct tcp_ring {
    uint8_t *buf;
    uint32_t cap;
    uint32_t head; /* index of the first byte */
    uint32_t len;  /* bytes held from head on */
};

/* Out-of-order ranges a receive ring holds beyond RCV.NXT, at most this
 * many (a segment that would need another is dropped: the peer resends). */
#define TCP_OOO_MAX 8

/* The tunables of a connection (tcp_stack.c fills them from runtime
 * parameters; tests choose their own). */
struct tcp_config {
    uint16_t mss;             /* the most data we take per segment (our MSS option) */
    uint16_t mss_max_send;    /* the most data we put in one segment whatever the peer offers */
    bool nodelay;             /* no Nagle */
    mira_time_t rto_initial;  /* RFC 6298 2.1: 1 s */
    mira_time_t rto_min;      /* RFC 6298 2.4 says 1 s; Linux uses 200 ms */
    mira_time_t rto_max;      /* at least 60 s (RFC 6298 2.5) */
    mira_time_t delack;       /* delayed-ACK time (RFC 9293 3.8.6.3: < 0.5 s) */
    mira_time_t msl;          /* TIME-WAIT lasts 2 * msl */
    mira_time_t fin_wait_2;   /* an orphan in FIN-WAIT-2 gives up after this */
    unsigned max_retries;     /* retransmissions of one segment before giving up */
    unsigned max_syn_retries; /* SYN / SYN-ACK retransmissions before giving up */
    enum tcp_cc_algo cc;      /* congestion control: CUBIC (default) or NewReno */
    bool sack;                /* offer and accept SACK (RFC 2018) */
    bool timestamps;          /* offer and accept timestamps (RFC 7323) */
    uint32_t seg_max;         /* the most data one segment handed to the output may
                                 carry: with a TSO device a frame it cuts into
                                 snd_mss pieces (0: snd_mss, no TSO) */
    uint32_t rcvbuf_max;      /* the receive ring may grow to this (tcp_cb_rcv_grow);
                                 the window scale is chosen for it (0: no growth) */
};

/* What one output segment is: a header (h->data unused) and data_len
 * bytes of the send ring from byte offset data_off (tcp_ring_copy_out). */
struct tcp_cb;
typedef void (*tcp_output_fn)(void *ctx, struct tcp_cb *cb, const struct mira_tcp_hdr *h,
                              uint32_t data_off, uint32_t data_len);

/* Wake reasons the glue reads and clears (struct tcp_cb.wake). */
#define TCP_WAKE_READ 0x1    /* data, the peer's FIN, or an error for readers */
#define TCP_WAKE_WRITE 0x2   /* room in the send ring, or an error for writers */
#define TCP_WAKE_STATE 0x4   /* established, or closed: connect/accept waiters */

/* What tcp_cb_input tells the caller about a segment besides its effects. */
enum tcp_input_result {
    TCP_IN_DONE = 0,     /* processed (or dropped) */
    TCP_IN_REOPEN = 1,   /* a SYN that may start a new incarnation of a
                            TIME-WAIT connection (RFC 9293 3.10.7.4 / RFC
                            6191): the caller closes this one and hands the
                            SYN to its listener */
};

struct tcp_cb {
    enum tcp_state state;
    struct tcp_config cfg;
    uint16_t sport, dport;   /* ours, the peer's */

    /* send sequence space */
    uint32_t iss;
    uint32_t snd_una, snd_nxt, snd_max; /* snd_max: highest sequence sent + 1 */
    uint32_t snd_wnd;        /* the peer's window, scaled */
    uint32_t max_snd_wnd;    /* the largest it has been (RFC 5961 5.2) */
    uint32_t snd_wl1, snd_wl2;
    uint32_t snd_buf_seq;    /* the sequence number of snd.buf's first byte */
    uint16_t snd_mss;        /* data per segment we send */
    uint8_t snd_wscale;      /* the peer's shift */
    uint8_t rcv_wscale;      /* ours */
    bool wscale_ok;          /* both sides sent the option */
    bool fin_queued;         /* the app shut down: a FIN follows the data */
    struct tcp_ring snd;

    /* receive sequence space */
    uint32_t irs;
    uint32_t rcv_nxt;
    uint32_t rcv_adv;        /* the right edge we advertised */
    bool fin_received;       /* the peer's FIN has been taken in order */
    bool ooo_fin;            /* a FIN seen beyond a hole, at ooo_fin_seq */
    uint32_t ooo_fin_seq;
    struct tcp_ring rcv;
    struct tcp_range ooo[TCP_OOO_MAX];
    unsigned ooo_count;

    /* congestion control (RFC 5681, RFC 6582; the window arithmetic in
     * tcp_cc.h: CUBIC or NewReno) */
    uint32_t cwnd, ssthresh;
    struct tcp_cc cc;
    unsigned dupacks;
    bool in_recovery;
    uint32_t recover;

    /* round trip (RFC 6298) */
    bool rtt_timing;
    uint32_t rtt_seq;        /* the segment being timed ends here */
    mira_time_t rtt_start;
    bool have_rtt;
    mira_time_t srtt, rttvar, rto;
    unsigned retries;        /* retransmissions since the last new ACK */

    /* ACKs */
    unsigned unacked_segs;   /* full segments received since our last ACK */
    bool ack_now;

    /* timers: deadlines on the caller's clock, MIRA_TIME_NEVER when off */
    mira_time_t rtx_at;      /* retransmission (SYN, data, FIN) */
    mira_time_t persist_at;  /* zero-window probe */
    mira_time_t delack_at;
    mira_time_t end_at;      /* TIME-WAIT or orphaned FIN-WAIT-2 ends */
    unsigned persist_shift;  /* probe backoff: rto << shift */
    unsigned persist_probes; /* probes the peer has not answered */

    bool orphan;             /* the app has closed: nobody reads */
    bool passive;            /* opened from LISTEN */
    int error;               /* 0, or what app calls get: MIRA_ECONNREFUSED,
                                MIRA_ECLOSED (reset), MIRA_ETIMEDOUT (gave up) */
    unsigned wake;           /* TCP_WAKE_* since the glue last looked */

    tcp_output_fn output;
    void *ctx;

    /* SACK (RFC 2018, RFC 6675) */
    bool sack_ok;            /* both sides sent SACK-permitted */
    uint32_t ooo_stamp[TCP_OOO_MAX]; /* when ooo[i] last grew: SACK blocks go most recent first */
    uint32_t ooo_clock;
    struct tcp_sack_board sacked;    /* what the peer SACKed of ours, in [SND.UNA, SND.MAX] */
    uint32_t high_rxt;       /* RFC 6675 HighRxt: retransmitted up to here in this recovery */
    bool rescue_sent;        /* RFC 6675 rule 4's one rescue retransmission of this recovery */

    /* timestamps (RFC 7323) */
    bool ts_ok;              /* both sides sent the option */
    uint32_t ts_offset;      /* TSval = ms of the caller's clock + ts_offset (from the ISS) */
    uint32_t ts_recent;      /* TS.Recent: the TSval we echo */
    mira_time_t ts_recent_at;/* when it was set (invalid after 24 days idle, 5.5) */
    uint32_t last_ack_sent;  /* Last.ACK.sent: RCV.NXT in our latest ACK */
    uint32_t ts_rtt_next;    /* the next TSecr RTT sample once SND.UNA passes this */
    uint16_t peer_mss;       /* the peer's MSS option (snd_mss is less by the TS option) */
    mira_time_t clock;       /* the latest time handed in (for TSval) */

    /* A reader's buffer (tcp_cb_reader): in-order data that arrives while
     * the receive ring is empty is copied there instead of into the ring,
     * so it is copied once between the segment and the app. */
    uint8_t *rd_buf;
    uint32_t rd_len, rd_done;
    /* The glue feeds one coalesced segment (GRO) as the pieces it is made
     * of: while more of it follows, in-order data counts toward the
     * every-second-segment ACK but does not send it, so the whole
     * coalesced segment is acknowledged once, at its last piece, as Linux
     * acknowledges a GRO packet. */
    bool more_follows;

    /* counters, for tests and diagnostics */
    uint64_t stat_rexmit, stat_fast_rexmit, stat_rto, stat_challenge_acks, stat_dropped;
    uint64_t stat_sack_recoveries; /* recoveries run by the scoreboard (RFC 6675) */
    uint64_t stat_sack_rexmit;     /* of stat_rexmit: holes and rescues they sent */
    uint64_t stat_sack_ignored;    /* blocks outside [SND.UNA, SND.MAX] or empty */
    uint64_t stat_sack_blocks_sent;
    uint64_t stat_paws_dropped;    /* segments with an old TSval (RFC 7323 5) */
    uint64_t stat_ts_rtt;          /* RTT samples taken from TSecr */

    /* keepalive (RFC 9293 3.8.4, RFC 1122 4.2.3.6; tcp_cb_set_keepalive):
     * off by default; when on and the connection is synchronized with
     * nothing outstanding, a probe goes after ka_idle without a segment
     * from the peer, then every ka_intvl; after ka_count unanswered
     * probes the connection fails with MIRA_ETIMEDOUT. */
    bool ka_on;
    unsigned ka_count;
    unsigned ka_probes;      /* sent since the peer was last heard */
    mira_time_t ka_idle, ka_intvl;
    mira_time_t ka_heard;    /* the last acceptable segment from the peer */
    mira_time_t ka_sent;     /* the last probe */
    uint64_t stat_keepalive_probes;
};

/* tcp_config_default: the defaults documented in docs/architecture.md. */
void tcp_config_default(struct tcp_config *cfg);

/* tcp_ring_copy_out: copies len bytes of r from byte offset off (off + len
 * <= r->len) into dst. */
void tcp_ring_copy_out(const struct tcp_ring *r, uint32_t off, void *dst, uint32_t len);

/* tcp_cb_init: a CLOSED control block with the given ports, buffers
 * (sndcap and rcvcap from 1 to 2^30 bytes), configuration and output. */
void tcp_cb_init(struct tcp_cb *cb, const struct tcp_config *cfg, uint16_t sport, uint16_t dport,
                 uint8_t *sndbuf, uint32_t sndcap, uint8_t *rcvbuf, uint32_t rcvcap,
                 tcp_output_fn output, void *ctx);

/* tcp_cb_listen: CLOSED -> LISTEN for one incoming connection: the next
 * SYN given to tcp_cb_input is answered with a SYN-ACK from iss. */
void tcp_cb_listen(struct tcp_cb *cb, uint32_t iss);

/* tcp_cb_connect: CLOSED -> SYN-SENT, sending a SYN from iss. */
void tcp_cb_connect(struct tcp_cb *cb, uint32_t iss, mira_time_t now);

/* tcp_cb_input: one segment (header parsed and checksummed; h->data and
 * h->data_len its data) for this connection at time now. */
enum tcp_input_result tcp_cb_input(struct tcp_cb *cb, const struct mira_tcp_hdr *h, mira_time_t now);

/* tcp_cb_write: appends up to len bytes of buf to the send ring and sends
 * what the windows allow.  Returns the count taken (0 when the ring is
 * full), or MIRA_ECLOSED when the connection cannot send any more (after
 * shutdown, a reset, an error, or before it is synchronized... see
 * tcp_cb_can_write). */
long tcp_cb_write(struct tcp_cb *cb, const void *buf, size_t len, mira_time_t now);

/* tcp_cb_read: moves up to len bytes in order from the receive ring into
 * buf, and tells the peer when the window has opened enough.  Returns the
 * count (0 when none is there). */
size_t tcp_cb_read(struct tcp_cb *cb, void *buf, size_t len, mira_time_t now);

/* tcp_cb_reader: a reader waits with len bytes at buf (NULL: no longer):
 * in-order data arriving while the receive ring is empty goes there, and
 * cb->rd_done counts it (the caller reads and resets it). */
static inline void tcp_cb_reader(struct tcp_cb *cb, void *buf, uint32_t len)
{
    cb->rd_buf = (uint8_t *)buf;
    cb->rd_len = buf != NULL ? len : 0;
    cb->rd_done = 0;
}

/* tcp_cb_rcv_grow: moves the receive ring (what is unread and what is held
 * out of order) into newbuf of newcap bytes (more than the ring's cap, at
 * most cfg.rcvbuf_max when that is set): the window can then open wider.
 * The old memory is the caller's again. */
void tcp_cb_rcv_grow(struct tcp_cb *cb, uint8_t *newbuf, uint32_t newcap);

/* tcp_cb_snd_grow: moves the send ring (every byte from SND.UNA's on)
 * into newbuf of newcap bytes (more than the ring's cap), so that more can
 * be in flight.  The old memory is the caller's again (packets may still
 * point into it: the caller keeps it until they are gone). */
void tcp_cb_snd_grow(struct tcp_cb *cb, uint8_t *newbuf, uint32_t newcap);

/* tcp_cb_can_write: the state allows queueing data (SYN-SENT and
 * SYN-RECEIVED too: it goes out once established). */
bool tcp_cb_can_write(const struct tcp_cb *cb);

/* tcp_cb_readable: bytes the app can read now. */
static inline uint32_t tcp_cb_readable(const struct tcp_cb *cb) { return cb->rcv.len; }

/* tcp_cb_send_space: bytes the send ring can take now. */
static inline uint32_t tcp_cb_send_space(const struct tcp_cb *cb) { return cb->snd.cap - cb->snd.len; }

/* tcp_cb_rcv_empty: the receive ring holds nothing (nothing unread,
 * nothing kept out of order): its memory may go, and come back (at the
 * same cap, the window unchanged) before the next data is taken in. */
static inline bool tcp_cb_rcv_empty(const struct tcp_cb *cb)
{
    return cb->rcv.len == 0 && cb->ooo_count == 0;
}

/* tcp_cb_snd_empty: the send ring holds nothing (all that was written has
 * been acknowledged): its memory may go, and come back before the next
 * write. */
static inline bool tcp_cb_snd_empty(const struct tcp_cb *cb) { return cb->snd.len == 0; }

/* tcp_cb_shutdown: no more data from us: a FIN follows what is queued.
 * Returns 0, or MIRA_ECLOSED when the connection is reset or already shut. */
int tcp_cb_shutdown(struct tcp_cb *cb, mira_time_t now);

/* tcp_cb_close: the app lets go (orphan): as shutdown, except that data
 * received and never read, or arriving later, resets the connection (RFC
 * 9293 3.10.4 leaves it open; Linux and BSD reset, so the peer learns its
 * data was lost). */
void tcp_cb_close(struct tcp_cb *cb, mira_time_t now);

/* tcp_cb_abort: sends a RST when synchronized and goes CLOSED. */
void tcp_cb_abort(struct tcp_cb *cb);

/* tcp_cb_drop: goes CLOSED with error (0: none) without a word to the
 * peer (an ICMP hard error, the stack closing). */
void tcp_cb_drop(struct tcp_cb *cb, int error);

/* tcp_cb_set_nodelay: Nagle off (true) or on (false); what Nagle held
 * back goes now. */
void tcp_cb_set_nodelay(struct tcp_cb *cb, bool on, mira_time_t now);

/* tcp_cb_set_keepalive: keepalive on (idle and intvl > 0, count >= 1) or
 * off; the idle time counts from now or the peer's last segment, which
 * ever is later. */
void tcp_cb_set_keepalive(struct tcp_cb *cb, bool on, mira_time_t idle, mira_time_t intvl,
                          unsigned count, mira_time_t now);

/* tcp_cb_deadline: the earliest timer deadline, MIRA_TIME_NEVER if none. */
mira_time_t tcp_cb_deadline(const struct tcp_cb *cb);

/* tcp_cb_timer: runs every timer whose deadline is not after now. */
void tcp_cb_timer(struct tcp_cb *cb, mira_time_t now);

/* tcp_cb_established: the connection is (or was) synchronized: ESTABLISHED
 * or a later state. */
bool tcp_cb_synchronized(const struct tcp_cb *cb);

/* tcp_rst_reply: the RST to answer segment h with when no connection
 * takes it (RFC 9293 3.10.7.1); false when none is due (h is a RST). */
bool tcp_rst_reply(const struct mira_tcp_hdr *h, struct mira_tcp_hdr *rst);

/* tcp_cb_check: the invariants (sequence space order, window and buffer
 * bounds, timers vs. state, the SACK scoreboard within [SND.UNA, SND.MAX],
 * sorted and bounded, options only as configured, the MSS less the
 * timestamps); NULL when they hold, else which broke. */
const char *tcp_cb_check(const struct tcp_cb *cb);

/* Path MTU discovery (RFC 1191 for TCP; RFC 5927 4.1 checks).  The
 * smallest next-hop MTU believed: lower ones are taken as this (RFC 1122's
 * 576, so an ICMP forger cannot shrink segments to a few bytes; Linux's
 * floor is 552). */
#define TCP_PMTU_MIN 576u

/* tcp_cb_path_mtu: an ICMP "fragmentation needed" (type 3 code 4) said a
 * segment we sent from seq did not fit a next hop of mtu bytes (0: the
 * router did not say, RFC 1191 5: ignored).  Taken only when the
 * connection is synchronized and seq is in flight (SND.UNA <= seq <
 * SND.MAX, RFC 5927 4.1) and the MSS it gives (mtu - 40, at least
 * TCP_PMTU_MIN - 40) is below the one in use: then the MSS drops to it
 * and what is in flight is sent again at once in segments that fit (not a
 * congestion signal: the window stays; Karn's rule holds).  Returns true
 * when the MSS changed. */
bool tcp_cb_path_mtu(struct tcp_cb *cb, uint32_t seq, uint32_t mtu, mira_time_t now);

#endif
