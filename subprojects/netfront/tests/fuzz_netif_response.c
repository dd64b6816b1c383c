/* fuzz_netif_response.c - libFuzzer target: netfront's protocol core
 * driven by a backend that writes anything.  The input is a script of
 * operations (send a frame, post a receive page, a response with fields
 * from the input, a producer index check, a drain); after each one the
 * tables must agree with a model of what is in flight: a frame completes
 * exactly once, a receive page comes back exactly once and only when it
 * was posted, a piece lies inside its page, and ids are never lost. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mira/netif_proto.h>

#define FRAMES 512
#define PAGES 512

struct input {
    const uint8_t *p;
    size_t n;
};

static unsigned take(struct input *in, unsigned bytes)
{
    unsigned v = 0;
    for (unsigned i = 0; i < bytes; i++) {
        v <<= 8;
        if (in->n) {
            v |= *in->p++;
            in->n--;
        }
    }
    return v;
}

#define CHECK(c)       \
    do {               \
        if (!(c))      \
            abort();   \
    } while (0)

static struct mira_nettx tx;
static struct mira_netrx rx;
static uint8_t frame_state[FRAMES]; /* 0 unused, 1 in flight, 2 done */
static uint8_t page_state[PAGES];   /* 0 ours, 1 posted */
static unsigned frame_slots_inflight;

static void tx_done(const struct mira_nettx_done *d)
{
    if (d->cookie == NULL)
        return;
    size_t k = (size_t)((uint8_t *)d->cookie - frame_state);
    CHECK(k < FRAMES && frame_state[k] == 1);
    frame_state[k] = 2;
    CHECK(d->status == NETIF_RSP_OKAY || d->status == NETIF_RSP_ERROR ||
          d->status == NETIF_RSP_DROPPED);
}

static void rx_back(const struct mira_netrx_piece *p)
{
    size_t k = (size_t)((uint8_t *)p->cookie - page_state);
    CHECK(k < PAGES && page_state[k] == 1);
    CHECK(p->gref == k);
    page_state[k] = 0;
}

static void invariants(void)
{
    CHECK(tx.nfree <= MIRA_NETPROTO_SLOTS);
    CHECK(tx.unanswered <= MIRA_NETPROTO_SLOTS - tx.nfree);
    CHECK(rx.nfree + rx.posted == MIRA_NETPROTO_SLOTS);
    unsigned posted = 0;
    for (unsigned k = 0; k < PAGES; k++)
        posted += page_state[k] == 1;
    CHECK(posted == rx.posted);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = { data, size };
    uint32_t features = take(&in, 1) & 7u;
    mira_nettx_init(&tx, features);
    mira_netrx_init(&rx, features);
    memset(frame_state, 0, sizeof(frame_state));
    memset(page_state, 0, sizeof(page_state));
    frame_slots_inflight = 0;
    unsigned next_frame = 0;
    RING_IDX tx_cons = 0, rx_cons = 0;
    while (in.n > 0) {
        unsigned op = take(&in, 1) % 7;
        if (op == 0 && next_frame < FRAMES) { /* send a frame */
            int n = (int)(take(&in, 1) % (MIRA_NETTX_MAX_SLOTS + 2));
            struct mira_nettx_seg segs[MIRA_NETTX_MAX_SLOTS + 1];
            for (int i = 0; i < n; i++)
                segs[i] = (struct mira_nettx_seg){ .page = 0x1000, .offset = (uint16_t)take(&in, 1),
                                                   .len = (uint16_t)(take(&in, 1) * 16),
                                                   .gref = (grant_ref_t)i };
            netif_tx_request_t rq[MIRA_NETTX_MAX_SLOTS + 1];
            unsigned nfree = tx.nfree;
            int r = mira_nettx_build(&tx, segs, n, (uint16_t)take(&in, 1),
                                     &frame_state[next_frame], rq);
            if (r > 0) {
                CHECK(r == n && tx.nfree == nfree - (unsigned)n);
                uint32_t total = 0;
                for (int i = 0; i < n; i++) {
                    CHECK(rq[i].id < MIRA_NETPROTO_SLOTS);
                    CHECK(((rq[i].flags & NETTXF_more_data) != 0) == (i + 1 < n));
                    total += segs[i].len;
                }
                CHECK(rq[0].size == total);
                frame_state[next_frame++] = 1;
            } else {
                CHECK(tx.nfree == nfree);
            }
        } else if (op == 1) { /* a transmit response */
            netif_tx_response_t r = { .id = (uint16_t)take(&in, 2),
                                      .status = (int16_t)(int8_t)take(&in, 1) };
            struct mira_nettx_done d;
            int rc = mira_nettx_response(&tx, &r, &d);
            CHECK(rc == 0 || rc == 1 || rc == MIRA_ECORRUPT);
            if (rc == 1)
                tx_done(&d);
            if (rc >= 0)
                tx_cons++;
        } else if (op == 2) { /* producer checks */
            RING_IDX ahead = take(&in, 2);
            (void)mira_nettx_check_rsp_prod(&tx, tx_cons, tx_cons + ahead);
            (void)mira_netrx_check_rsp_prod(&rx, rx_cons, rx_cons + ahead);
        } else if (op == 3) { /* post a receive page */
            unsigned k = take(&in, 2) % PAGES;
            netif_rx_request_t rq;
            if (page_state[k] == 0) {
                int r = mira_netrx_post(&rx, (grant_ref_t)k, &page_state[k], &rq);
                if (r == 0) {
                    CHECK(rq.id < MIRA_NETPROTO_SLOTS && rq.gref == k);
                    page_state[k] = 1;
                }
            }
        } else if (op == 4 || op == 5) { /* a receive response */
            netif_rx_response_t r = { .id = (uint16_t)take(&in, 2),
                                      .offset = (uint16_t)take(&in, 2),
                                      .flags = (uint16_t)take(&in, 1),
                                      .status = (int16_t)take(&in, 2) };
            if (op == 5) /* mostly plausible: an id that may be posted */
                r.id %= MIRA_NETPROTO_SLOTS;
            struct mira_netrx_piece p;
            int rc = mira_netrx_response(&rx, &r, &p);
            if (rc == 1) {
                CHECK(p.len > 0 && (uint32_t)p.offset + p.len <= MIRA_NETPROTO_PAGE);
                rx_back(&p);
            } else {
                CHECK(rc == MIRA_EIO || rc == MIRA_ECORRUPT);
                if (p.cookie)
                    rx_back(&p);
                else
                    CHECK(rc == MIRA_ECORRUPT && rx.broken);
            }
            rx_cons++;
        } else if (op == 6) { /* the backend closed: everything comes back */
            struct mira_nettx_done d;
            while (mira_nettx_drain(&tx, &d) == 1)
                tx_done(&d);
            struct mira_netrx_piece p;
            while (mira_netrx_drain(&rx, &p) == 1)
                rx_back(&p);
            CHECK(tx.unanswered == 0 && rx.posted == 0);
            for (unsigned k = 0; k < next_frame; k++)
                CHECK(frame_state[k] == 2);
        }
        invariants();
    }
    return 0;
}
