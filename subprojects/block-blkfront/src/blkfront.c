/* blkfront.c - the block device on a Xen virtual disk (mira/block_blkfront.h).
 *
 * The protocol decisions are the pure core's (blkif_keys.c: negotiation,
 * blkif_proto.c: ring ids, request building, response checks); this file
 * wires them to xenbus, the grant table, the event channel and fibers.
 *
 * A caller request is cut into chunks of at most chunk_segs pages (one
 * indirect request, or up to 8 direct ones); a chunk is one request of the
 * core, so its parts complete together.  Chunks of one call are sent one
 * after the other without waiting, as long as there is room: a chunk
 * record, segment budget (the persistent pool, or an in-flight cap that
 * keeps the grant table small) and ring slots.  Otherwise the fiber waits
 * for a completion.  The first waiting fiber becomes the poller: it waits
 * on the event channel and the xenstore watch of the backend's state,
 * reaps every response and wakes the others; when it got what it waited
 * for it hands the role on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mira/xen/shared_ring.h> /* before blkif_proto.h: the barriers */
#include <mira/blkif_proto.h>
#include <mira/blkfront_util.h>
#include <mira/block_blkfront.h>
#include <mira/driver/block.h>
#include <mira/fiber.h>
#include <mira/format.h>
#include <mira/log.h>
#include <mira/page.h>
#include <mira/param.h>
#include <mira/runtime.h>
#include <mira/xen/evtchn.h>
#include <mira/xen/gnttab.h>
#include <mira/xen/page.h>
#include <mira/xen/xenbus.h>
#include <mira/xen/xenstore.h>
#include <xen/io/protocols.h>

#define DRIVER "blkfront"
/* Chunk records per device: caller chunks in flight at once. */
#define CHUNKS 32
/* Data pages in flight at once: the persistent grant pool's size (Linux
 * blkback keeps up to 1056 grants mapped per device), and without
 * persistent grants the cap that keeps grants of one device bounded. */
#define SEG_BUDGET 1024u
/* A chunk without indirect descriptors: 8 direct requests of 11 pages. */
#define DIRECT_PARTS 8u
#define DIRECT_CHUNK_SEGS (DIRECT_PARTS * BLKIF_MAX_SEGMENTS_PER_REQUEST)
/* The most pages one chunk touches (indirect: at most 256 segments). */
#define CHUNK_MAX_SEGS MIRA_BLKIF_INDIRECT_SEGS_DEFAULT
#define CONNECT_TIMEOUT MIRA_SECONDS(30)
#define CLOSE_TIMEOUT MIRA_SECONDS(10)
#define KEY_MAX 40

MIRA_PARAM_DECLARE(vdev, "*-vdev", NULL,
                   "the virtual disk: xvdb, xvdc, ... or its id (default: the "
                   "n-th block device of the app is the n-th disk, from xvdb)");

/* One caller request (read, write, flush, discard) waiting for its chunks. */
struct call {
    unsigned pending; /* chunks sent and not completed */
    int status;       /* the worst so far: 0, MIRA_ENOTSUP, MIRA_EIO */
};

struct chunk {
    struct call *call;
    enum mira_blkif_op op;
    uint64_t sector, count;
    uintptr_t addr;   /* READ/WRITE: the caller's bytes */
    size_t len;
    unsigned segs;    /* pages touched: the budget it holds */
    unsigned npool;   /* persistent: pool pages taken, in page order */
    uint16_t pool[CHUNK_MAX_SEGS];
    struct chunk *next_free;
};

struct blkfront {
    struct mira_block dev; /* first: the runtime sees only this */
    char name[32];
    struct mira_xenbus_dev xb;
    bool xb_open;
    struct mira_evtchn ch;
    uint32_t vdev;
    struct mira_blkif_transport tr;
    struct mira_blkif_device bd;
    /* the shared ring */
    blkif_front_ring_t front;
    void *ring;
    int ring_refs[1u << MIRA_BLKIF_RING_ORDER_MAX];
    /* the in-flight table */
    struct mira_blkif_table table;
    struct mira_blkif_slot *slots;
    uint32_t *grefs;
    struct mira_blkif_grant_ops gops;
    union blkif_sring_entry tmp[DIRECT_PARTS];
    /* indirect pages: ipages per ring id, granted once, kept */
    char *ind;
    unsigned ipages;
    int *ind_refs;
    /* persistent grants: a pool of pages granted once */
    char *pool;
    int *pool_refs;
    uint16_t *pool_free;
    unsigned pool_nfree;
    /* chunking and budgets */
    unsigned chunk_segs;
    unsigned segs_in_flight;
    struct chunk *chunks, *free_chunks, *building;
    /* waiting */
    struct mira_waitq done_q; /* woken by the poller after completions */
    bool polling, failed;
    unsigned long completions;
    struct mira_block_blkfront_stats st;
};

