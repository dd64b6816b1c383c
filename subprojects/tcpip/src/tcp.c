/* tcp.c - TCP header and options parse and build.  See mira/tcpip/tcp.h. */
#include <mira/tcpip/tcp.h>

#include <string.h>
#include <mira/byteorder.h>
#include <mira/tcpip/csum.h>
#include <mira/tcpip/wire_ipv4.h>

static int drop(enum mira_tcpip_drop *why, enum mira_tcpip_drop reason, int err)
{
    if (why != NULL)
        *why = reason;
    return err;
}

int mira_tcp_parse_options(const uint8_t *p, size_t n, struct mira_tcp_opts *o, enum mira_tcpip_drop *why)
{
    memset(o, 0, sizeof(*o));
    size_t i = 0;
    while (i < n) {
        uint8_t kind = p[i];
        if (kind == MIRA_TCP_OPT_EOL)
            break;
        if (kind == MIRA_TCP_OPT_NOP) {
            i++;
            continue;
        }
        if (n - i < 2)
            return drop(why, MIRA_DROP_TCP_OPT_OVERRUN, MIRA_ECORRUPT);
        size_t olen = p[i + 1];
        if (olen < 2 || olen > n - i)
            return drop(why, MIRA_DROP_TCP_OPT_OVERRUN, MIRA_ECORRUPT);
        const uint8_t *v = p + i + 2;
        switch (kind) {
        case MIRA_TCP_OPT_MSS:
            if (olen != MIRA_TCP_OPT_MSS_LEN)
                return drop(why, MIRA_DROP_TCP_OPT_LENGTH, MIRA_ECORRUPT);
            o->mss = mira_load_be16(v);
            o->present |= MIRA_TCP_HAS_MSS;
            break;
        case MIRA_TCP_OPT_WSCALE:
            if (olen != MIRA_TCP_OPT_WSCALE_LEN)
                return drop(why, MIRA_DROP_TCP_OPT_LENGTH, MIRA_ECORRUPT);
            o->wscale = v[0] > MIRA_TCP_MAX_WSCALE ? MIRA_TCP_MAX_WSCALE : v[0];
            o->present |= MIRA_TCP_HAS_WSCALE;
            break;
        case MIRA_TCP_OPT_SACK_PERM:
            if (olen != MIRA_TCP_OPT_SACK_PERM_LEN)
                return drop(why, MIRA_DROP_TCP_OPT_LENGTH, MIRA_ECORRUPT);
            o->present |= MIRA_TCP_HAS_SACK_PERM;
            break;
        case MIRA_TCP_OPT_SACK: {
            size_t blocks = (olen - 2) / 8;
            if ((olen - 2) % 8 != 0 || blocks < 1 || blocks > MIRA_TCP_MAX_SACK_BLOCKS)
                return drop(why, MIRA_DROP_TCP_OPT_LENGTH, MIRA_ECORRUPT);
            for (size_t b = 0; b < blocks; b++) {
                o->sack[b].left = mira_load_be32(v + 8 * b);
                o->sack[b].right = mira_load_be32(v + 8 * b + 4);
            }
            o->sack_count = (uint8_t)blocks;
            o->present |= MIRA_TCP_HAS_SACK;
            break;
        }
        case MIRA_TCP_OPT_TS:
            if (olen != MIRA_TCP_OPT_TS_LEN)
                return drop(why, MIRA_DROP_TCP_OPT_LENGTH, MIRA_ECORRUPT);
            o->ts_val = mira_load_be32(v);
            o->ts_ecr = mira_load_be32(v + 4);
            o->present |= MIRA_TCP_HAS_TS;
            break;
        default:
            break; /* unknown: skipped by its length */
        }
        i += olen;
    }
    return 0;
}

int mira_tcp_parse(const uint8_t *p, size_t len, uint32_t src, uint32_t dst, struct mira_tcp_hdr *t,
                   enum mira_tcpip_drop *why)
{
    if (len < MIRA_TCP_HDR_LEN)
        return drop(why, MIRA_DROP_TCP_SHORT, MIRA_ECORRUPT);
    size_t hlen = (size_t)(p[MIRA_TCP_OFF_DOFF] >> 4) * 4;
    if (hlen < MIRA_TCP_HDR_LEN || hlen > len)
        return drop(why, MIRA_DROP_TCP_DATA_OFFSET, MIRA_ECORRUPT);
    if (len > MIRA_IPV4_MAX_LEN - MIRA_IPV4_HDR_LEN)
        return drop(why, MIRA_DROP_TCP_CHECKSUM, MIRA_ECORRUPT); /* no IPv4 datagram carries it */
    uint32_t sum = mira_csum_pseudo_ipv4(src, dst, MIRA_IPV4_PROTO_TCP, (uint16_t)len);
    if (mira_csum_finish(mira_csum_partial(p, len, sum)) != 0)
        return drop(why, MIRA_DROP_TCP_CHECKSUM, MIRA_ECORRUPT);
    return mira_tcp_parse_header(p, len, len, t, why);
}

