/* ipv4.c - IPv4 header parse and build.  See mira/tcpip/ipv4.h. */
#include <mira/tcpip/ipv4.h>

#include <string.h>
#include <mira/byteorder.h>
#include <mira/tcpip/csum.h>

static int drop(enum mira_tcpip_drop *why, enum mira_tcpip_drop reason, int err)
{
    if (why != NULL)
        *why = reason;
    return err;
}

int mira_ipv4_hdr_parse(const uint8_t *p, size_t len, struct mira_ipv4_hdr *h, enum mira_tcpip_drop *why)
{
    if (len < MIRA_IPV4_HDR_LEN)
        return drop(why, MIRA_DROP_IPV4_SHORT, MIRA_ECORRUPT);
    if ((p[MIRA_IPV4_OFF_VER_IHL] >> 4) != 4)
        return drop(why, MIRA_DROP_IPV4_VERSION, MIRA_ECORRUPT);
    size_t hlen = (size_t)(p[MIRA_IPV4_OFF_VER_IHL] & 0x0f) * 4;
    if (hlen < MIRA_IPV4_HDR_LEN || hlen > len)
        return drop(why, MIRA_DROP_IPV4_IHL, MIRA_ECORRUPT);
    size_t total = mira_load_be16(p + MIRA_IPV4_OFF_TOTAL_LEN);
    if (total < hlen || total > len)
        return drop(why, MIRA_DROP_IPV4_TOTAL_LENGTH, MIRA_ECORRUPT);
    if (mira_csum_finish(mira_csum_partial(p, hlen, 0)) != 0)
        return drop(why, MIRA_DROP_IPV4_CHECKSUM, MIRA_ECORRUPT);
    uint16_t frag = mira_load_be16(p + MIRA_IPV4_OFF_FRAG);
    if (frag & MIRA_IPV4_FLAG_RESERVED)
        return drop(why, MIRA_DROP_IPV4_RESERVED_FLAG, MIRA_ECORRUPT);
    size_t off = (size_t)(frag & MIRA_IPV4_FRAG_OFFSET_MASK) * 8;
    if (off + total > MIRA_IPV4_MAX_LEN)
        return drop(why, MIRA_DROP_IPV4_FRAG_TOO_BIG, MIRA_ECORRUPT);
    h->hdr_len = (uint8_t)hlen;
    h->tos = p[MIRA_IPV4_OFF_TOS];
    h->total_len = (uint16_t)total;
    h->id = mira_load_be16(p + MIRA_IPV4_OFF_ID);
    h->df = (frag & MIRA_IPV4_FLAG_DF) != 0;
    h->mf = (frag & MIRA_IPV4_FLAG_MF) != 0;
    h->frag_off = (uint16_t)off;
    h->ttl = p[MIRA_IPV4_OFF_TTL];
    h->proto = p[MIRA_IPV4_OFF_PROTO];
    h->checksum = mira_load_be16(p + MIRA_IPV4_OFF_CHECKSUM);
    h->src = mira_load_be32(p + MIRA_IPV4_OFF_SRC);
    h->dst = mira_load_be32(p + MIRA_IPV4_OFF_DST);
    h->options = hlen > MIRA_IPV4_HDR_LEN ? p + MIRA_IPV4_HDR_LEN : NULL;
    return (int)hlen;
}

int mira_ipv4_build(uint8_t *buf, size_t cap, const struct mira_ipv4_hdr *h, size_t payload_len)
{
    size_t hlen = h->hdr_len;
    if (hlen < MIRA_IPV4_HDR_LEN || hlen > MIRA_IPV4_MAX_HDR_LEN || hlen % 4 != 0 ||
        (hlen > MIRA_IPV4_HDR_LEN && h->options == NULL))
        return MIRA_EINVAL;
    if (payload_len > MIRA_IPV4_MAX_LEN - hlen || h->frag_off % 8 != 0)
        return MIRA_EINVAL;
    if (cap < hlen)
        return MIRA_ENOMEM;
    uint16_t frag = (uint16_t)(h->frag_off / 8);
    if (h->df)
        frag |= MIRA_IPV4_FLAG_DF;
    if (h->mf)
        frag |= MIRA_IPV4_FLAG_MF;
    buf[MIRA_IPV4_OFF_VER_IHL] = (uint8_t)(0x40 | (hlen / 4));
    buf[MIRA_IPV4_OFF_TOS] = h->tos;
    mira_store_be16(buf + MIRA_IPV4_OFF_TOTAL_LEN, (uint16_t)(hlen + payload_len));
    mira_store_be16(buf + MIRA_IPV4_OFF_ID, h->id);
    mira_store_be16(buf + MIRA_IPV4_OFF_FRAG, frag);
    buf[MIRA_IPV4_OFF_TTL] = h->ttl;
    buf[MIRA_IPV4_OFF_PROTO] = h->proto;
    mira_store_be16(buf + MIRA_IPV4_OFF_CHECKSUM, 0);
    mira_store_be32(buf + MIRA_IPV4_OFF_SRC, h->src);
    mira_store_be32(buf + MIRA_IPV4_OFF_DST, h->dst);
    if (hlen > MIRA_IPV4_HDR_LEN)
        memmove(buf + MIRA_IPV4_HDR_LEN, h->options, hlen - MIRA_IPV4_HDR_LEN);
    mira_store_be16(buf + MIRA_IPV4_OFF_CHECKSUM, mira_csum_finish(mira_csum_partial(buf, hlen, 0)));
    return (int)hlen;
}

void mira_ipv4_decrement_ttl(uint8_t *p)
{
    /* TTL is the high byte of the word at offset 8 (TTL, protocol). */
    uint16_t old_word = mira_load_be16(p + MIRA_IPV4_OFF_TTL);
    p[MIRA_IPV4_OFF_TTL]--;
    uint16_t new_word = mira_load_be16(p + MIRA_IPV4_OFF_TTL);
    uint16_t c = mira_load_be16(p + MIRA_IPV4_OFF_CHECKSUM);
    mira_store_be16(p + MIRA_IPV4_OFF_CHECKSUM, mira_csum_update16(c, old_word, new_word));
}