static const struct mira_block_ops blkfront_ops;

/* --- grants --- */

static void end_ref(int ref)
{
    if (ref >= 0 && mira_gnttab_end_deferred((grant_ref_t)ref, NULL) == 1)
        mira_log(MIRA_LOG_DEBUG, DRIVER, "grant %d still mapped: release deferred", ref);
}

static bool is_indirect_ref(const struct blkfront *s, uint16_t id, uint32_t ref)
{
    for (unsigned k = 0; k < s->ipages; k++)
        if ((uint32_t)s->ind_refs[(size_t)id * s->ipages + k] == ref)
            return true;
    return false;
}

/* The core's grant callback: indirect pages and pool pages are granted
 * already; otherwise the caller's page is granted now. */
static int grant_cb(void *ctx, uintptr_t page, bool backend_writes, uint32_t *gref)
{
    struct blkfront *s = ctx;
    size_t ind_bytes = (size_t)s->table.ring_size * s->ipages * MIRA_PAGE_SIZE;
    if (s->ind && page >= (uintptr_t)s->ind && page < (uintptr_t)s->ind + ind_bytes) {
        *gref = (uint32_t)s->ind_refs[(page - (uintptr_t)s->ind) / MIRA_PAGE_SIZE];
        return 0;
    }
    if (s->bd.persistent) {
        struct chunk *ch = s->building;
        uintptr_t first = ch->addr - ch->addr % MIRA_PAGE_SIZE;
        if (s->pool_nfree == 0 || page != first + (uintptr_t)ch->npool * MIRA_PAGE_SIZE)
            mira_panic("blkfront: grant of page %p out of order or pool empty", (void *)page);
        uint16_t p = s->pool_free[--s->pool_nfree];
        ch->pool[ch->npool++] = p;
        if (!backend_writes) { /* a write: the data goes into the pool page */
            size_t off, n = mira_blkfront_in_page(page, ch->addr, ch->len, &off);
            memcpy(s->pool + (size_t)p * MIRA_PAGE_SIZE + off, (const char *)page + off, n);
        }
        *gref = (uint32_t)s->pool_refs[p];
        return 0;
    }
    int r = mira_gnttab_grant_page(s->xb.backend_id, (const void *)page, !backend_writes);
    if (r < 0)
        return r;
    *gref = (uint32_t)r;
    return 0;
}

/* Undoes a grant of a failed build: only fresh grants end here (pool pages
 * go back with their chunk). */
static void release_cb(void *ctx, uint32_t gref)
{
    struct blkfront *s = ctx;
    if (s->bd.persistent)
        return;
    for (unsigned i = 0; i < s->table.ring_size * s->ipages; i++)
        if ((uint32_t)s->ind_refs[i] == gref)
            return;
    end_ref((int)gref);
}

static void *indirect_page_cb(void *ctx, uint16_t id, unsigned n)
{
    struct blkfront *s = ctx;
    return s->ind + ((size_t)id * s->ipages + n) * MIRA_PAGE_SIZE;
}

/* --- completions --- */

static void pool_put_chunk(struct blkfront *s, struct chunk *ch)
{
    for (unsigned j = 0; j < ch->npool; j++)
        s->pool_free[s->pool_nfree++] = ch->pool[j];
    ch->npool = 0;
}

static int worse(int a, int b)
{
    if (a == MIRA_EIO || b == MIRA_EIO)
        return MIRA_EIO;
    return a < 0 ? a : b;
}

