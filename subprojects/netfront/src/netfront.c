/* netfront.c - the network interface on a Xen vif (see mira/netfront.h):
 * the xenbus handshake with netback, the two rings, the receive page pool,
 * and the glue between mira/driver/netif.h and the protocol core
 * (netif_proto.c), which decides what every response means.
 *
 * No fiber of its own: the fiber in recv (or wait_writable) waits on the
 * event channel and the backend's state watch, and reaps both rings; send
 * reaps transmit responses before it builds, so a sender alone never finds
 * the ring full of finished frames.  Events are dispatched only in the
 * scheduler's idle wait, never between a final ring check and the wait
 * that follows it, so no notification is lost.
 *
 * Receive pages: RX_PAGES pages, granted (writable) once at connect and
 * posted on the rx ring.  A received frame is mira_pbuf_wrap over its page;
 * the release callback posts the page again at once.  The pool outlives the
 * device when the app still holds frames at close: each page, when the
 * last frame over it is freed, then ends its grant and goes. */
#include <stdlib.h>
#include <string.h>

#include <mira/xen/shared_ring.h> /* first: the barriers ring.h leaves to us */
#include <mira/driver/netif.h>
#include <mira/fiber.h>
#include <mira/format.h>
#include <mira/log.h>
#include <mira/netfront.h>
#include <mira/netif_proto.h>
#include <mira/page.h>
#include <mira/param.h>
#include <mira/runtime.h>
#include <mira/xen/evtchn.h>
#include <mira/xen/gnttab.h>
#include <mira/xen/page.h>
#include <mira/xen/xenbus.h>
#include <mira/xen/xenstore.h>

#define DRIVER "netfront"
#define RX_PAGES MIRA_NETPROTO_SLOTS
#define CONNECT_TIMEOUT MIRA_SECONDS(30)
#define CLOSE_TIMEOUT MIRA_SECONDS(10)
/* Pieces a frame may have before it is gathered into fresh pages. */
#define TX_PIECES_MAX 64

_Static_assert(MIRA_NETPROTO_REASONS == 6, "struct mira_netfront_stats.refused");

MIRA_PARAM_DECLARE(vif, "*-vif", NULL,
                   "the Xen vif to use (device/vif/N; default: in device order)");

enum page_state { PAGE_OURS, PAGE_POSTED, PAGE_HELD };

struct netfront;

struct rx_page {
    struct rx_pool *pool;
    void *mem;
    int gref;
    uint8_t state;
};

struct rx_pool {
    struct netfront *nf; /* NULL once the device is closed */
    unsigned held;       /* pages under packets the app has */
    unsigned n;
    struct rx_page page[RX_PAGES];
};

struct netfront {
    struct mira_netif dev; /* first: the runtime sees only this */
    struct mira_xenbus_dev xb;
    struct mira_evtchn ch;
    netif_tx_front_ring_t txr;
    netif_rx_front_ring_t rxr;
    netif_tx_sring_t *tx_sring;
    netif_rx_sring_t *rx_sring;
    int tx_ring_ref, rx_ring_ref;
    struct mira_nettx tx;
    struct mira_netrx rx;
    struct rx_pool *pool;
    struct mira_pbuf *partial;        /* a frame's first pieces (SG) */
    struct mira_pbuf *rxq[RX_PAGES];  /* frames received, not yet taken */
    unsigned rxq_head, rxq_len;
    uint32_t linearised;
    bool failed;         /* EIO from now on */
    bool backend_closed; /* and recv says ECLOSED */
};

static unsigned vifs_connected; /* the default vif of the next device */

/* ---- failing ---- */

static void fail(struct netfront *nf, const char *why)
{
    if (nf->failed)
        return;
    nf->failed = true;
    mira_log(MIRA_LOG_ERROR, DRIVER, "%s: device failed: %s", nf->dev.name, why);
}

static void fail_refused(struct netfront *nf, const char *ring,
                         enum mira_netproto_reason why)
{
    if (nf->failed)
        return;
    mira_log(MIRA_LOG_ERROR, DRIVER, "%s: backend sent a %s response never sent for (%s)",
             nf->dev.name, ring, mira_netproto_reason_name(why));
    fail(nf, "refused a backend response");
}