int mira_tcp_parse_header(const uint8_t *p, size_t avail, size_t len, struct mira_tcp_hdr *t,
                          enum mira_tcpip_drop *why)
{
    if (avail > len)
        avail = len;
    if (avail < MIRA_TCP_HDR_LEN)
        return drop(why, MIRA_DROP_TCP_SHORT, MIRA_ECORRUPT);
    size_t hlen = (size_t)(p[MIRA_TCP_OFF_DOFF] >> 4) * 4;
    if (hlen < MIRA_TCP_HDR_LEN || hlen > avail)
        return drop(why, MIRA_DROP_TCP_DATA_OFFSET, MIRA_ECORRUPT);
    if (len > MIRA_IPV4_MAX_LEN - MIRA_IPV4_HDR_LEN)
        return drop(why, MIRA_DROP_TCP_CHECKSUM, MIRA_ECORRUPT); /* no IPv4 datagram carries it */
    struct mira_tcp_opts opts; /* *t stays untouched on a drop */
    int err = mira_tcp_parse_options(p + MIRA_TCP_HDR_LEN, hlen - MIRA_TCP_HDR_LEN, &opts, why);
    if (err < 0)
        return err;
    t->opts = opts;
    t->sport = mira_load_be16(p + MIRA_TCP_OFF_SPORT);
    t->dport = mira_load_be16(p + MIRA_TCP_OFF_DPORT);
    t->seq = mira_load_be32(p + MIRA_TCP_OFF_SEQ);
    t->ack = mira_load_be32(p + MIRA_TCP_OFF_ACK);
    t->hdr_len = (uint8_t)hlen;
    t->flags = p[MIRA_TCP_OFF_FLAGS];
    t->window = mira_load_be16(p + MIRA_TCP_OFF_WINDOW);
    t->checksum = mira_load_be16(p + MIRA_TCP_OFF_CHECKSUM);
    t->urgent = mira_load_be16(p + MIRA_TCP_OFF_URGENT);
    t->data = p + hlen;
    t->data_len = len - hlen;
    return (int)hlen;
}

/* The unpadded length of o's options, or -1 if o cannot be encoded. */
static int raw_options_len(const struct mira_tcp_opts *o)
{
    int n = 0;
    if (o->present & MIRA_TCP_HAS_MSS)
        n += MIRA_TCP_OPT_MSS_LEN;
    if ((o->present & MIRA_TCP_HAS_SACK_PERM) && (o->present & MIRA_TCP_HAS_TS))
        n += MIRA_TCP_OPT_SACK_PERM_LEN + MIRA_TCP_OPT_TS_LEN;
    else if (o->present & MIRA_TCP_HAS_SACK_PERM)
        n += 2 + MIRA_TCP_OPT_SACK_PERM_LEN;  /* NOP NOP SACK-permitted */
    else if (o->present & MIRA_TCP_HAS_TS)
        n += 2 + MIRA_TCP_OPT_TS_LEN;         /* NOP NOP timestamps */
    if (o->present & MIRA_TCP_HAS_WSCALE) {
        if (o->wscale > MIRA_TCP_MAX_WSCALE)
            return -1;
        n += 1 + MIRA_TCP_OPT_WSCALE_LEN;     /* NOP window scale */
    }
    if (o->present & MIRA_TCP_HAS_SACK) {
        if (o->sack_count < 1 || o->sack_count > MIRA_TCP_MAX_SACK_BLOCKS)
            return -1;
        n += 2 + 2 + 8 * o->sack_count;       /* NOP NOP SACK */
    }
    return n;
}

int mira_tcp_options_len(const struct mira_tcp_opts *o)
{
    int n = raw_options_len(o);
    if (n < 0)
        return MIRA_EINVAL;
    n = (n + 3) & ~3;
    if (n > MIRA_TCP_MAX_HDR_LEN - MIRA_TCP_HDR_LEN)
        return MIRA_EINVAL;
    return n;
}

