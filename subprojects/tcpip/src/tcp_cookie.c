/* tcp_cookie.c - SYN cookies (RFC 4987 3.6).  See tcp_cookie.h. */
#include "tcp_cookie.h"

#include <mira/byteorder.h>

#include "tcp_isn.h"

/* Linux's four (536, 1300, 1440, 1460) and a few more: the common
 * tunnel and jumbo sizes, so an MSS loses little to the rounding. */
const uint16_t tcp_cookie_mss_table[8] = { 536, 1200, 1300, 1360, 1400, 1440, 1460, 8960 };

static uint64_t counter(mira_time_t now)
{
    return (uint64_t)(now < 0 ? 0 : now) / (uint64_t)TCP_COOKIE_TICK;
}

/* The hash covers the MSS index too: a peer that saw a cookie cannot
 * change its MSS bits. */
static uint32_t hash24(const uint8_t key[16], const struct tcp_cookie_conn *conn, unsigned mss_idx,
                       uint64_t t)
{
    uint8_t in[25];
    mira_store_be32(in, conn->laddr);
    mira_store_be16(in + 4, conn->lport);
    mira_store_be32(in + 6, conn->raddr);
    mira_store_be16(in + 10, conn->rport);
    mira_store_be32(in + 12, conn->irs);
    mira_store_be32(in + 16, (uint32_t)(t >> 32));
    mira_store_be32(in + 20, (uint32_t)t);
    in[24] = (uint8_t)mss_idx;
    return (uint32_t)tcp_siphash(key, in, sizeof(in)) & 0xffffffu;
}

static uint32_t encode(const uint8_t key[16], const struct tcp_cookie_conn *conn, unsigned mss_idx,
                       uint64_t t)
{
    return (uint32_t)(t & 31) << 27 | (uint32_t)mss_idx << 24 | hash24(key, conn, mss_idx, t);
}

uint32_t tcp_cookie_make(const uint8_t key[16], const struct tcp_cookie_conn *conn, uint16_t mss,
                         mira_time_t now)
{
    unsigned idx = 0;
    while (idx + 1 < 8 && tcp_cookie_mss_table[idx + 1] <= mss)
        idx++;
    return encode(key, conn, idx, counter(now));
}

bool tcp_cookie_check(const uint8_t key[16], const struct tcp_cookie_conn *conn, uint32_t cookie,
                      mira_time_t now, uint16_t *mss)
{
    uint64_t t = counter(now);
    unsigned idx = (cookie >> 24) & 7;
    for (uint64_t age = 0; age <= 1 && age <= t; age++) {
        if (encode(key, conn, idx, t - age) == cookie) {
            *mss = tcp_cookie_mss_table[idx];
            return true;
        }
    }
    return false;
}