/* ---- receive pages ---- */

static void rx_release(void *base, void *arg);

/* Puts page p on the rx ring (not pushed yet).  false if the device cannot
 * take it (failed, or no id: impossible with RX_PAGES ids). */
static bool rx_post(struct netfront *nf, struct rx_page *p)
{
    netif_rx_request_t rq;
    if (nf->failed || mira_netrx_post(&nf->rx, (grant_ref_t)p->gref, p, &rq) < 0) {
        p->state = PAGE_OURS;
        return false;
    }
    *RING_GET_REQUEST(&nf->rxr, nf->rxr.req_prod_pvt) = rq;
    nf->rxr.req_prod_pvt++;
    p->state = PAGE_POSTED;
    return true;
}

static void rx_push(struct netfront *nf)
{
    int notify;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&nf->rxr, notify);
    if (notify)
        mira_evtchn_kick(&nf->ch);
}

/* The page's grant ends (when the backend has let go) and the page goes. */
static void rx_page_free(struct rx_page *p)
{
    if (p->gref >= 0)
        (void)mira_gnttab_end_deferred((grant_ref_t)p->gref, p->mem);
    else
        mira_pages_free(p->mem, 1);
    p->mem = NULL;
}

/* The last packet over a receive page was freed. */
static void rx_release(void *base, void *arg)
{
    (void)base;
    struct rx_page *p = arg;
    struct rx_pool *pool = p->pool;
    pool->held--;
    if (pool->nf == NULL) { /* the device is closed */
        rx_page_free(p);
        if (pool->held == 0)
            free(pool);
        return;
    }
    if (rx_post(pool->nf, p))
        rx_push(pool->nf);
}

/* ---- transmit ---- */

static void tx_reap(struct netfront *nf)
{
    if (nf->failed)
        return;
    for (;;) {
        RING_IDX rp = nf->txr.sring->rsp_prod;
        xen_rmb(); /* the responses before the index that says they are there */
        if (mira_nettx_check_rsp_prod(&nf->tx, nf->txr.rsp_cons, rp) < 0) {
            fail_refused(nf, "tx", nf->tx.last_reason);
            return;
        }
        for (RING_IDX i = nf->txr.rsp_cons; i != rp; i++) {
            /* one copy: the backend may rewrite the slot while we look */
            netif_tx_response_t rsp = *RING_GET_RESPONSE(&nf->txr, i);
            struct mira_nettx_done d;
            int r = mira_nettx_response(&nf->tx, &rsp, &d);
            if (r < 0) {
                nf->txr.rsp_cons = i;
                fail_refused(nf, "tx", nf->tx.last_reason);
                return;
            }
            (void)mira_gnttab_end_deferred(d.gref, NULL);
            if (r == 1) {
                if (d.status != NETIF_RSP_OKAY)
                    mira_netif_count_drop(&nf->dev, false, MIRA_NETIF_DROP_DEVICE);
                mira_pbuf_free(d.cookie);
            }
        }
        nf->txr.rsp_cons = rp;
        int more;
        RING_FINAL_CHECK_FOR_RESPONSES(&nf->txr, more);
        if (!more)
            return;
    }
}

/* A copy of frame in fresh pages (for a frame of too many pieces); frees
 * frame.  NULL when memory runs out (frame freed too). */
static struct mira_pbuf *tx_linearise(struct netfront *nf, struct mira_pbuf *frame)
{
    struct mira_pbuf *copy = mira_pbuf_alloc(frame->tot_len, 0);
    if (copy != NULL) {
        uint8_t buf[512];
        for (size_t off = 0; off < frame->tot_len;) {
            size_t n = mira_pbuf_copy_out(frame, off, buf, sizeof(buf));
            mira_pbuf_copy_in(copy, off, buf, n);
            off += n;
        }
        copy->offload = frame->offload;
        nf->linearised++;
    }
    mira_pbuf_free(frame);
    return copy;
}

