/* netif_proto.c - netfront's ring protocol without Xen calls (see
 * mira/netif_proto.h): id tables, slot building, response checks. */
#include <mira/netif_proto.h>
#include <mira/pbuf.h>

_Static_assert(__CONST_RING_SIZE(netif_tx, MIRA_NETPROTO_PAGE) == MIRA_NETPROTO_SLOTS,
               "one-page tx ring");
_Static_assert(__CONST_RING_SIZE(netif_rx, MIRA_NETPROTO_PAGE) == MIRA_NETPROTO_SLOTS,
               "one-page rx ring");

enum { SLOT_FREE, SLOT_SENT, SLOT_ANSWERED };
#define NONE ((uint16_t)MIRA_NETPROTO_SLOTS)

const char *mira_netproto_reason_name(enum mira_netproto_reason reason)
{
    switch (reason) {
    case MIRA_NETPROTO_BAD_ID: return "bad-id";
    case MIRA_NETPROTO_BAD_STATUS: return "bad-status";
    case MIRA_NETPROTO_BAD_SIZE: return "bad-size";
    case MIRA_NETPROTO_BAD_FLAGS: return "bad-flags";
    case MIRA_NETPROTO_RSP_PROD: return "rsp-prod";
    case MIRA_NETPROTO_BROKEN: return "broken";
    default: return "unknown";
    }
}

/* ---- transmit ---- */

static int tx_refuse(struct mira_nettx *tx, enum mira_netproto_reason why)
{
    tx->refused[why]++;
    tx->last_reason = why;
    tx->broken = true;
    return MIRA_ECORRUPT;
}

void mira_nettx_init(struct mira_nettx *tx, uint32_t features)
{
    *tx = (struct mira_nettx){ .features = features, .free_head = 0,
                               .nfree = MIRA_NETPROTO_SLOTS };
    for (unsigned i = 0; i < MIRA_NETPROTO_SLOTS; i++) {
        tx->slot[i].next = (uint16_t)(i + 1);
        tx->slot[i].state = SLOT_FREE;
    }
}

int mira_nettx_split(const struct mira_nettx_piece *pieces, size_t n,
                     struct mira_nettx_seg *segs, int max)
{
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        if (pieces[i].len > 0xffff)
            return MIRA_EINVAL;
        uintptr_t a = pieces[i].addr;
        size_t left = pieces[i].len;
        while (left > 0) {
            size_t off = a % MIRA_NETPROTO_PAGE;
            size_t take = MIRA_NETPROTO_PAGE - off;
            if (take > left)
                take = left;
            if (count == max)
                return MIRA_EINVAL;
            segs[count++] = (struct mira_nettx_seg){ .page = a - off, .offset = (uint16_t)off,
                                                     .len = (uint16_t)take };
            a += take;
            left -= take;
        }
    }
    return count;
}

int mira_nettx_build(struct mira_nettx *tx, const struct mira_nettx_seg *segs, int n,
                     uint16_t flags, void *cookie, netif_tx_request_t *out)
{
    if (tx->broken)
        return MIRA_EIO;
    if (n < 1 || n > MIRA_NETTX_MAX_SLOTS)
        return MIRA_EINVAL;
    uint32_t total = 0;
    for (int i = 0; i < n; i++) {
        if (segs[i].len == 0 || (uint32_t)segs[i].offset + segs[i].len > MIRA_NETPROTO_PAGE)
            return MIRA_EINVAL;
        total += segs[i].len;
    }
    if (total > XEN_NETIF_MAX_TX_SIZE)
        return MIRA_EINVAL;
    if (tx->nfree < n)
        return MIRA_EAGAIN;
    uint16_t head = tx->free_head, prev = NONE;
    for (int i = 0; i < n; i++) {
        uint16_t id = tx->free_head;
        tx->free_head = tx->slot[id].next;
        tx->slot[id].cookie = cookie;
        tx->slot[id].gref = segs[i].gref;
        tx->slot[id].head = head;
        tx->slot[id].next = NONE;
        tx->slot[id].state = SLOT_SENT;
        if (prev != NONE)
            tx->slot[prev].next = id;
        prev = id;
        out[i] = (netif_tx_request_t){
            .gref = segs[i].gref,
            .offset = segs[i].offset,
            .flags = (uint16_t)((i == 0 ? flags & (NETTXF_csum_blank | NETTXF_data_validated) : 0) |
                                (i + 1 < n ? NETTXF_more_data : 0)),
            .id = id,
            .size = (uint16_t)(i == 0 ? total : segs[i].len),
        };
    }
    tx->slot[head].left = (uint16_t)n;
    tx->slot[head].status = NETIF_RSP_OKAY;
    tx->nfree = (uint16_t)(tx->nfree - n);
    tx->unanswered = (uint16_t)(tx->unanswered + n);
    return n;
}

