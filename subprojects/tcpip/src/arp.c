/* arp.c - ARP for IPv4 over Ethernet.  See mira/tcpip/arp.h. */
#include <mira/tcpip/arp.h>

#include <string.h>
#include <mira/byteorder.h>

static int drop(enum mira_tcpip_drop *why, enum mira_tcpip_drop reason, int err)
{
    if (why != NULL)
        *why = reason;
    return err;
}

int mira_arp_parse(const uint8_t *p, size_t len, struct mira_arp *a, enum mira_tcpip_drop *why)
{
    if (len < MIRA_ARP_LEN)
        return drop(why, MIRA_DROP_ARP_SHORT, MIRA_ECORRUPT);
    if (mira_load_be16(p + MIRA_ARP_OFF_HTYPE) != MIRA_ARP_HTYPE_ETHERNET)
        return drop(why, MIRA_DROP_ARP_HTYPE, MIRA_ENOTSUP);
    if (mira_load_be16(p + MIRA_ARP_OFF_PTYPE) != MIRA_ARP_PTYPE_IPV4)
        return drop(why, MIRA_DROP_ARP_PTYPE, MIRA_ENOTSUP);
    if (p[MIRA_ARP_OFF_HLEN] != MIRA_ETH_ADDR_LEN)
        return drop(why, MIRA_DROP_ARP_HLEN, MIRA_ECORRUPT);
    if (p[MIRA_ARP_OFF_PLEN] != 4)
        return drop(why, MIRA_DROP_ARP_PLEN, MIRA_ECORRUPT);
    uint16_t oper = mira_load_be16(p + MIRA_ARP_OFF_OPER);
    if (oper != MIRA_ARP_OP_REQUEST && oper != MIRA_ARP_OP_REPLY)
        return drop(why, MIRA_DROP_ARP_OPER, MIRA_ECORRUPT);
    if (p[MIRA_ARP_OFF_SHA] & 1)
        return drop(why, MIRA_DROP_ARP_SENDER, MIRA_ECORRUPT);
    a->oper = oper;
    memcpy(a->sha, p + MIRA_ARP_OFF_SHA, MIRA_ETH_ADDR_LEN);
    a->spa = mira_load_be32(p + MIRA_ARP_OFF_SPA);
    memcpy(a->tha, p + MIRA_ARP_OFF_THA, MIRA_ETH_ADDR_LEN);
    a->tpa = mira_load_be32(p + MIRA_ARP_OFF_TPA);
    return MIRA_ARP_LEN;
}

int mira_arp_build(uint8_t *buf, size_t cap, const struct mira_arp *a)
{
    if ((a->oper != MIRA_ARP_OP_REQUEST && a->oper != MIRA_ARP_OP_REPLY) || (a->sha[0] & 1))
        return MIRA_EINVAL;
    if (cap < MIRA_ARP_LEN)
        return MIRA_ENOMEM;
    mira_store_be16(buf + MIRA_ARP_OFF_HTYPE, MIRA_ARP_HTYPE_ETHERNET);
    mira_store_be16(buf + MIRA_ARP_OFF_PTYPE, MIRA_ARP_PTYPE_IPV4);
    buf[MIRA_ARP_OFF_HLEN] = MIRA_ETH_ADDR_LEN;
    buf[MIRA_ARP_OFF_PLEN] = 4;
    mira_store_be16(buf + MIRA_ARP_OFF_OPER, a->oper);
    memcpy(buf + MIRA_ARP_OFF_SHA, a->sha, MIRA_ETH_ADDR_LEN);
    mira_store_be32(buf + MIRA_ARP_OFF_SPA, a->spa);
    memcpy(buf + MIRA_ARP_OFF_THA, a->tha, MIRA_ETH_ADDR_LEN);
    mira_store_be32(buf + MIRA_ARP_OFF_TPA, a->tpa);
    return MIRA_ARP_LEN;
}

void mira_arp_request(struct mira_arp *a, const uint8_t sha[MIRA_ETH_ADDR_LEN], uint32_t spa, uint32_t tpa)
{
    a->oper = MIRA_ARP_OP_REQUEST;
    memcpy(a->sha, sha, MIRA_ETH_ADDR_LEN);
    a->spa = spa;
    memset(a->tha, 0, MIRA_ETH_ADDR_LEN);
    a->tpa = tpa;
}

void mira_arp_reply(struct mira_arp *a, const struct mira_arp *req, const uint8_t sha[MIRA_ETH_ADDR_LEN])
{
    struct mira_arp r;
    r.oper = MIRA_ARP_OP_REPLY;
    memcpy(r.sha, sha, MIRA_ETH_ADDR_LEN);
    r.spa = req->tpa;
    memcpy(r.tha, req->sha, MIRA_ETH_ADDR_LEN);
    r.tpa = req->spa;
    *a = r; /* a may be req */
}

void mira_arp_gratuitous(struct mira_arp *a, const uint8_t sha[MIRA_ETH_ADDR_LEN], uint32_t ip)
{
    mira_arp_request(a, sha, ip, ip);
}

bool mira_arp_is_gratuitous(const struct mira_arp *a)
{
    return a->spa == a->tpa && a->spa != 0;
}