/* Cuts frame into page segments; 0 or more: the count. */
static int tx_segments(struct mira_pbuf *frame, struct mira_nettx_seg *segs)
{
    struct mira_nettx_piece pieces[TX_PIECES_MAX];
    size_t n = 0;
    for (struct mira_pbuf *q = frame; q != NULL; q = q->next) {
        if (n == TX_PIECES_MAX)
            return MIRA_EINVAL;
        pieces[n++] = (struct mira_nettx_piece){ (uintptr_t)q->data, q->len };
    }
    return mira_nettx_split(pieces, n, segs, MIRA_NETTX_MAX_SLOTS);
}

static int tx_drop(struct netfront *nf, struct mira_pbuf *frame, enum mira_netif_drop why,
                   int err)
{
    mira_netif_count_drop(&nf->dev, false, why);
    mira_pbuf_free(frame);
    return err;
}

static int nf_send(struct mira_netif *n, struct mira_pbuf *frame)
{
    struct netfront *nf = (struct netfront *)n;
    tx_reap(nf);
    if (nf->failed)
        return tx_drop(nf, frame, MIRA_NETIF_DROP_DEVICE, MIRA_EIO);
    struct mira_nettx_seg segs[MIRA_NETTX_MAX_SLOTS];
    int nseg = tx_segments(frame, segs);
    if (nseg < 0) {
        frame = tx_linearise(nf, frame);
        if (frame == NULL) {
            mira_netif_count_drop(&nf->dev, false, MIRA_NETIF_DROP_NOMEM);
            return MIRA_EAGAIN;
        }
        nseg = tx_segments(frame, segs);
        if (nseg < 0) /* 18 pages hold any frame the runtime lets through */
            mira_panic("netfront: a gathered frame of %u bytes in too many pages",
                       (unsigned)frame->tot_len);
    }
    if (nf->tx.nfree < nseg)
        return tx_drop(nf, frame, MIRA_NETIF_DROP_TX_FULL, MIRA_EAGAIN);
    for (int i = 0; i < nseg; i++) {
        int ref = mira_gnttab_grant_page(nf->xb.backend_id, (const void *)segs[i].page, true);
        if (ref < 0) {
            while (i-- > 0)
                (void)mira_gnttab_end_deferred(segs[i].gref, NULL);
            return tx_drop(nf, frame, MIRA_NETIF_DROP_NOMEM, MIRA_EAGAIN);
        }
        segs[i].gref = (grant_ref_t)ref;
    }
    /* The checksum hook: a frame whose checksum is left to the device
     * (only once MIRA_NETIF_TX_CSUM is offered) goes as Linux sends it. */
    uint16_t flags = (frame->offload.flags & MIRA_PBUF_CSUM_PARTIAL)
                         ? (uint16_t)(NETTXF_csum_blank | NETTXF_data_validated) : 0;
    netif_tx_request_t rq[MIRA_NETTX_MAX_SLOTS];
    int r = mira_nettx_build(&nf->tx, segs, nseg, flags, frame, rq);
    if (r < 0) { /* cannot be: checked above */
        for (int i = 0; i < nseg; i++)
            (void)mira_gnttab_end_deferred(segs[i].gref, NULL);
        return tx_drop(nf, frame, MIRA_NETIF_DROP_DEVICE, MIRA_EIO);
    }
    for (int i = 0; i < r; i++) {
        *RING_GET_REQUEST(&nf->txr, nf->txr.req_prod_pvt) = rq[i];
        nf->txr.req_prod_pvt++;
    }
    int notify;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&nf->txr, notify);
    if (notify)
        mira_evtchn_kick(&nf->ch);
    return MIRA_OK;
}

/* ---- receive ---- */

static void rxq_put(struct netfront *nf, struct mira_pbuf *frame)
{
    if (frame->tot_len < MIRA_ETH_HLEN) {
        mira_netif_count_drop(&nf->dev, true, MIRA_NETIF_DROP_TOO_SHORT);
        mira_pbuf_free(frame);
    } else if (frame->tot_len > MIRA_ETH_HLEN + nf->dev.info.mtu) {
        mira_netif_count_drop(&nf->dev, true, MIRA_NETIF_DROP_TOO_LONG);
        mira_pbuf_free(frame);
    } else { /* room: every queued frame holds one of RX_PAGES pages */
        nf->rxq[(nf->rxq_head + nf->rxq_len++) % RX_PAGES] = frame;
    }
}