static void complete_chunk(struct blkfront *s, struct chunk *ch, int status)
{
    if (s->bd.persistent) {
        if (status == 0 && ch->op == MIRA_BLKIF_READ) {
            uintptr_t first = ch->addr - ch->addr % MIRA_PAGE_SIZE;
            for (unsigned j = 0; j < ch->npool; j++) {
                uintptr_t page = first + (uintptr_t)j * MIRA_PAGE_SIZE;
                size_t off, n = mira_blkfront_in_page(page, ch->addr, ch->len, &off);
                memcpy((char *)page + off,
                       s->pool + (size_t)ch->pool[j] * MIRA_PAGE_SIZE + off, n);
            }
        }
        pool_put_chunk(s, ch);
    }
    s->segs_in_flight -= ch->segs;
    ch->call->status = worse(ch->call->status, status);
    ch->call->pending--;
    ch->next_free = s->free_chunks;
    s->free_chunks = ch;
    s->completions++;
}

/* One ring id answered (or drained): its fresh grants end; the chunk
 * completes with its last part. */
static void finish(struct blkfront *s, const struct mira_blkif_completion *c)
{
    if (!s->bd.persistent)
        for (unsigned k = 0; k < c->nr_grefs; k++)
            if (!is_indirect_ref(s, c->id, c->grefs[k]))
                end_ref((int)c->grefs[k]);
    if (c->request_done)
        complete_chunk(s, c->cookie, c->status);
}

/* The device cannot be trusted or reached any more: every request in
 * flight completes with MIRA_EIO, and so will every later one. */
static void fail_device(struct blkfront *s, const char *why)
{
    if (!s->failed)
        mira_log(MIRA_LOG_ERROR, DRIVER, "%s: %s: the device fails; %u ring requests "
                 "in flight fail with EIO", s->name, why, s->table.in_flight);
    s->failed = true;
    s->st.failed = true;
    struct mira_blkif_completion c;
    while (mira_blkif_drain(&s->table, &c) >= 0)
        finish(s, &c);
}

/* Reaps every response on the ring, checking each with the core. */
static void reap(struct blkfront *s)
{
    const char *why = "";
    for (;;) {
        RING_IDX rp = s->front.sring->rsp_prod;
        xen_rmb(); /* the responses up to rp before we read them */
        long n = mira_blkif_check_rsp_prod(&s->table, rp, s->front.rsp_cons,
                                           s->front.req_prod_pvt, &why);
        if (n < 0) {
            fail_device(s, why);
            return;
        }
        for (RING_IDX i = s->front.rsp_cons; i != rp; i++) {
            /* One copy: the backend may rewrite the slot while we look. */
            struct blkif_response rsp;
            memcpy(&rsp, RING_GET_RESPONSE(&s->front, i), sizeof(rsp));
            struct mira_blkif_completion c;
            if (mira_blkif_complete(&s->table, &rsp, &c, &why) < 0) {
                s->front.rsp_cons = i + 1;
                fail_device(s, why);
                return;
            }
            finish(s, &c);
        }
        s->front.rsp_cons = rp;
        int more;
        RING_FINAL_CHECK_FOR_RESPONSES(&s->front, more);
        if (!more)
            return;
    }
}

/* Consumes the watch events of the backend's state; fails the device if
 * the backend is closing or gone. */
static void check_backend(struct blkfront *s)
{
    char path[192];
    bool changed = false;
    while (mira_xs_poll_watch(s->xb.token, path, sizeof(path)) == 0)
        changed = true;
    if (!changed)
        return;
    int r = mira_xenbus_wait_backend_state(&s->xb, MIRA_XENBUS_BIT(XenbusStateConnected), 0);
    if (r == MIRA_ECLOSED || r == MIRA_ECORRUPT)
        fail_device(s, r == MIRA_ECLOSED ? "the backend closed"
                                         : "the backend's state is malformed");
}

/* The poller's loop: until a completion happens or the device fails. */
static void poll(struct blkfront *s, unsigned long seen)
{
    struct mira_waitq *const qs[2] = { mira_evtchn_waitq(&s->ch), mira_xs_watch_waitq() };
    for (;;) {
        if (s->ch.fired)
            (void)mira_evtchn_wait(&s->ch, 0); /* takes the event */
        check_backend(s);
        if (!s->failed)
            reap(s);
        if (s->failed || s->completions != seen)
            return;
        if (!s->ch.fired)
            (void)mira_wait_any(qs, 2, MIRA_TIME_NEVER);
    }
}

