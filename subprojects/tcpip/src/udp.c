/* udp.c - UDP parse and build.  See mira/tcpip/udp.h. */
#include <mira/tcpip/udp.h>

#include <mira/byteorder.h>
#include <mira/tcpip/csum.h>
#include <mira/tcpip/wire_ipv4.h>

static int drop(enum mira_tcpip_drop *why, enum mira_tcpip_drop reason, int err)
{
    if (why != NULL)
        *why = reason;
    return err;
}

int mira_udp_parse(const uint8_t *p, size_t len, uint32_t src, uint32_t dst, struct mira_udp_hdr *u,
                   enum mira_tcpip_drop *why)
{
    if (len < MIRA_UDP_HDR_LEN)
        return drop(why, MIRA_DROP_UDP_SHORT, MIRA_ECORRUPT);
    uint16_t ulen = mira_load_be16(p + MIRA_UDP_OFF_LEN);
    if (ulen < MIRA_UDP_HDR_LEN || ulen > len)
        return drop(why, MIRA_DROP_UDP_LENGTH, MIRA_ECORRUPT);
    uint16_t check = mira_load_be16(p + MIRA_UDP_OFF_CHECKSUM);
    if (check != 0) {
        uint32_t sum = mira_csum_pseudo_ipv4(src, dst, MIRA_IPV4_PROTO_UDP, ulen);
        if (mira_csum_finish(mira_csum_partial(p, ulen, sum)) != 0)
            return drop(why, MIRA_DROP_UDP_CHECKSUM, MIRA_ECORRUPT);
    }
    u->sport = mira_load_be16(p + MIRA_UDP_OFF_SPORT);
    u->dport = mira_load_be16(p + MIRA_UDP_OFF_DPORT);
    u->length = ulen;
    u->checksum = check;
    u->data = p + MIRA_UDP_HDR_LEN;
    u->data_len = (size_t)ulen - MIRA_UDP_HDR_LEN;
    return MIRA_UDP_HDR_LEN;
}

int mira_udp_build(uint8_t *buf, size_t cap, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                   size_t data_len)
{
    if (data_len > MIRA_IPV4_MAX_LEN - MIRA_IPV4_HDR_LEN - MIRA_UDP_HDR_LEN)
        return MIRA_EINVAL;
    if (cap < MIRA_UDP_HDR_LEN || cap - MIRA_UDP_HDR_LEN < data_len)
        return MIRA_ENOMEM;
    uint16_t ulen = (uint16_t)(MIRA_UDP_HDR_LEN + data_len);
    mira_store_be16(buf + MIRA_UDP_OFF_SPORT, sport);
    mira_store_be16(buf + MIRA_UDP_OFF_DPORT, dport);
    mira_store_be16(buf + MIRA_UDP_OFF_LEN, ulen);
    mira_store_be16(buf + MIRA_UDP_OFF_CHECKSUM, 0);
    uint32_t sum = mira_csum_pseudo_ipv4(src, dst, MIRA_IPV4_PROTO_UDP, ulen);
    uint16_t check = mira_csum_finish(mira_csum_partial(buf, ulen, sum));
    mira_store_be16(buf + MIRA_UDP_OFF_CHECKSUM, check == 0 ? 0xffff : check);
    return MIRA_UDP_HDR_LEN;
}
