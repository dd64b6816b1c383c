/* fuzz_vnet.c - libFuzzer target of the tap's virtio-net header mapping
 * (vnet.h).  Input: a 10-byte header as the tap would give it, then two
 * bytes of frame length (little-endian); more bytes, if any, are an
 * offload struct's fields to send.  What is accepted keeps its promises
 * (ranges inside the frame, GSO only with a partial sum) and maps back to
 * a header that maps to the same offloads. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mira/error.h>

#include "../src/vnet.h"

static void same(const struct mira_pbuf_offload *a, const struct mira_pbuf_offload *b)
{
    if (a->flags != b->flags || a->gso_type != b->gso_type || a->gso_size != b->gso_size ||
        a->hdr_len != b->hdr_len || a->csum_start != b->csum_start ||
        a->csum_offset != b->csum_offset)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < TAP_VNET_HDR_LEN + 2)
        return 0;
    size_t len = (size_t)(data[TAP_VNET_HDR_LEN] | data[TAP_VNET_HDR_LEN + 1] << 8);
    struct mira_pbuf_offload o;
    memset(&o, 0xa5, sizeof(o));
    struct mira_pbuf_offload before = o;
    int r = tap_vnet_to_offload(data, len, &o);
    if (r < 0) {
        if (r != MIRA_ECORRUPT || memcmp(&o, &before, sizeof(o)) != 0)
            abort();
    } else {
        if (r != 0)
            abort();
        if ((o.flags & MIRA_PBUF_CSUM_PARTIAL) &&
            (size_t)o.csum_start + o.csum_offset + 2 > len)
            abort();
        if (o.gso_type != MIRA_PBUF_GSO_NONE &&
            (!(o.flags & MIRA_PBUF_CSUM_PARTIAL) || o.gso_size == 0 || o.hdr_len > len))
            abort();
        uint8_t back[TAP_VNET_HDR_LEN];
        struct mira_pbuf_offload again;
        if (tap_vnet_from_offload(&o, len, back) != 0 || tap_vnet_to_offload(back, len, &again) != 0)
            abort();
        /* A received DATA_VALID says nothing to the tap on the way back. */
        if (!(o.flags & MIRA_PBUF_CSUM_PARTIAL))
            o.flags = 0;
        same(&o, &again);
    }
    /* The rest as offloads to send. */
    const uint8_t *p = data + TAP_VNET_HDR_LEN + 2;
    size_t n = size - TAP_VNET_HDR_LEN - 2;
    if (n >= 10) {
        struct mira_pbuf_offload s = {
            .flags = p[0], .gso_type = p[1],
            .gso_size = (uint16_t)(p[2] | p[3] << 8), .hdr_len = (uint16_t)(p[4] | p[5] << 8),
            .csum_start = (uint16_t)(p[6] | p[7] << 8),
            .csum_offset = (uint16_t)(p[8] | p[9] << 8),
        };
        uint8_t h[TAP_VNET_HDR_LEN];
        memset(h, 0x5a, sizeof(h));
        int w = tap_vnet_from_offload(&s, len, h);
        if (w < 0) {
            for (unsigned i = 0; i < sizeof(h); i++)
                if (h[i] != 0x5a || w != MIRA_EINVAL)
                    abort();
        } else {
            struct mira_pbuf_offload got;
            if (tap_vnet_to_offload(h, len, &got) != 0)
                abort(); /* what we send, we would take */
        }
    }
    return 0;
}