/* Waits until some chunk of the device completed (or it failed). */
static void wait_progress(struct blkfront *s)
{
    unsigned long seen = s->completions;
    while (s->completions == seen && !s->failed) {
        if (s->polling) {
            mira_wait(&s->done_q);
            continue;
        }
        s->polling = true;
        poll(s, seen);
        s->polling = false;
        mira_wake_all(&s->done_q);
    }
}

/* --- requests --- */

/* Builds ch into ring requests and pushes them.  0, MIRA_EAGAIN (no room
 * now), or the core's error. */
static long submit(struct blkfront *s, struct chunk *ch)
{
    struct mira_blkif_buf buf = { ch->addr, ch->len };
    struct mira_blkif_request rq = {
        .op = ch->op, .sector = ch->sector, .count = ch->count,
        .bufs = &buf, .nr_bufs = ch->len ? 1 : 0, .cookie = ch,
    };
    unsigned room = RING_FREE_REQUESTS(&s->front);
    ch->npool = 0;
    s->building = ch;
    long parts = mira_blkif_build(&s->table, &s->bd, (uint16_t)s->vdev, &rq, &s->gops,
                                  s->tmp, room < DIRECT_PARTS ? room : DIRECT_PARTS);
    s->building = NULL;
    if (parts < 0) {
        pool_put_chunk(s, ch);
        return parts;
    }
    for (long i = 0; i < parts; i++) {
        memcpy(RING_GET_REQUEST(&s->front, s->front.req_prod_pvt), &s->tmp[i],
               sizeof(s->tmp[i]));
        s->front.req_prod_pvt++;
        if (s->tmp[i].req.operation == BLKIF_OP_INDIRECT)
            s->st.indirect_requests++;
    }
    int notify;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&s->front, notify);
    if (notify)
        mira_evtchn_kick(&s->ch);
    s->st.requests += (unsigned long)parts;
    if (s->table.in_flight > s->st.max_in_flight)
        s->st.max_in_flight = s->table.in_flight;
    return 0;
}

/* One caller request: chunks sent while there is room, then waits for
 * all of them.  count is the DISCARD's sector count. */
static int blkfront_io(struct blkfront *s, enum mira_blkif_op op, uint64_t sector,
                       uintptr_t addr, size_t len, uint64_t count)
{
    struct call call = { 0, 0 };
    uint32_t ss = s->dev.info.sector_size;
    bool rw = op == MIRA_BLKIF_READ || op == MIRA_BLKIF_WRITE;
    size_t done = 0;
    bool submitting = true;
    while (submitting || call.pending > 0) {
        if (submitting && s->failed) {
            call.status = MIRA_EIO;
            submitting = false;
            continue;
        }
        if (submitting) {
            size_t clen = rw ? mira_blkfront_chunk_len(addr + done, len - done,
                                                       s->chunk_segs, ss) : 0;
            unsigned segs = rw ? (unsigned)mira_blkfront_pages(addr + done, clen) : 0;
            struct chunk *ch = s->free_chunks;
            if (ch != NULL && s->segs_in_flight + segs <= SEG_BUDGET) {
                s->free_chunks = ch->next_free;
                *ch = (struct chunk){ .call = &call, .op = op, .addr = addr + done,
                                      .len = clen, .segs = segs,
                                      .sector = sector + done / ss,
                                      .count = rw ? clen / ss : count };
                long r = submit(s, ch);
                if (r == 0) {
                    s->segs_in_flight += segs;
                    call.pending++;
                    done += clen;
                    submitting = rw && done < len;
                    continue;
                }
                ch->next_free = s->free_chunks;
                s->free_chunks = ch;
                if (r != MIRA_EAGAIN) {
                    if (r != MIRA_ENOTSUP)
                        mira_log(MIRA_LOG_ERROR, DRIVER, "%s: request not sent: %s",
                                 s->name, mira_strerror((int)r));
                    call.status = r == MIRA_ENOTSUP ? MIRA_ENOTSUP : MIRA_EIO;
                    submitting = false;
                    continue;
                }
            }
            s->st.ring_full_waits++;
        }
        wait_progress(s);
    }
    return call.status;
}

