/* eth.c - Ethernet II parse and build.  See mira/tcpip/eth.h. */
#include <mira/tcpip/eth.h>

#include <string.h>
#include <mira/byteorder.h>

const uint8_t mira_eth_broadcast[MIRA_ETH_ADDR_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static int drop(enum mira_tcpip_drop *why, enum mira_tcpip_drop reason, int err)
{
    if (why != NULL)
        *why = reason;
    return err;
}

static bool is_tpid(uint16_t t)
{
    return t == MIRA_ETH_TYPE_VLAN || t == MIRA_ETH_TYPE_QINQ;
}

int mira_eth_parse(const uint8_t *p, size_t len, struct mira_eth_hdr *h, enum mira_tcpip_drop *why)
{
    if (len < MIRA_ETH_HDR_LEN)
        return drop(why, MIRA_DROP_ETH_SHORT, MIRA_ECORRUPT);
    uint16_t type = mira_load_be16(p + MIRA_ETH_OFF_TYPE);
    size_t hlen = MIRA_ETH_HDR_LEN;
    bool vlan = false;
    uint16_t tci = 0;
    if (type == MIRA_ETH_TYPE_QINQ)
        return drop(why, MIRA_DROP_ETH_VLAN_STACKED, MIRA_ENOTSUP);
    if (type == MIRA_ETH_TYPE_VLAN) {
        if (len < MIRA_ETH_VLAN_HDR_LEN)
            return drop(why, MIRA_DROP_ETH_SHORT, MIRA_ECORRUPT);
        vlan = true;
        tci = mira_load_be16(p + MIRA_ETH_OFF_TCI);
        type = mira_load_be16(p + MIRA_ETH_OFF_INNER_TYPE);
        hlen = MIRA_ETH_VLAN_HDR_LEN;
        if (is_tpid(type))
            return drop(why, MIRA_DROP_ETH_VLAN_STACKED, MIRA_ENOTSUP);
    }
    if (type < MIRA_ETH_TYPE_MIN)
        return drop(why, MIRA_DROP_ETH_NOT_DIX, MIRA_ENOTSUP);
    memcpy(h->dst, p + MIRA_ETH_OFF_DST, MIRA_ETH_ADDR_LEN);
    memcpy(h->src, p + MIRA_ETH_OFF_SRC, MIRA_ETH_ADDR_LEN);
    h->type = type;
    h->vlan = vlan;
    h->tci = tci;
    return (int)hlen;
}

int mira_eth_build(uint8_t *buf, size_t cap, const struct mira_eth_hdr *h)
{
    size_t hlen = h->vlan ? MIRA_ETH_VLAN_HDR_LEN : MIRA_ETH_HDR_LEN;
    if (h->type < MIRA_ETH_TYPE_MIN || is_tpid(h->type))
        return MIRA_EINVAL;
    if (cap < hlen)
        return MIRA_ENOMEM;
    memcpy(buf + MIRA_ETH_OFF_DST, h->dst, MIRA_ETH_ADDR_LEN);
    memcpy(buf + MIRA_ETH_OFF_SRC, h->src, MIRA_ETH_ADDR_LEN);
    if (h->vlan) {
        mira_store_be16(buf + MIRA_ETH_OFF_TYPE, MIRA_ETH_TYPE_VLAN);
        mira_store_be16(buf + MIRA_ETH_OFF_TCI, h->tci);
        mira_store_be16(buf + MIRA_ETH_OFF_INNER_TYPE, h->type);
    } else {
        mira_store_be16(buf + MIRA_ETH_OFF_TYPE, h->type);
    }
    return (int)hlen;
}

int mira_eth_pad(uint8_t *buf, size_t len, size_t cap)
{
    if (len >= MIRA_ETH_MIN_FRAME)
        return (int)len;
    if (cap < MIRA_ETH_MIN_FRAME)
        return MIRA_ENOMEM;
    memset(buf + len, 0, MIRA_ETH_MIN_FRAME - len);
    return MIRA_ETH_MIN_FRAME;
}

bool mira_eth_is_multicast(const uint8_t addr[MIRA_ETH_ADDR_LEN])
{
    return (addr[0] & 1) != 0;
}

bool mira_eth_is_broadcast(const uint8_t addr[MIRA_ETH_ADDR_LEN])
{
    return memcmp(addr, mira_eth_broadcast, MIRA_ETH_ADDR_LEN) == 0;
}