/* Drops the frame being assembled (a later piece of it was refused). */
static void rx_drop_partial(struct netfront *nf)
{
    if (nf->partial != NULL) {
        mira_pbuf_free(nf->partial);
        nf->partial = NULL;
    }
}

static void rx_reap(struct netfront *nf)
{
    if (nf->failed)
        return;
    for (;;) {
        RING_IDX rp = nf->rxr.sring->rsp_prod;
        xen_rmb();
        if (mira_netrx_check_rsp_prod(&nf->rx, nf->rxr.rsp_cons, rp) < 0) {
            fail_refused(nf, "rx", nf->rx.last_reason);
            return;
        }
        for (RING_IDX i = nf->rxr.rsp_cons; i != rp; i++) {
            netif_rx_response_t rsp = *RING_GET_RESPONSE(&nf->rxr, i);
            struct mira_netrx_piece pc;
            int r = mira_netrx_response(&nf->rx, &rsp, &pc);
            struct rx_page *p = pc.cookie;
            if (r < 0 && p == NULL) {
                nf->rxr.rsp_cons = i;
                fail_refused(nf, "rx", nf->rx.last_reason);
                return;
            }
            if (r < 0) {
                mira_log(MIRA_LOG_DEBUG, DRIVER, "%s: rx response id %u status %d offset %u "
                         "flags 0x%x: %s", nf->dev.name, rsp.id, rsp.status, rsp.offset,
                         rsp.flags, mira_strerror(r));
                rx_drop_partial(nf);
                mira_netif_count_drop(&nf->dev, true, r == MIRA_EIO ? MIRA_NETIF_DROP_DEVICE
                                                                    : MIRA_NETIF_DROP_MALFORMED);
                if (r == MIRA_ECORRUPT)
                    mira_log(MIRA_LOG_WARN, DRIVER, "%s: refused a frame: %s", nf->dev.name,
                             mira_netproto_reason_name(nf->rx.last_reason));
                (void)rx_post(nf, p);
                continue;
            }
            struct mira_pbuf *pb = mira_pbuf_wrap(p->mem, MIRA_PAGE_SIZE, pc.offset, pc.len,
                                                  rx_release, p);
            if (pb == NULL) {
                rx_drop_partial(nf);
                mira_netif_count_drop(&nf->dev, true, MIRA_NETIF_DROP_NOMEM);
                (void)rx_post(nf, p);
                continue;
            }
            p->state = PAGE_HELD;
            nf->pool->held++;
            if (nf->partial == NULL) {
                pb->offload.flags = pc.csum;
                nf->partial = pb;
            } else {
                mira_pbuf_cat(nf->partial, pb);
            }
            if (pc.more)
                continue;
            struct mira_pbuf *frame = nf->partial;
            nf->partial = NULL;
            rxq_put(nf, frame);
        }
        nf->rxr.rsp_cons = rp;
        int more;
        RING_FINAL_CHECK_FOR_RESPONSES(&nf->rxr, more);
        if (!more)
            break;
    }
    rx_push(nf);
}

/* Takes the watch events on the backend's state; a backend closing or
 * gone fails the device. */
static void check_backend(struct netfront *nf)
{
    char path[192];
    bool changed = false;
    while (mira_xs_poll_watch(nf->xb.token, path, sizeof(path)) == 0)
        changed = true;
    if (!changed)
        return;
    int r = mira_xenbus_wait_backend_state(&nf->xb, MIRA_XENBUS_BIT(XenbusStateConnected), 0);
    if (r == MIRA_ECLOSED || r == MIRA_ECORRUPT) {
        nf->backend_closed = r == MIRA_ECLOSED;
        fail(nf, r == MIRA_ECLOSED ? "the backend closed" : "the backend's state is malformed");
    }
}

/* One round: events taken, both rings reaped. */
static void poll_rings(struct netfront *nf)
{
    if (nf->ch.fired)
        (void)mira_evtchn_wait(&nf->ch, 0); /* takes the event */
    check_backend(nf);
    tx_reap(nf);
    rx_reap(nf);
}