static int blkfront_read(struct mira_block *b, uint64_t sector, void *buf, size_t len)
{
    return blkfront_io((struct blkfront *)b, MIRA_BLKIF_READ, sector, (uintptr_t)buf, len, 0);
}

static int blkfront_write(struct mira_block *b, uint64_t sector, const void *buf, size_t len)
{
    return blkfront_io((struct blkfront *)b, MIRA_BLKIF_WRITE, sector, (uintptr_t)buf, len, 0);
}

static int blkfront_flush(struct mira_block *b)
{
    struct blkfront *s = (struct blkfront *)b;
    if (s->failed)
        return MIRA_EIO;
    if (!s->bd.flush)
        return 0; /* the backend has no write cache to flush */
    int r = blkfront_io(s, MIRA_BLKIF_FLUSH, 0, 0, 0, 0);
    if (r == MIRA_ENOTSUP) {
        /* The backend offered it and then refused: it cannot flush, as
         * Linux's blkfront concludes too; later flushes return at once. */
        mira_log(MIRA_LOG_WARN, DRIVER, "%s: the backend refused a flush; flushes "
                 "are off", s->name);
        s->bd.flush = false;
        s->st.flush = false;
        return 0;
    }
    return r;
}

static int blkfront_discard(struct mira_block *b, uint64_t sector, uint64_t count)
{
    return blkfront_io((struct blkfront *)b, MIRA_BLKIF_DISCARD, sector, 0, 0, count);
}

/* --- connect and close --- */

static void teardown(struct blkfront *s)
{
    if (s->xb_open) {
        int r = mira_xenbus_close(&s->xb, mira_clock_monotonic() + CLOSE_TIMEOUT);
        if (r < 0)
            mira_log(MIRA_LOG_WARN, DRIVER, "%s: close: %s", s->name, mira_strerror(r));
    }
    /* The backend has let go (or we waited long enough): end every grant;
     * a page still mapped keeps its grant, and its memory is not freed. */
    bool all = true;
    for (unsigned i = 0; i < s->tr.ring_pages; i++)
        if (s->ring_refs[i] >= 0)
            all &= mira_gnttab_end_deferred((grant_ref_t)s->ring_refs[i], NULL) == 0;
    if (s->ring && all)
        mira_pages_free(s->ring, s->tr.ring_pages);
    all = true;
    for (unsigned i = 0; s->ind_refs && i < s->table.ring_size * s->ipages; i++)
        if (s->ind_refs[i] >= 0)
            all &= mira_gnttab_end_deferred((grant_ref_t)s->ind_refs[i], NULL) == 0;
    if (s->ind && all)
        mira_pages_free(s->ind, (size_t)s->table.ring_size * s->ipages);
    all = true;
    for (unsigned i = 0; s->pool_refs && i < SEG_BUDGET; i++)
        if (s->pool_refs[i] >= 0)
            all &= mira_gnttab_end_deferred((grant_ref_t)s->pool_refs[i], NULL) == 0;
    if (s->pool && all)
        mira_pages_free(s->pool, SEG_BUDGET);
    if (s->ch.open)
        mira_evtchn_close(&s->ch);
    free(s->ind_refs);
    free(s->pool_refs);
    free(s->pool_free);
    free(s->slots);
    free(s->grefs);
    free(s->chunks);
    free(s);
}

static void blkfront_close(struct mira_block *b)
{
    struct blkfront *s = (struct blkfront *)b;
    if (s->table.in_flight > 0)
        mira_panic("mira_block_close(%s) with %u requests in flight", s->name,
                   s->table.in_flight);
    teardown(s);
}

static const struct mira_block_ops blkfront_ops = {
    .read = blkfront_read,
    .write = blkfront_write,
    .flush = blkfront_flush,
    .discard = blkfront_discard,
    .close = blkfront_close,
};

void mira_block_blkfront_stats(const struct mira_block *b,
                               struct mira_block_blkfront_stats *st)
{
    if (b == NULL || b->ops != &blkfront_ops)
        mira_panic("mira_block_blkfront_stats: not a blkfront device");
    *st = ((const struct blkfront *)b)->st;
}