int mira_nettx_check_rsp_prod(struct mira_nettx *tx, RING_IDX rsp_cons, RING_IDX rsp_prod)
{
    if (tx->broken)
        return tx_refuse(tx, MIRA_NETPROTO_BROKEN);
    if ((RING_IDX)(rsp_prod - rsp_cons) > tx->unanswered)
        return tx_refuse(tx, MIRA_NETPROTO_RSP_PROD);
    return MIRA_OK;
}

/* Frees every id of the frame that starts at head. */
static void tx_free_frame(struct mira_nettx *tx, uint16_t head)
{
    for (uint16_t id = head, next; id != NONE; id = next) {
        next = tx->slot[id].next;
        tx->slot[id].state = SLOT_FREE;
        tx->slot[id].cookie = NULL;
        tx->slot[id].next = tx->free_head;
        tx->free_head = id;
        tx->nfree++;
    }
}

/* Records the answer status for slot id; 1 when its frame is done. */
static int tx_answer(struct mira_nettx *tx, uint16_t id, int status, struct mira_nettx_done *done)
{
    uint16_t head = tx->slot[id].head;
    tx->slot[id].state = SLOT_ANSWERED;
    tx->unanswered--;
    done->gref = tx->slot[id].gref;
    done->cookie = NULL;
    done->status = NETIF_RSP_OKAY;
    if (tx->slot[head].status == NETIF_RSP_OKAY)
        tx->slot[head].status = (int16_t)status;
    if (--tx->slot[head].left > 0)
        return 0;
    done->cookie = tx->slot[head].cookie;
    done->status = tx->slot[head].status;
    tx_free_frame(tx, head);
    return 1;
}

int mira_nettx_response(struct mira_nettx *tx, const netif_tx_response_t *rsp,
                        struct mira_nettx_done *done)
{
    if (tx->broken)
        return tx_refuse(tx, MIRA_NETPROTO_BROKEN);
    uint16_t id = rsp->id;
    if (id >= MIRA_NETPROTO_SLOTS || tx->slot[id].state != SLOT_SENT)
        return tx_refuse(tx, MIRA_NETPROTO_BAD_ID);
    int st = rsp->status;
    if (st != NETIF_RSP_OKAY && st != NETIF_RSP_ERROR && st != NETIF_RSP_DROPPED)
        return tx_refuse(tx, MIRA_NETPROTO_BAD_STATUS);
    return tx_answer(tx, id, st, done);
}

int mira_nettx_drain(struct mira_nettx *tx, struct mira_nettx_done *done)
{
    for (uint16_t id = 0; id < MIRA_NETPROTO_SLOTS; id++)
        if (tx->slot[id].state == SLOT_SENT) {
            (void)tx_answer(tx, id, NETIF_RSP_DROPPED, done);
            return 1;
        }
    return 0;
}

/* ---- receive ---- */

static int rx_refuse(struct mira_netrx *rx, enum mira_netproto_reason why, bool breaks)
{
    rx->refused[why]++;
    rx->last_reason = why;
    if (breaks)
        rx->broken = true;
    return MIRA_ECORRUPT;
}

void mira_netrx_init(struct mira_netrx *rx, uint32_t features)
{
    *rx = (struct mira_netrx){ .features = features, .free_head = 0,
                               .nfree = MIRA_NETPROTO_SLOTS };
    for (unsigned i = 0; i < MIRA_NETPROTO_SLOTS; i++) {
        rx->slot[i].next = (uint16_t)(i + 1);
        rx->slot[i].state = SLOT_FREE;
    }
}