static int nf_recv(struct mira_netif *n, struct mira_pbuf **frames, int max,
                   mira_time_t deadline)
{
    struct netfront *nf = (struct netfront *)n;
    struct mira_waitq *const qs[2] = { mira_evtchn_waitq(&nf->ch), mira_xs_watch_waitq() };
    for (;;) {
        poll_rings(nf);
        if (nf->rxq_len > 0) {
            int k = 0;
            while (k < max && nf->rxq_len > 0) {
                frames[k++] = nf->rxq[nf->rxq_head];
                nf->rxq_head = (nf->rxq_head + 1) % RX_PAGES;
                nf->rxq_len--;
            }
            return k;
        }
        if (nf->failed)
            return nf->backend_closed ? MIRA_ECLOSED : MIRA_EIO;
        if (mira_wait_any(qs, 2, deadline) == MIRA_ETIMEDOUT) {
            poll_rings(nf); /* a frame that came with the deadline */
            if (nf->rxq_len == 0)
                return MIRA_ETIMEDOUT;
        }
    }
}

static int nf_wait_writable(struct mira_netif *n, mira_time_t deadline)
{
    struct netfront *nf = (struct netfront *)n;
    struct mira_waitq *const qs[2] = { mira_evtchn_waitq(&nf->ch), mira_xs_watch_waitq() };
    for (;;) {
        poll_rings(nf);
        if (nf->failed)
            return MIRA_EIO;
        if (nf->tx.nfree >= MIRA_NETTX_MAX_SLOTS)
            return MIRA_OK;
        if (mira_wait_any(qs, 2, deadline) == MIRA_ETIMEDOUT)
            return MIRA_ETIMEDOUT;
    }
}

/* ---- connect and close ---- */

/* Everything the device holds goes; the backend must not map our pages
 * any more (closed, or never connected). */
static void teardown(struct netfront *nf)
{
    nf->failed = true; /* pages released from now on stay ours */
    struct mira_nettx_done d;
    while (mira_nettx_drain(&nf->tx, &d) == 1) {
        (void)mira_gnttab_end_deferred(d.gref, NULL);
        if (d.cookie != NULL)
            mira_pbuf_free(d.cookie);
    }
    struct mira_netrx_piece pc;
    while (mira_netrx_drain(&nf->rx, &pc) == 1)
        ((struct rx_page *)pc.cookie)->state = PAGE_OURS;
    rx_drop_partial(nf);
    while (nf->rxq_len > 0) {
        mira_pbuf_free(nf->rxq[nf->rxq_head]);
        nf->rxq_head = (nf->rxq_head + 1) % RX_PAGES;
        nf->rxq_len--;
    }
    struct rx_pool *pool = nf->pool;
    if (pool != NULL) {
        pool->nf = NULL;
        for (unsigned i = 0; i < pool->n; i++)
            if (pool->page[i].state == PAGE_OURS)
                rx_page_free(&pool->page[i]);
        if (pool->held == 0)
            free(pool);
        /* else: the app's packets bring the rest back (rx_release) */
    }
    if (nf->tx_sring != NULL) {
        if (nf->tx_ring_ref >= 0)
            (void)mira_gnttab_end_deferred((grant_ref_t)nf->tx_ring_ref, nf->tx_sring);
        else
            mira_pages_free(nf->tx_sring, 1);
    }
    if (nf->rx_sring != NULL) {
        if (nf->rx_ring_ref >= 0)
            (void)mira_gnttab_end_deferred((grant_ref_t)nf->rx_ring_ref, nf->rx_sring);
        else
            mira_pages_free(nf->rx_sring, 1);
    }
    mira_evtchn_close(&nf->ch);
    free(nf);
}

static void nf_close(struct mira_netif *n)
{
    struct netfront *nf = (struct netfront *)n;
    int r = mira_xenbus_close(&nf->xb, mira_time_add(mira_clock_monotonic(), CLOSE_TIMEOUT));
    if (r < 0)
        mira_log(MIRA_LOG_WARN, DRIVER, "%s: closing: %s (grants are ended when the backend "
                 "lets go)", nf->dev.name, mira_strerror(r));
    teardown(nf);
}

static const struct mira_netif_ops netfront_ops = {
    .send = nf_send,
    .wait_writable = nf_wait_writable,
    .recv = nf_recv,
    .close = nf_close,
};