/* Reads every key the core knows from the backend into vals; absent keys
 * stay NULL in *k.  0, MIRA_ECORRUPT (*bad names a key too long to be
 * valid) or a xenstore error. */
static int read_backend_keys(struct blkfront *s, char (*vals)[KEY_MAX],
                             struct mira_blkif_backend_keys *k, const char **bad)
{
    memset(k, 0, sizeof(*k));
    unsigned i = 0;
    for (const struct mira_blkif_key *e = mira_blkif_keys; e->name; e++, i++) {
        long n = mira_xenbus_read_backend(&s->xb, e->name, vals[i], KEY_MAX);
        const char *v = vals[i];
        if (n == MIRA_ENOENT)
            v = NULL;
        else if (n < 0)
            return (int)n;
        else if (n >= KEY_MAX) {
            *bad = e->name;
            return MIRA_ECORRUPT;
        }
        memcpy((char *)k + e->offset, &v, sizeof(v));
    }
    return 0;
}

struct front_keys {
    struct blkfront *s;
    bool persistent;
};

static int write_front_keys(struct mira_xenbus_dev *d, mira_xs_tx tx, void *arg)
{
    struct front_keys *fk = arg;
    struct blkfront *s = fk->s;
    int r = 0;
    if (s->tr.ring_order == 0) {
        r = mira_xenbus_write_u64(d, tx, "ring-ref", (uint64_t)s->ring_refs[0]);
    } else {
        r = mira_xenbus_write_u64(d, tx, "ring-page-order", s->tr.ring_order);
        for (unsigned i = 0; r == 0 && i < s->tr.ring_pages; i++) {
            char key[16];
            mira_snprintf(key, sizeof(key), "ring-ref%u", i);
            r = mira_xenbus_write_u64(d, tx, key, (uint64_t)s->ring_refs[i]);
        }
    }
    if (r == 0)
        r = mira_xenbus_write_u64(d, tx, "event-channel", s->ch.port);
    if (r == 0)
        r = mira_xenbus_write(d, tx, "protocol", XEN_IO_PROTO_ABI_X86_64);
    if (r == 0)
        r = mira_xenbus_write(d, tx, "feature-persistent", fk->persistent ? "1" : "0");
    return r;
}

/* The transport: ring pages granted, event channel, our keys, Initialised. */
static int setup_ring(struct blkfront *s, const struct mira_blkif_limits *lim,
                      const char **why)
{
    char vals[16][KEY_MAX];
    struct mira_blkif_backend_keys k;
    int r = read_backend_keys(s, vals, &k, why);
    if (r < 0)
        return r;
    r = mira_blkif_negotiate_transport(&k, lim, &s->tr, why);
    if (r < 0)
        return r;
    s->ring = mira_pages_alloc(s->tr.ring_pages, MIRA_PAGE_ZERO);
    if (s->ring == NULL)
        return MIRA_ENOMEM;
    blkif_sring_t *sring = s->ring;
    SHARED_RING_INIT(sring);
    FRONT_RING_INIT(&s->front, sring, (size_t)s->tr.ring_pages * MIRA_PAGE_SIZE);
    for (unsigned i = 0; i < s->tr.ring_pages; i++) {
        s->ring_refs[i] = mira_gnttab_grant_page(s->xb.backend_id,
                                                 (char *)s->ring + (size_t)i * MIRA_PAGE_SIZE,
                                                 false);
        if (s->ring_refs[i] < 0)
            return s->ring_refs[i];
    }
    r = mira_evtchn_open_unbound(&s->ch, s->xb.backend_id);
    if (r < 0)
        return r;
    struct front_keys fk = { s, lim->persistent };
    r = mira_xenbus_write_frontend_tx(&s->xb, write_front_keys, &fk);
    if (r < 0)
        return r;
    return mira_xenbus_switch_state(&s->xb, XenbusStateInitialised);
}

/* Pages and grants granted once: indirect pages per ring id, and the
 * persistent pool. */
