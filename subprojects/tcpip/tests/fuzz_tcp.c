/* fuzz_tcp.c - libFuzzer target of mira_tcp_parse and
 * mira_tcp_parse_options.  Input: a mode byte (bit 0: fix the checksum
 * first), source and destination addresses, the segment.  The options are
 * also parsed alone (no checksum in the way), and the header alone from
 * a prefix of the segment (mira_tcp_parse_header).  What parses rebuilds to a
 * segment that parses to the same header and options. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mira/byteorder.h>
#include <mira/tcpip/csum.h>
#include <mira/tcpip/tcp.h>

static void same_opts(const struct mira_tcp_opts *a, const struct mira_tcp_opts *b)
{
    if (a->present != b->present)
        abort();
    if ((a->present & MIRA_TCP_HAS_MSS) && a->mss != b->mss)
        abort();
    if ((a->present & MIRA_TCP_HAS_WSCALE) && (a->wscale != b->wscale || a->wscale > 14))
        abort();
    if ((a->present & MIRA_TCP_HAS_TS) && (a->ts_val != b->ts_val || a->ts_ecr != b->ts_ecr))
        abort();
    if ((a->present & MIRA_TCP_HAS_SACK) &&
        (a->sack_count != b->sack_count || a->sack_count < 1 || a->sack_count > 4 ||
         memcmp(a->sack, b->sack, sizeof(a->sack[0]) * a->sack_count) != 0))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 9 || size - 9 > 65515)
        return 0;
    uint32_t src = mira_load_be32(data + 1), dst = mira_load_be32(data + 5);
    size_t len = size - 9;
    uint8_t *p = malloc(len ? len : 1);
    if (p == NULL)
        return 0;
    memcpy(p, data + 9, len);
    struct mira_tcp_opts o;
    enum mira_tcpip_drop why = MIRA_DROP_NONE;
    if (mira_tcp_parse_options(p, len < 40 ? len : 40, &o, &why) < 0 &&
        why != MIRA_DROP_TCP_OPT_OVERRUN && why != MIRA_DROP_TCP_OPT_LENGTH)
        abort();
    if ((data[0] & 1) && len >= 20) {
        mira_store_be16(p + 16, 0);
        uint32_t s = mira_csum_pseudo_ipv4(src, dst, 6, (uint16_t)len);
        mira_store_be16(p + 16, mira_csum_finish(mira_csum_partial(p, len, s)));
    }
    struct mira_tcp_hdr t;
    /* The header alone, from the first avail bytes (a device checked the
     * sum): it never reads past them, and a header that parses lies in them. */
    size_t avail = len < 60 ? len : 20 + (size_t)(data[0] >> 1) % 41;
    uint8_t *head = malloc(avail ? avail : 1);
    if (head == NULL)
        abort();
    memcpy(head, p, avail);
    why = MIRA_DROP_NONE;
    int hh = mira_tcp_parse_header(head, avail, len, &t, &why);
    if (hh < 0 ? why == MIRA_DROP_NONE || why >= MIRA_DROP_COUNT
               : hh < 20 || (size_t)hh > avail || t.data != head + hh ||
                     t.data_len != len - (size_t)hh)
        abort();
    free(head);
    why = MIRA_DROP_NONE;
    int hlen = mira_tcp_parse(p, len, src, dst, &t, &why);
    if (hlen < 0) {
        if (why == MIRA_DROP_NONE || why >= MIRA_DROP_COUNT)
            abort();
        free(p);
        return 0;
    }
    if (hlen < 20 || hlen > 60 || (size_t)hlen > len || t.data != p + hlen || t.data_len != len - (size_t)hlen)
        abort();
    int olen = mira_tcp_options_len(&t.opts);
    if (olen >= 0) { /* some parsed sets (4 SACK blocks and more) do not fit a rebuild */
        size_t n = 20 + (size_t)olen + t.data_len;
        if (n <= 65515) {
            uint8_t *b = malloc(n);
            if (b == NULL)
                abort();
            memcpy(b + 20 + olen, t.data, t.data_len);
            struct mira_tcp_hdr back;
            if (mira_tcp_build(b, n, &t, src, dst, t.data_len) != 20 + olen ||
                mira_tcp_parse(b, n, src, dst, &back, NULL) != 20 + olen)
                abort();
            if (back.sport != t.sport || back.dport != t.dport || back.seq != t.seq || back.ack != t.ack ||
                back.flags != t.flags || back.window != t.window || back.urgent != t.urgent ||
                back.data_len != t.data_len || memcmp(back.data, t.data, t.data_len) != 0)
                abort();
            same_opts(&t.opts, &back.opts);
            free(b);
        }
    }
    free(p);
    return 0;
}