static int write_keys(struct mira_xenbus_dev *d, mira_xs_tx tx, void *arg)
{
    struct netfront *nf = arg;
    int r = mira_xenbus_write_u64(d, tx, "tx-ring-ref", (uint64_t)nf->tx_ring_ref);
    if (r == 0)
        r = mira_xenbus_write_u64(d, tx, "rx-ring-ref", (uint64_t)nf->rx_ring_ref);
    if (r == 0)
        r = mira_xenbus_write_u64(d, tx, "event-channel", nf->ch.port);
    if (r == 0) /* copying receive: the only mode netback still has */
        r = mira_xenbus_write(d, tx, "request-rx-copy", "1");
    if (r == 0) /* rx_event is honoured: netback requires it */
        r = mira_xenbus_write(d, tx, "feature-rx-notify", "1");
    /* Not yet (the wire-speed issue): scatter-gather, GSO, and partial
     * checksums on receive, so netback completes every checksum. */
    if (r == 0)
        r = mira_xenbus_write(d, tx, "feature-sg", "0");
    if (r == 0)
        r = mira_xenbus_write(d, tx, "feature-gso-tcpv4", "0");
    if (r == 0)
        r = mira_xenbus_write(d, tx, "feature-no-csum-offload", "1");
    return r;
}

static int connect_error(struct netfront *nf, int err, const char *what)
{
    mira_connect_error(nf->dev.name, DRIVER, "vif %s: %s: %s", nf->xb.node[0] ? nf->xb.node : "?",
                       what, mira_strerror(err));
    return err;
}

/* Grants and posts the receive pages. */
static int rx_pool_fill(struct netfront *nf)
{
    struct rx_pool *pool = calloc(1, sizeof(*pool));
    if (pool == NULL)
        return MIRA_ENOMEM;
    pool->nf = nf;
    nf->pool = pool;
    for (unsigned i = 0; i < RX_PAGES; i++) {
        struct rx_page *p = &pool->page[i];
        p->pool = pool;
        p->mem = mira_pages_alloc(1, 0);
        if (p->mem == NULL)
            return MIRA_ENOMEM;
        pool->n++;
        p->gref = mira_gnttab_grant_page(nf->xb.backend_id, p->mem, false);
        if (p->gref < 0)
            return MIRA_ENOMEM; /* the page is freed by teardown */
        if (!rx_post(nf, p))
            return MIRA_EIO;
    }
    return MIRA_OK;
}

static int setup(struct netfront *nf, int vif)
{
    mira_time_t deadline = mira_time_add(mira_clock_monotonic(), CONNECT_TIMEOUT);
    int r = mira_xenbus_open(&nf->xb, "vif", vif);
    if (r < 0)
        return connect_error(nf, r, r == MIRA_ENOENT ? "no such vif (a vif line in the .xl?)"
                                                     : "xenbus");
    char path[96], mac[32];
    mira_snprintf(path, sizeof(path), "%s/mac", nf->xb.node);
    long n = mira_xs_read(path, mac, sizeof(mac));
    if (n < 0)
        return connect_error(nf, (int)n, "reading mac");
    if (mira_netif_parse_mac(mac, nf->dev.info.mac) < 0)
        return connect_error(nf, MIRA_ECORRUPT, "the toolstack's mac is malformed");
    r = mira_xenbus_wait_backend_state(&nf->xb, MIRA_XENBUS_BIT(XenbusStateInitWait), deadline);
    if (r < 0)
        return connect_error(nf, r, "waiting for the backend (InitWait)");
    uint64_t copy = 0;
    r = mira_xenbus_read_backend_u64(&nf->xb, "feature-rx-copy", &copy);
    if (r < 0 || copy != 1)
        return connect_error(nf, r < 0 ? r : MIRA_ENOTSUP, "the backend has no feature-rx-copy");

    nf->tx_sring = mira_pages_alloc(1, MIRA_PAGE_ZERO);
    nf->rx_sring = mira_pages_alloc(1, MIRA_PAGE_ZERO);
    if (nf->tx_sring == NULL || nf->rx_sring == NULL)
        return connect_error(nf, MIRA_ENOMEM, "ring pages");
    SHARED_RING_INIT(nf->tx_sring);
    SHARED_RING_INIT(nf->rx_sring);
    FRONT_RING_INIT(&nf->txr, nf->tx_sring, MIRA_PAGE_SIZE);
    FRONT_RING_INIT(&nf->rxr, nf->rx_sring, MIRA_PAGE_SIZE);
    nf->tx_ring_ref = mira_gnttab_grant_page(nf->xb.backend_id, nf->tx_sring, false);
    nf->rx_ring_ref = mira_gnttab_grant_page(nf->xb.backend_id, nf->rx_sring, false);
    if (nf->tx_ring_ref < 0 || nf->rx_ring_ref < 0)
        return connect_error(nf, MIRA_ENOMEM, "granting the rings");
    r = mira_evtchn_open_unbound(&nf->ch, nf->xb.backend_id);
    if (r < 0)
        return connect_error(nf, r, "event channel");
    r = rx_pool_fill(nf);
    if (r < 0)
        return connect_error(nf, r, "receive pages");
    RING_PUSH_REQUESTS(&nf->rxr);
    r = mira_xenbus_write_frontend_tx(&nf->xb, write_keys, nf);
    if (r < 0)
        return connect_error(nf, r, "writing the frontend's keys");
    /* As Linux's netfront: straight to Connected; netback connects then. */
    r = mira_xenbus_switch_state(&nf->xb, XenbusStateConnected);
    if (r < 0)
        return connect_error(nf, r, "switching to Connected");
    r = mira_xenbus_wait_backend_state(&nf->xb, MIRA_XENBUS_BIT(XenbusStateConnected), deadline);
    if (r < 0)
        return connect_error(nf, r, "waiting for the backend (Connected)");
    mira_evtchn_kick(&nf->ch); /* the posted receive pages */
    return MIRA_OK;
}