static int setup_pages(struct blkfront *s)
{
    unsigned n = s->table.ring_size * s->ipages;
    if (n > 0) {
        s->ind = mira_pages_alloc(n, MIRA_PAGE_ZERO);
        s->ind_refs = malloc(n * sizeof(int));
        if (s->ind == NULL || s->ind_refs == NULL)
            return MIRA_ENOMEM;
        for (unsigned i = 0; i < n; i++)
            s->ind_refs[i] = -1;
        /* The backend only reads them, but with persistent grants Linux
         * blkback maps every grant writable: a read-only one would fail. */
        for (unsigned i = 0; i < n; i++) {
            s->ind_refs[i] = mira_gnttab_grant_page(s->xb.backend_id,
                                                    s->ind + (size_t)i * MIRA_PAGE_SIZE,
                                                    !s->bd.persistent);
            if (s->ind_refs[i] < 0)
                return s->ind_refs[i];
        }
    }
    if (!s->bd.persistent)
        return 0;
    s->pool = mira_pages_alloc(SEG_BUDGET, 0);
    s->pool_refs = malloc(SEG_BUDGET * sizeof(int));
    s->pool_free = malloc(SEG_BUDGET * sizeof(uint16_t));
    if (s->pool == NULL || s->pool_refs == NULL || s->pool_free == NULL)
        return MIRA_ENOMEM;
    for (unsigned i = 0; i < SEG_BUDGET; i++)
        s->pool_refs[i] = -1;
    for (unsigned i = 0; i < SEG_BUDGET; i++) {
        s->pool_refs[i] = mira_gnttab_grant_page(s->xb.backend_id,
                                                 s->pool + (size_t)i * MIRA_PAGE_SIZE, false);
        if (s->pool_refs[i] < 0)
            return s->pool_refs[i];
        s->pool_free[s->pool_nfree++] = (uint16_t)(SEG_BUDGET - 1 - i);
    }
    return 0;
}

/* The device: its keys once the backend is Connected, the table, pages. */
static int setup_device(struct blkfront *s, const struct mira_blkif_limits *lim,
                        const char **why)
{
    char vals[16][KEY_MAX];
    struct mira_blkif_backend_keys k;
    int r = read_backend_keys(s, vals, &k, why);
    if (r < 0)
        return r;
    r = mira_blkif_negotiate_device(&k, lim, &s->bd, why);
    if (r < 0)
        return r;
    unsigned per_id = mira_blkif_grefs_per_id(&s->bd);
    s->slots = malloc(s->tr.ring_size * sizeof(*s->slots));
    s->grefs = malloc((size_t)s->tr.ring_size * per_id * sizeof(*s->grefs));
    s->chunks = calloc(CHUNKS, sizeof(*s->chunks));
    if (s->slots == NULL || s->grefs == NULL || s->chunks == NULL)
        return MIRA_ENOMEM;
    r = mira_blkif_table_init(&s->table, s->tr.ring_size, s->slots, s->grefs, per_id);
    if (r < 0)
        return r;
    for (unsigned i = CHUNKS; i-- > 0;) {
        s->chunks[i].next_free = s->free_chunks;
        s->free_chunks = &s->chunks[i];
    }
    s->ipages = mira_blkif_indirect_pages(&s->bd);
    s->chunk_segs = s->bd.indirect_segs ? s->bd.indirect_segs : DIRECT_CHUNK_SEGS;
    if (s->chunk_segs > CHUNK_MAX_SEGS)
        s->chunk_segs = CHUNK_MAX_SEGS;
    s->gops = (struct mira_blkif_grant_ops){ grant_cb, release_cb, indirect_page_cb, s };
    return setup_pages(s);
}

static int fail_connect(struct blkfront *s, int err, const char *fmt, const char *what)
{
    mira_connect_error(s->name, DRIVER, fmt, what, mira_strerror(err));
    teardown(s);
    return err;
}

/* Blkfront devices connected so far: the n-th gets the n-th disk. */
static unsigned connected_count;