int mira_netrx_post(struct mira_netrx *rx, grant_ref_t gref, void *cookie,
                    netif_rx_request_t *out)
{
    if (rx->broken)
        return MIRA_EIO;
    if (rx->nfree == 0)
        return MIRA_EAGAIN;
    uint16_t id = rx->free_head;
    rx->free_head = rx->slot[id].next;
    rx->nfree--;
    rx->posted++;
    rx->slot[id].cookie = cookie;
    rx->slot[id].gref = gref;
    rx->slot[id].state = SLOT_SENT;
    *out = (netif_rx_request_t){ .id = id, .gref = gref };
    return MIRA_OK;
}

int mira_netrx_check_rsp_prod(struct mira_netrx *rx, RING_IDX rsp_cons, RING_IDX rsp_prod)
{
    if (rx->broken)
        return rx_refuse(rx, MIRA_NETPROTO_BROKEN, true);
    if ((RING_IDX)(rsp_prod - rsp_cons) > rx->posted)
        return rx_refuse(rx, MIRA_NETPROTO_RSP_PROD, true);
    return MIRA_OK;
}

/* Hands slot id back to the caller and frees the id. */
static void rx_release(struct mira_netrx *rx, uint16_t id, struct mira_netrx_piece *piece)
{
    piece->cookie = rx->slot[id].cookie;
    piece->gref = rx->slot[id].gref;
    rx->slot[id].cookie = NULL;
    rx->slot[id].state = SLOT_FREE;
    rx->slot[id].next = rx->free_head;
    rx->free_head = id;
    rx->nfree++;
    rx->posted--;
}

int mira_netrx_response(struct mira_netrx *rx, const netif_rx_response_t *rsp,
                        struct mira_netrx_piece *piece)
{
    *piece = (struct mira_netrx_piece){ 0 };
    if (rx->broken)
        return rx_refuse(rx, MIRA_NETPROTO_BROKEN, true);
    uint16_t id = rsp->id;
    if (id >= MIRA_NETPROTO_SLOTS || rx->slot[id].state != SLOT_SENT)
        return rx_refuse(rx, MIRA_NETPROTO_BAD_ID, true);
    rx_release(rx, id, piece);
    int st = rsp->status;
    if (st == NETIF_RSP_ERROR || st == NETIF_RSP_DROPPED)
        return MIRA_EIO;
    if (st < 0)
        return rx_refuse(rx, MIRA_NETPROTO_BAD_STATUS, false);
    if (st == 0 || (uint32_t)rsp->offset + (uint32_t)st > MIRA_NETPROTO_PAGE)
        return rx_refuse(rx, MIRA_NETPROTO_BAD_SIZE, false);
    uint16_t f = rsp->flags;
    uint16_t allowed = NETRXF_data_validated;
    if (rx->features & MIRA_NETPROTO_SG)
        allowed |= NETRXF_more_data;
    if (rx->features & MIRA_NETPROTO_RX_CSUM)
        allowed |= NETRXF_csum_blank;
    /* NETRXF_extra_info (GSO) and the deprecated gso_prefix: refused until
     * GSO is negotiated and the extra slot parsed. */
    if (f & ~allowed)
        return rx_refuse(rx, MIRA_NETPROTO_BAD_FLAGS, false);
    piece->offset = rsp->offset;
    piece->len = (uint16_t)st;
    piece->more = (f & NETRXF_more_data) != 0;
    /* As Linux's netfront: csum_blank -> CHECKSUM_PARTIAL (the data itself
     * is good), data_validated -> CHECKSUM_UNNECESSARY. */
    if (f & NETRXF_csum_blank)
        piece->csum = MIRA_PBUF_CSUM_PARTIAL | MIRA_PBUF_CSUM_VALID;
    else if (f & NETRXF_data_validated)
        piece->csum = MIRA_PBUF_CSUM_VALID;
    return 1;
}

int mira_netrx_drain(struct mira_netrx *rx, struct mira_netrx_piece *piece)
{
    *piece = (struct mira_netrx_piece){ 0 };
    for (uint16_t id = 0; id < MIRA_NETPROTO_SLOTS; id++)
        if (rx->slot[id].state == SLOT_SENT) {
            rx_release(rx, id, piece);
            return 1;
        }
    return 0;
}
