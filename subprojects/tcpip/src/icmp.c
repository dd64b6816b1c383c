/* icmp.c - ICMP parse and build.  See mira/tcpip/icmp.h. */
#include <mira/tcpip/icmp.h>

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

int mira_icmp_parse(const uint8_t *p, size_t len, struct mira_icmp_msg *m, enum mira_tcpip_drop *why)
{
    if (len < MIRA_ICMP_HDR_LEN)
        return drop(why, MIRA_DROP_ICMP_SHORT, MIRA_ECORRUPT);
    if (mira_csum_finish(mira_csum_partial(p, len, 0)) != 0)
        return drop(why, MIRA_DROP_ICMP_CHECKSUM, MIRA_ECORRUPT);
    m->type = p[MIRA_ICMP_OFF_TYPE];
    m->code = p[MIRA_ICMP_OFF_CODE];
    m->checksum = mira_load_be16(p + MIRA_ICMP_OFF_CHECKSUM);
    m->id = mira_load_be16(p + MIRA_ICMP_OFF_ID);
    m->seq = mira_load_be16(p + MIRA_ICMP_OFF_SEQ);
    m->data = p + MIRA_ICMP_HDR_LEN;
    m->data_len = len - MIRA_ICMP_HDR_LEN;
    return MIRA_ICMP_HDR_LEN;
}

int mira_icmp_parse_quote(const struct mira_icmp_msg *m, struct mira_icmp_quote *q, enum mira_tcpip_drop *why)
{
    if (m->type != MIRA_ICMP_DEST_UNREACH && m->type != MIRA_ICMP_SOURCE_QUENCH &&
        m->type != MIRA_ICMP_TIME_EXCEEDED && m->type != MIRA_ICMP_PARAM_PROBLEM)
        return MIRA_EINVAL;
    const uint8_t *ip = m->data;
    if (m->data_len < MIRA_IPV4_HDR_LEN || (ip[0] >> 4) != 4)
        return drop(why, MIRA_DROP_ICMP_QUOTE, MIRA_ECORRUPT);
    size_t hlen = (size_t)(ip[0] & 0x0f) * 4;
    if (hlen < MIRA_IPV4_HDR_LEN || m->data_len < hlen + MIRA_ICMP_QUOTE_DATA_LEN)
        return drop(why, MIRA_DROP_ICMP_QUOTE, MIRA_ECORRUPT);
    q->src = mira_load_be32(ip + MIRA_IPV4_OFF_SRC);
    q->dst = mira_load_be32(ip + MIRA_IPV4_OFF_DST);
    q->proto = ip[MIRA_IPV4_OFF_PROTO];
    q->frag_off = (uint16_t)((mira_load_be16(ip + MIRA_IPV4_OFF_FRAG) & MIRA_IPV4_FRAG_OFFSET_MASK) * 8);
    q->data = ip + hlen;
    q->data_len = m->data_len - hlen;
    return 0;
}

int mira_icmp_build_echo(uint8_t *buf, size_t cap, uint8_t type, uint16_t id, uint16_t seq,
                         const uint8_t *data, size_t data_len)
{
    if (type != MIRA_ICMP_ECHO_REQUEST && type != MIRA_ICMP_ECHO_REPLY)
        return MIRA_EINVAL;
    if (data_len > MIRA_IPV4_MAX_LEN - MIRA_IPV4_HDR_LEN - MIRA_ICMP_HDR_LEN)
        return MIRA_EINVAL;
    if (cap < MIRA_ICMP_HDR_LEN || cap - MIRA_ICMP_HDR_LEN < data_len)
        return MIRA_ENOMEM;
    /* data may be a received request's, already in place: memmove. */
    memmove(buf + MIRA_ICMP_HDR_LEN, data, data_len);
    buf[MIRA_ICMP_OFF_TYPE] = type;
    buf[MIRA_ICMP_OFF_CODE] = 0;
    mira_store_be16(buf + MIRA_ICMP_OFF_CHECKSUM, 0);
    mira_store_be16(buf + MIRA_ICMP_OFF_ID, id);
    mira_store_be16(buf + MIRA_ICMP_OFF_SEQ, seq);
    size_t len = MIRA_ICMP_HDR_LEN + data_len;
    mira_store_be16(buf + MIRA_ICMP_OFF_CHECKSUM, mira_csum_finish(mira_csum_partial(buf, len, 0)));
    return (int)len;
}

int mira_icmp_build_unreach(uint8_t *buf, size_t cap, uint8_t code, uint16_t mtu,
                            const uint8_t *dgram, size_t dgram_len)
{
    if (dgram_len < MIRA_IPV4_HDR_LEN)
        return MIRA_EINVAL;
    size_t hlen = (size_t)(dgram[0] & 0x0f) * 4;
    if (hlen < MIRA_IPV4_HDR_LEN || hlen > dgram_len)
        return MIRA_EINVAL;
    size_t quote = hlen + MIRA_ICMP_QUOTE_DATA_LEN;
    if (quote > dgram_len)
        quote = dgram_len;
    size_t len = MIRA_ICMP_HDR_LEN + quote;
    if (cap < len)
        return MIRA_ENOMEM;
    memmove(buf + MIRA_ICMP_HDR_LEN, dgram, quote);
    buf[MIRA_ICMP_OFF_TYPE] = MIRA_ICMP_DEST_UNREACH;
    buf[MIRA_ICMP_OFF_CODE] = code;
    mira_store_be16(buf + MIRA_ICMP_OFF_CHECKSUM, 0);
    mira_store_be16(buf + MIRA_ICMP_OFF_ID, 0);
    mira_store_be16(buf + MIRA_ICMP_OFF_MTU, code == MIRA_ICMP_UNREACH_FRAG_NEEDED ? mtu : 0);
    mira_store_be16(buf + MIRA_ICMP_OFF_CHECKSUM, mira_csum_finish(mira_csum_partial(buf, len, 0)));
    return (int)len;
}