int mira_block_blkfront_connect(struct mira_block **out, const char *name)
{
    struct blkfront *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return MIRA_ENOMEM;
    mira_snprintf(s->name, sizeof(s->name), "%s", name);
    for (unsigned i = 0; i < sizeof(s->ring_refs) / sizeof(s->ring_refs[0]); i++)
        s->ring_refs[i] = -1;
    mira_waitq_init(&s->done_q, false);
    unsigned index = connected_count++;

    char key[48], dflt[16];
    mira_snprintf(key, sizeof(key), "%s-vdev", name);
    mira_blkfront_disk_name(MIRA_BLKFRONT_FIRST_DISK + index, dflt, sizeof(dflt));
    const char *vdev = mira_param(key, dflt);
    if (mira_blkfront_parse_vdev(vdev, &s->vdev) < 0) {
        mira_connect_error(name, DRIVER, "--%s=%s is not a disk (xvdb, xvdc, ... or "
                           "a device/vbd id)", key, vdev);
        free(s);
        return MIRA_EINVAL;
    }
    s->st.vdev = s->vdev;
    int r = mira_xenbus_open(&s->xb, "vbd", (int)s->vdev);
    if (r == MIRA_ENOENT) {
        char list[128] = "";
        long n = mira_xs_directory("device/vbd", list, sizeof(list) - 1);
        /* n NUL-terminated names one after the other: join them with ' ' */
        for (size_t i = 0, k = 0; n > 0 && i + 1 < sizeof(list) && k + 1 < (size_t)n; i++)
            if (list[i] == '\0') {
                list[i] = ' ';
                k++;
            }
        mira_connect_error(name, DRIVER, "no disk %s (device/vbd/%u): the guest has %s "
                           "(set --%s or add a disk line to the .xl)", vdev,
                           (unsigned)s->vdev, n > 0 ? list : "none", key);
        free(s);
        return MIRA_ENOENT;
    }
    if (r < 0)
        return fail_connect(s, r, "%s: xenbus: %s", vdev);
    s->xb_open = true;

    struct mira_blkif_limits lim;
    mira_blkif_limits_default(&lim);
    mira_time_t deadline = mira_clock_monotonic() + CONNECT_TIMEOUT;
    const char *why = NULL;
    r = mira_xenbus_wait_backend_state(&s->xb, MIRA_XENBUS_BIT(XenbusStateInitWait), deadline);
    if (r < 0)
        return fail_connect(s, r, "%s: backend never reached InitWait: %s", vdev);
    r = setup_ring(s, &lim, &why);
    if (r < 0)
        return fail_connect(s, r, "%s: %s", why ? why : "ring setup");
    r = mira_xenbus_wait_backend_state(&s->xb, MIRA_XENBUS_BIT(XenbusStateConnected), deadline);
    if (r < 0)
        return fail_connect(s, r, "%s: backend never connected: %s", vdev);
    why = NULL;
    r = setup_device(s, &lim, &why);
    if (r < 0)
        return fail_connect(s, r, "%s: %s", why ? why : "device setup");
    if (!mira_block_sector_size_ok(s->bd.sector_size))
        return fail_connect(s, MIRA_ENOTSUP, "%s: sector size not supported (%s)", vdev);
    r = mira_xenbus_switch_state(&s->xb, XenbusStateConnected);
    if (r < 0)
        return fail_connect(s, r, "%s: xenbus: %s", vdev);

    s->dev.ops = &blkfront_ops;
    s->dev.name = s->name;
    s->dev.info = (struct mira_block_info){
        .sectors = s->bd.sectors, .sector_size = s->bd.sector_size,
        .read_write = !s->bd.readonly, .discard = s->bd.discard,
    };
    s->st.ring_pages = s->tr.ring_pages;
    s->st.ring_size = s->tr.ring_size;
    s->st.indirect_segs = s->bd.indirect_segs;
    s->st.persistent = s->bd.persistent;
    s->st.flush = s->bd.flush;
    mira_log(MIRA_LOG_INFO, DRIVER, "%s: %s (vbd %u): %llu sectors of %u bytes, %s; ring %u "
             "page(s) (%u slots), indirect %u, persistent %s, flush %s, discard %s",
             name, vdev, (unsigned)s->vdev, (unsigned long long)s->bd.sectors,
             (unsigned)s->bd.sector_size, s->bd.readonly ? "read-only" : "read-write",
             s->tr.ring_pages, s->tr.ring_size, s->bd.indirect_segs,
             s->bd.persistent ? "yes" : "no", s->bd.flush ? "yes" : "no",
             s->bd.discard ? "yes" : "no");
    *out = &s->dev;
    return 0;
}