int mira_netfront_connect(struct mira_netif **out, const char *name)
{
    char key[64];
    mira_snprintf(key, sizeof(key), "%s-vif", name);
    const char *v = mira_param(key, NULL);
    int vif = (int)vifs_connected;
    if (v != NULL) {
        char *end;
        unsigned long x = strtoul(v, &end, 10);
        if (*v == '\0' || *end != '\0' || x > 65535) {
            mira_connect_error(name, DRIVER, "bad %s=%s (a vif number)", key, v);
            return MIRA_EINVAL;
        }
        vif = (int)x;
    }
    struct netfront *nf = calloc(1, sizeof(*nf));
    if (nf == NULL)
        return MIRA_ENOMEM;
    nf->dev.ops = &netfront_ops;
    nf->dev.name = name;
    nf->dev.info.mtu = 1500;
    nf->tx_ring_ref = nf->rx_ring_ref = -1;
    mira_nettx_init(&nf->tx, 0);
    mira_netrx_init(&nf->rx, 0);
    int r = setup(nf, vif);
    if (r < 0) {
        /* Our state Closed; the backend maps nothing (not connected), and
         * grants it did map end when it lets go. */
        (void)mira_xenbus_close(&nf->xb, mira_time_add(mira_clock_monotonic(), CLOSE_TIMEOUT));
        teardown(nf);
        return r;
    }
    vifs_connected++;
    const uint8_t *m = nf->dev.info.mac;
    mira_log(MIRA_LOG_INFO, DRIVER, "%s: vif %d, mac %02x:%02x:%02x:%02x:%02x:%02x, backend %s",
             name, vif, m[0], m[1], m[2], m[3], m[4], m[5], nf->xb.backend);
    *out = &nf->dev;
    return MIRA_OK;
}

void mira_netfront_stats(const struct mira_netif *n, struct mira_netfront_stats *st)
{
    const struct netfront *nf = (const struct netfront *)n;
    if (n == NULL || n->ops != &netfront_ops)
        mira_panic("mira_netfront_stats: not a netfront device");
    *st = (struct mira_netfront_stats){ 0 };
    for (int i = 0; i < MIRA_NETPROTO_REASONS; i++)
        st->refused[i] = nf->tx.refused[i] + nf->rx.refused[i];
    st->rx_pages = nf->pool->n;
    st->rx_posted = nf->rx.posted;
    st->tx_inflight = nf->tx.unanswered;
    st->tx_linearised = nf->linearised;
}