int mira_tcp_build_options(uint8_t *buf, size_t cap, const struct mira_tcp_opts *o)
{
    int total = mira_tcp_options_len(o);
    if (total < 0)
        return total;
    if (cap < (size_t)total)
        return MIRA_ENOMEM;
    uint8_t *b = buf;
    if (o->present & MIRA_TCP_HAS_MSS) {
        *b++ = MIRA_TCP_OPT_MSS;
        *b++ = MIRA_TCP_OPT_MSS_LEN;
        mira_store_be16(b, o->mss);
        b += 2;
    }
    bool sp = (o->present & MIRA_TCP_HAS_SACK_PERM) != 0, ts = (o->present & MIRA_TCP_HAS_TS) != 0;
    if (sp && ts) {
        *b++ = MIRA_TCP_OPT_SACK_PERM;
        *b++ = MIRA_TCP_OPT_SACK_PERM_LEN;
    } else if (sp) {
        *b++ = MIRA_TCP_OPT_NOP;
        *b++ = MIRA_TCP_OPT_NOP;
        *b++ = MIRA_TCP_OPT_SACK_PERM;
        *b++ = MIRA_TCP_OPT_SACK_PERM_LEN;
    } else if (ts) {
        *b++ = MIRA_TCP_OPT_NOP;
        *b++ = MIRA_TCP_OPT_NOP;
    }
    if (ts) {
        *b++ = MIRA_TCP_OPT_TS;
        *b++ = MIRA_TCP_OPT_TS_LEN;
        mira_store_be32(b, o->ts_val);
        mira_store_be32(b + 4, o->ts_ecr);
        b += 8;
    }
    if (o->present & MIRA_TCP_HAS_WSCALE) {
        *b++ = MIRA_TCP_OPT_NOP;
        *b++ = MIRA_TCP_OPT_WSCALE;
        *b++ = MIRA_TCP_OPT_WSCALE_LEN;
        *b++ = o->wscale;
    }
    if (o->present & MIRA_TCP_HAS_SACK) {
        *b++ = MIRA_TCP_OPT_NOP;
        *b++ = MIRA_TCP_OPT_NOP;
        *b++ = MIRA_TCP_OPT_SACK;
        *b++ = (uint8_t)(2 + 8 * o->sack_count);
        for (int i = 0; i < o->sack_count; i++) {
            mira_store_be32(b, o->sack[i].left);
            mira_store_be32(b + 4, o->sack[i].right);
            b += 8;
        }
    }
    while (b < buf + total)
        *b++ = MIRA_TCP_OPT_EOL;
    return total;
}

int mira_tcp_build(uint8_t *buf, size_t cap, const struct mira_tcp_hdr *t, uint32_t src, uint32_t dst,
                   size_t data_len)
{
    int olen = mira_tcp_options_len(&t->opts);
    if (olen < 0)
        return olen;
    size_t hlen = MIRA_TCP_HDR_LEN + (size_t)olen;
    if (data_len > MIRA_IPV4_MAX_LEN - MIRA_IPV4_HDR_LEN - hlen)
        return MIRA_EINVAL;
    if (cap < hlen || cap - hlen < data_len)
        return MIRA_ENOMEM;
    mira_store_be16(buf + MIRA_TCP_OFF_SPORT, t->sport);
    mira_store_be16(buf + MIRA_TCP_OFF_DPORT, t->dport);
    mira_store_be32(buf + MIRA_TCP_OFF_SEQ, t->seq);
    mira_store_be32(buf + MIRA_TCP_OFF_ACK, t->ack);
    buf[MIRA_TCP_OFF_DOFF] = (uint8_t)((hlen / 4) << 4);
    buf[MIRA_TCP_OFF_FLAGS] = t->flags;
    mira_store_be16(buf + MIRA_TCP_OFF_WINDOW, t->window);
    mira_store_be16(buf + MIRA_TCP_OFF_CHECKSUM, 0);
    mira_store_be16(buf + MIRA_TCP_OFF_URGENT, t->urgent);
    mira_tcp_build_options(buf + MIRA_TCP_HDR_LEN, (size_t)olen, &t->opts);
    size_t len = hlen + data_len;
    uint32_t sum = mira_csum_pseudo_ipv4(src, dst, MIRA_IPV4_PROTO_TCP, (uint16_t)len);
    mira_store_be16(buf + MIRA_TCP_OFF_CHECKSUM, mira_csum_finish(mira_csum_partial(buf, len, sum)));
    return (int)hlen;
}
