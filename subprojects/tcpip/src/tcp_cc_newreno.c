/* tcp_cc_newreno.c - NewReno's congestion avoidance and reduction: RFC
 * 5681 3.1 (additive increase of one segment per round trip, halving on
 * loss); its recovery (RFC 6582) is tcp_cb.c's.  See tcp_cc.h. */
#include "tcp_cc.h"

uint32_t tcp_cc_newreno_avoid(struct tcp_cc_newreno *r, uint32_t cwnd, uint32_t acked,
                              uint32_t mss)
{
    /* 3.1's recommended byte counting: one segment more each time a
     * window's worth of bytes has been acknowledged.  (Eq. 3, mss * mss /
     * cwnd per ACK, rounds down to a few bytes on a large window, and
     * grows half as fast behind delayed ACKs.) */
    uint64_t n = (uint64_t)r->bytes_acked + acked;
    if (n < cwnd) {
        r->bytes_acked = (uint32_t)n;
        return cwnd;
    }
    r->bytes_acked = (uint32_t)(n - cwnd < cwnd ? n - cwnd : 0);
    uint64_t w = (uint64_t)cwnd + mss;
    return (uint32_t)(w < TCP_CC_CWND_MAX ? w : TCP_CC_CWND_MAX);
}

uint32_t tcp_cc_newreno_ssthresh(uint32_t flight, uint32_t mss)
{
    uint32_t half = flight / 2;
    return half > 2u * mss ? half : 2u * mss; /* eq. 4 */
}
