/* vnet.c - the tap's virtio-net header and packet-buffer offloads (see
 * vnet.h). */
#include <mira/error.h>

#include "vnet.h"

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* The checksum's 2 bytes at csum_start + csum_offset lie inside the frame. */
static int csum_range_ok(uint32_t start, uint32_t offset, size_t frame_len)
{
    return (size_t)start + offset + 2 <= frame_len;
}

int tap_vnet_to_offload(const uint8_t hdr[TAP_VNET_HDR_LEN], size_t frame_len,
                        struct mira_pbuf_offload *o)
{
    uint8_t flags = hdr[TAP_VNET_OFF_FLAGS], type = hdr[TAP_VNET_OFF_GSO_TYPE];
    uint16_t hdr_len = le16(hdr + TAP_VNET_OFF_HDR_LEN);
    uint16_t gso_size = le16(hdr + TAP_VNET_OFF_GSO_SIZE);
    uint16_t start = le16(hdr + TAP_VNET_OFF_CSUM_START);
    uint16_t offset = le16(hdr + TAP_VNET_OFF_CSUM_OFFSET);
    if (flags & ~(TAP_VNET_F_NEEDS_CSUM | TAP_VNET_F_DATA_VALID))
        return MIRA_ECORRUPT;
    struct mira_pbuf_offload r = { 0 };
    if (flags & TAP_VNET_F_NEEDS_CSUM) {
        if (!csum_range_ok(start, offset, frame_len))
            return MIRA_ECORRUPT;
        r.flags = MIRA_PBUF_CSUM_PARTIAL | MIRA_PBUF_CSUM_VALID;
        r.csum_start = start;
        r.csum_offset = offset;
    } else if (flags & TAP_VNET_F_DATA_VALID) {
        r.flags = MIRA_PBUF_CSUM_VALID;
    }
    if (type == TAP_VNET_GSO_TCPV4) {
        if (!(flags & TAP_VNET_F_NEEDS_CSUM) || gso_size == 0 || hdr_len > frame_len)
            return MIRA_ECORRUPT;
        r.gso_type = MIRA_PBUF_GSO_TCPV4;
        r.gso_size = gso_size;
        r.hdr_len = hdr_len;
    } else if (type != TAP_VNET_GSO_NONE) {
        return MIRA_ECORRUPT;
    }
    *o = r;
    return MIRA_OK;
}

int tap_vnet_from_offload(const struct mira_pbuf_offload *o, size_t frame_len,
                          uint8_t hdr[TAP_VNET_HDR_LEN])
{
    uint8_t out[TAP_VNET_HDR_LEN] = { 0 };
    bool partial = (o->flags & MIRA_PBUF_CSUM_PARTIAL) != 0;
    if (partial) {
        if (!csum_range_ok(o->csum_start, o->csum_offset, frame_len))
            return MIRA_EINVAL;
        out[TAP_VNET_OFF_FLAGS] = TAP_VNET_F_NEEDS_CSUM;
        put_le16(out + TAP_VNET_OFF_CSUM_START, o->csum_start);
        put_le16(out + TAP_VNET_OFF_CSUM_OFFSET, o->csum_offset);
    }
    if (o->gso_type == MIRA_PBUF_GSO_TCPV4) {
        if (!partial || o->gso_size == 0 || o->hdr_len > frame_len)
            return MIRA_EINVAL;
        out[TAP_VNET_OFF_GSO_TYPE] = TAP_VNET_GSO_TCPV4;
        put_le16(out + TAP_VNET_OFF_GSO_SIZE, o->gso_size);
        put_le16(out + TAP_VNET_OFF_HDR_LEN, o->hdr_len);
    } else if (o->gso_type != MIRA_PBUF_GSO_NONE) {
        return MIRA_EINVAL;
    }
    for (unsigned i = 0; i < TAP_VNET_HDR_LEN; i++)
        hdr[i] = out[i];
    return MIRA_OK;
}
