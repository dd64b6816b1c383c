/* tcp_cc.c - congestion control: what both algorithms share (slow start,
 * the end of recovery, the bounds) and the dispatch to
 * tcp_cc_newreno.c / tcp_cc_cubic.c.  See tcp_cc.h. */
#include "tcp_cc.h"

#include <stdbool.h>
#include <string.h>
#include <mira/error.h>

static uint32_t min32(uint32_t a, uint32_t b) { return a < b ? a : b; }
static uint32_t max32(uint32_t a, uint32_t b) { return a > b ? a : b; }

const char *tcp_cc_name(enum tcp_cc_algo algo)
{
    switch (algo) {
    case TCP_CC_CUBIC:
        return "cubic";
    case TCP_CC_NEWRENO:
        return "newreno";
    }
    return "?";
}

int tcp_cc_from_name(const char *name, enum tcp_cc_algo *algo)
{
    if (strcmp(name, "cubic") == 0)
        *algo = TCP_CC_CUBIC;
    else if (strcmp(name, "newreno") == 0)
        *algo = TCP_CC_NEWRENO;
    else
        return MIRA_EINVAL;
    return MIRA_OK;
}

void tcp_cc_init(struct tcp_cc *cc, enum tcp_cc_algo algo)
{
    memset(cc, 0, sizeof(*cc));
    cc->algo = algo;
    cc->cubic.epoch_start = cc->cubic.unused_since = MIRA_TIME_NEVER;
}

uint32_t tcp_cc_ack(struct tcp_cc *cc, uint32_t cwnd, uint32_t ssthresh, uint32_t acked,
                    uint32_t flight, uint32_t mss, mira_time_t rtt, mira_time_t now)
{
    mss = max32(mss, 1);
    /* A window the sender does not fill says nothing about the path: it
     * does not grow (else an application-limited connection would build
     * a window it never tested and burst it out later). */
    bool used = cwnd < ssthresh ? 2 * (uint64_t)flight > cwnd : (uint64_t)flight + mss > cwnd;
    if (!used) {
        if (cc->algo == TCP_CC_CUBIC && cwnd >= ssthresh)
            tcp_cc_cubic_unused(&cc->cubic, now);
        return cwnd;
    }
    if (cwnd < ssthresh) {
        /* RFC 5681 3.1 eq. 2: at most one segment per ACK, so a receiver
         * acknowledging in big strides cannot burst the window open. */
        uint64_t w = (uint64_t)cwnd + min32(acked, mss);
        return (uint32_t)(w < TCP_CC_CWND_MAX ? w : TCP_CC_CWND_MAX);
    }
    if (cc->algo == TCP_CC_CUBIC)
        return tcp_cc_cubic_avoid(&cc->cubic, cwnd, acked, mss, rtt, now);
    return tcp_cc_newreno_avoid(&cc->newreno, cwnd, acked, mss);
}

uint32_t tcp_cc_congestion(struct tcp_cc *cc, uint32_t cwnd, uint32_t flight, uint32_t mss,
                           mira_time_t now)
{
    (void)now;
    mss = max32(mss, 1);
    if (cc->algo == TCP_CC_CUBIC)
        return tcp_cc_cubic_congestion(&cc->cubic, cwnd, flight, mss);
    cc->newreno.bytes_acked = 0;
    return tcp_cc_newreno_ssthresh(flight, mss);
}

uint32_t tcp_cc_recovered(struct tcp_cc *cc, uint32_t ssthresh, uint32_t flight, uint32_t mss,
                          mira_time_t now)
{
    /* RFC 6582 3.2 step 3 for both: deflate to ssthresh, or to what is in
     * flight plus one segment when less (no burst).  CUBIC's epoch, reset
     * at the congestion event, begins with the next ACK (RFC 9438 4.2: t
     * counts from the start of congestion avoidance). */
    (void)cc;
    (void)now;
    mss = max32(mss, 1);
    return min32(ssthresh, (uint32_t)min32(max32(flight, mss), TCP_CC_CWND_MAX) + mss);
}

uint32_t tcp_cc_timeout(struct tcp_cc *cc, uint32_t cwnd, uint32_t flight, uint32_t mss,
                        mira_time_t now)
{
    (void)now;
    mss = max32(mss, 1);
    if (cc->algo == TCP_CC_CUBIC)
        return tcp_cc_cubic_timeout(&cc->cubic, cwnd, flight, mss);
    cc->newreno.bytes_acked = 0;
    return tcp_cc_newreno_ssthresh(flight, mss);
}
