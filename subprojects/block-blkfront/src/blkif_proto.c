/* blkif_proto.c - blkfront's ring protocol (mira/blkif_proto.h): caller
 * requests into ring requests, ring ids, responses checked and folded. */
#include <string.h>
#include <mira/error.h>
#include <mira/blkif_proto.h>

enum { SLOT_FREE, SLOT_IN_FLIGHT, SLOT_DONE };
#define NIL 0xffffu

/* Severity of a part's status; the request takes the worst of its parts. */
enum { SEV_OK, SEV_ENOTSUP, SEV_EIO };

/* How a READ/WRITE is cut: nsegs segments, per_part in each ring request
 * (the last may hold fewer), indirect requests or direct ones. */
struct plan {
    unsigned long nsegs;
    unsigned per_part;
    bool indirect;
    long parts;
};

unsigned mira_blkif_indirect_pages(const struct mira_blkif_device *dev)
{
    return (unsigned)((dev->indirect_segs + MIRA_BLKIF_SEGS_PER_INDIRECT_PAGE - 1) /
                      MIRA_BLKIF_SEGS_PER_INDIRECT_PAGE);
}

unsigned mira_blkif_grefs_per_id(const struct mira_blkif_device *dev)
{
    if (dev->indirect_segs == 0)
        return BLKIF_MAX_SEGMENTS_PER_REQUEST;
    return dev->indirect_segs + mira_blkif_indirect_pages(dev);
}

static void push_free(struct mira_blkif_table *t, uint16_t id)
{
    t->slots[id].state = SLOT_FREE;
    t->slots[id].next = t->free_head;
    t->free_head = id;
    t->nr_free++;
}

static uint16_t pop_free(struct mira_blkif_table *t)
{
    uint16_t id = t->free_head;
    t->free_head = t->slots[id].next;
    t->nr_free--;
    return id;
}

int mira_blkif_table_init(struct mira_blkif_table *t, unsigned ring_size,
                          struct mira_blkif_slot *slots, uint32_t *grefs,
                          unsigned grefs_per_id)
{
    if (ring_size == 0 || ring_size >= NIL ||
        grefs_per_id < BLKIF_MAX_SEGMENTS_PER_REQUEST)
        return MIRA_EINVAL;
    memset(t, 0, sizeof(*t));
    memset(slots, 0, ring_size * sizeof(*slots));
    t->slots = slots;
    t->grefs = grefs;
    t->ring_size = ring_size;
    t->grefs_per_id = grefs_per_id;
    t->free_head = NIL;
    for (unsigned id = ring_size; id-- > 0;) /* so id 0 is handed out first */
        push_free(t, (uint16_t)id);
    return 0;
}

/* Checks a READ/WRITE's buffers against dev and req->count and counts its
 * segments (pages touched, each buffer on its own). */
static int check_bufs(const struct mira_blkif_device *dev,
                      const struct mira_blkif_request *req,
                      unsigned long *nsegs)
{
    uint64_t total = 0;
    unsigned long segs = 0;
    uint32_t ss = dev->sector_size;
    for (unsigned i = 0; i < req->nr_bufs; i++) {
        const struct mira_blkif_buf *b = &req->bufs[i];
        if (b->addr % ss != 0 || b->len % ss != 0)
            return MIRA_EINVAL;
        if (b->len == 0)
            continue;
        if (b->addr + b->len < b->addr || total + b->len < total)
            return MIRA_EINVAL;
        total += b->len;
        segs += (b->addr + b->len - 1) / MIRA_BLKIF_PAGE_SIZE -
                b->addr / MIRA_BLKIF_PAGE_SIZE + 1;
    }
    if (req->count > UINT64_MAX / ss || total != req->count * ss)
        return MIRA_EINVAL;
    *nsegs = segs;
    return 0;
}

static long make_plan(const struct mira_blkif_device *dev,
                      const struct mira_blkif_request *req, struct plan *p)
{
    p->nsegs = 0;
    p->per_part = 0;
    p->indirect = false;
    p->parts = 1;
    switch (req->op) {
    case MIRA_BLKIF_FLUSH:
        if (req->count != 0 || req->nr_bufs != 0)
            return MIRA_EINVAL;
        return dev->flush ? 1 : MIRA_ENOTSUP;
    case MIRA_BLKIF_DISCARD:
        if (!dev->discard || (req->secure && !dev->discard_secure))
            return MIRA_ENOTSUP;
        if (req->nr_bufs != 0)
            return MIRA_EINVAL;
        break;
    case MIRA_BLKIF_READ:
    case MIRA_BLKIF_WRITE: {
        int rc = check_bufs(dev, req, &p->nsegs);
        if (rc != 0)
            return rc;
        break;
    }
    default:
        return MIRA_EINVAL;
    }
    if (req->count == 0)
        return MIRA_EINVAL;
    if (req->sector > dev->sectors || req->count > dev->sectors - req->sector)
        return MIRA_ERANGE;
    if (req->op == MIRA_BLKIF_DISCARD)
        return 1;
    if (p->nsegs <= BLKIF_MAX_SEGMENTS_PER_REQUEST) {
        p->per_part = BLKIF_MAX_SEGMENTS_PER_REQUEST;
    } else if (dev->indirect_segs > BLKIF_MAX_SEGMENTS_PER_REQUEST) {
        p->per_part = dev->indirect_segs;
        p->indirect = true;
    } else {
        p->per_part = BLKIF_MAX_SEGMENTS_PER_REQUEST;
    }
    p->parts = (long)((p->nsegs + p->per_part - 1) / p->per_part);
    return p->parts;
}

long mira_blkif_parts(const struct mira_blkif_device *dev,
                      const struct mira_blkif_request *req)
{
    struct plan p;
    return make_plan(dev, req, &p);
}

/* Walks a request's buffers one segment (the part in one page) at a time. */
struct cursor {
    const struct mira_blkif_buf *bufs;
    unsigned nr, i;
    size_t off;
};

static void next_seg(struct cursor *c, uintptr_t *page, uint8_t *first,
                     uint8_t *last)
{
    while (c->off == c->bufs[c->i].len) { /* skips empty buffers */
        c->i++;
        c->off = 0;
    }
    const struct mira_blkif_buf *b = &c->bufs[c->i];
    uintptr_t a = b->addr + c->off;
    size_t in_page = MIRA_BLKIF_PAGE_SIZE - a % MIRA_BLKIF_PAGE_SIZE;
    size_t n = b->len - c->off < in_page ? b->len - c->off : in_page;
    *page = a - a % MIRA_BLKIF_PAGE_SIZE;
    *first = (uint8_t)(a % MIRA_BLKIF_PAGE_SIZE / MIRA_BLKIF_SECTOR);
    *last = (uint8_t)(*first + n / MIRA_BLKIF_SECTOR - 1);
    c->off += n;
}

/* Grants one page for ring id id, remembering the reference there. */
static int grant(struct mira_blkif_table *t, uint16_t id,
                 const struct mira_blkif_grant_ops *g, uintptr_t page,
                 bool backend_writes, uint32_t *gref)
{
    int rc = g->grant(g->ctx, page, backend_writes, gref);
    if (rc < 0)
        return rc;
    struct mira_blkif_slot *s = &t->slots[id];
    t->grefs[(size_t)id * t->grefs_per_id + s->nr_grefs++] = *gref;
    return 0;
}

/* Fills one READ/WRITE part of n segments from the cursor. */
static int build_rw(struct mira_blkif_table *t, uint16_t id, uint16_t handle,
                    uint8_t op, uint64_t *sector, unsigned n, bool indirect,
                    struct cursor *cur, const struct mira_blkif_grant_ops *g,
                    union blkif_sring_entry *slot)
{
    struct blkif_request_segment seg[BLKIF_MAX_SEGMENTS_PER_REQUEST];
    uint64_t first_sector = *sector;
    for (unsigned j = 0; j < n; j++) {
        struct blkif_request_segment sg = {0};
        uintptr_t page;
        next_seg(cur, &page, &sg.first_sect, &sg.last_sect);
        int rc = grant(t, id, g, page, op == BLKIF_OP_READ, &sg.gref);
        if (rc < 0)
            return rc;
        *sector += (uint64_t)(sg.last_sect - sg.first_sect + 1);
        if (indirect) {
            char *ipage = g->indirect_page(g->ctx, id,
                                           j / MIRA_BLKIF_SEGS_PER_INDIRECT_PAGE);
            memcpy(ipage + j % MIRA_BLKIF_SEGS_PER_INDIRECT_PAGE * sizeof(sg),
                   &sg, sizeof(sg));
        } else {
            seg[j] = sg;
        }
    }
    memset(slot, 0, sizeof(*slot));
    if (!indirect) {
        struct blkif_request r = {
            .operation = op, .nr_segments = (uint8_t)n, .handle = handle,
            .id = id, .sector_number = first_sector,
        };
        memcpy(r.seg, seg, n * sizeof(seg[0]));
        memcpy(slot, &r, sizeof(r));
        return 0;
    }
    struct blkif_request_indirect r = {
        .operation = BLKIF_OP_INDIRECT, .indirect_op = op,
        .nr_segments = (uint16_t)n, .id = id,
        .sector_number = first_sector, .handle = handle,
    };
    unsigned pages = (n + MIRA_BLKIF_SEGS_PER_INDIRECT_PAGE - 1) /
                     MIRA_BLKIF_SEGS_PER_INDIRECT_PAGE;
    for (unsigned k = 0; k < pages; k++) {
        /* The backend only reads the segment lists. */
        int rc = grant(t, id, g, (uintptr_t)g->indirect_page(g->ctx, id, k),
                       false, &r.indirect_grefs[k]);
        if (rc < 0)
            return rc;
    }
    memcpy(slot, &r, sizeof(r));
    return 0;
}

/* Frees every id of the caller request whose first part is head. */
static void free_chain(struct mira_blkif_table *t, uint16_t head)
{
    for (uint16_t id = head, next; id != NIL; id = next) {
        next = t->slots[id].next;
        push_free(t, id);
    }
}

long mira_blkif_build(struct mira_blkif_table *t,
                      const struct mira_blkif_device *dev, uint16_t handle,
                      const struct mira_blkif_request *req,
                      const struct mira_blkif_grant_ops *g,
                      union blkif_sring_entry *slots, unsigned nr_slots)
{
    if (t->broken)
        return MIRA_EIO;
    struct plan p;
    long parts = make_plan(dev, req, &p);
    if (parts < 0)
        return parts;
    if ((unsigned long)parts > t->ring_size ||
        p.per_part + (p.indirect ? mira_blkif_indirect_pages(dev) : 0) >
            t->grefs_per_id)
        return MIRA_EINVAL;
    if ((unsigned long)parts > t->nr_free || (unsigned long)parts > nr_slots)
        return MIRA_EAGAIN;

    /* Take the ids first, chained in order; the first is the head. */
    uint16_t head = NIL;
    for (long i = 0; i < parts; i++) {
        uint16_t id = pop_free(t);
        struct mira_blkif_slot *s = &t->slots[id];
        memset(s, 0, sizeof(*s));
        s->state = SLOT_IN_FLIGHT;
        s->next = head; /* reversed: ids come off the free list in order */
        head = id;
    }
    uint16_t prev = NIL; /* reverse the chain back into part order */
    for (uint16_t id = head, next; id != NIL; id = next) {
        next = t->slots[id].next;
        t->slots[id].next = prev;
        prev = id;
    }
    head = prev;
    for (uint16_t id = head; id != NIL; id = t->slots[id].next)
        t->slots[id].head = head;
    t->slots[head].parts_left = (uint16_t)parts;
    t->slots[head].cookie = req->cookie;

    uint64_t per = dev->sector_size / MIRA_BLKIF_SECTOR;
    uint64_t sector = req->sector * per; /* 512-byte units on the ring */
    struct cursor cur = {req->bufs, req->nr_bufs, 0, 0};
    unsigned long segs_left = p.nsegs;
    int rc = 0;
    unsigned i = 0;
    for (uint16_t id = head; id != NIL && rc == 0; id = t->slots[id].next, i++) {
        struct mira_blkif_slot *s = &t->slots[id];
        if (req->op == MIRA_BLKIF_FLUSH) {
            struct blkif_request r = {
                .operation = dev->flush_op, .handle = handle, .id = id,
            };
            s->op = s->inner_op = dev->flush_op;
            memset(&slots[i], 0, sizeof(slots[i]));
            memcpy(&slots[i], &r, sizeof(r));
        } else if (req->op == MIRA_BLKIF_DISCARD) {
            struct blkif_request_discard r = {
                .operation = BLKIF_OP_DISCARD,
                .flag = req->secure ? BLKIF_DISCARD_SECURE : 0,
                .handle = handle, .id = id, .sector_number = sector,
                .nr_sectors = req->count * per,
            };
            s->op = s->inner_op = BLKIF_OP_DISCARD;
            memset(&slots[i], 0, sizeof(slots[i]));
            memcpy(&slots[i], &r, sizeof(r));
        } else {
            unsigned n = segs_left < p.per_part ? (unsigned)segs_left : p.per_part;
            uint8_t op = req->op == MIRA_BLKIF_READ ? BLKIF_OP_READ
                                                    : BLKIF_OP_WRITE;
            s->op = p.indirect ? BLKIF_OP_INDIRECT : op;
            s->inner_op = op;
            rc = build_rw(t, id, handle, op, &sector, n, p.indirect, &cur,
                          g, &slots[i]);
            segs_left -= n;
        }
    }
    if (rc < 0) {
        /* Lose nothing: every grant made so far goes back, every id too. */
        for (uint16_t id = head; id != NIL; id = t->slots[id].next) {
            struct mira_blkif_slot *s = &t->slots[id];
            const uint32_t *gr = &t->grefs[(size_t)id * t->grefs_per_id];
            for (unsigned k = 0; k < s->nr_grefs; k++)
                g->release(g->ctx, gr[k]);
            s->nr_grefs = 0;
        }
        free_chain(t, head);
        return rc;
    }
    t->in_flight += (unsigned)parts;
    return parts;
}

/* A refusal: the backend broke the protocol; only drain() works now. */
static int refuse(struct mira_blkif_table *t, const char *reason,
                  const char **why)
{
    t->broken = true;
    t->refused++;
    t->last_why = reason;
    *why = reason;
    return MIRA_ECORRUPT;
}

long mira_blkif_check_rsp_prod(struct mira_blkif_table *t, uint32_t rsp_prod,
                               uint32_t rsp_cons, uint32_t req_prod,
                               const char **why)
{
    if (t->broken) {
        *why = "device already failed";
        return MIRA_EIO;
    }
    uint32_t avail = rsp_prod - rsp_cons; /* free-running, mod 2^32 */
    if (avail > t->ring_size)
        return refuse(t, "response producer more than a ring ahead", why);
    if (avail > req_prod - rsp_cons || avail > t->in_flight)
        return refuse(t, "more responses than requests: a request count "
                         "that does not add up", why);
    return (long)avail;
}

/* Records that ring id id ended with severity sev and fills *c. */
static void finish_part(struct mira_blkif_table *t, uint16_t id, int sev,
                        struct mira_blkif_completion *c)
{
    struct mira_blkif_slot *s = &t->slots[id];
    struct mira_blkif_slot *h = &t->slots[s->head];
    s->state = SLOT_DONE;
    t->in_flight--;
    if (sev > h->status)
        h->status = (int8_t)sev;
    c->id = id;
    c->grefs = &t->grefs[(size_t)id * t->grefs_per_id];
    c->nr_grefs = s->nr_grefs;
    c->request_done = --h->parts_left == 0;
    c->cookie = NULL;
    c->status = 0;
    if (c->request_done) {
        c->cookie = h->cookie;
        c->status = h->status == SEV_EIO ? MIRA_EIO
                  : h->status == SEV_ENOTSUP ? MIRA_ENOTSUP : 0;
        free_chain(t, s->head);
    }
}

int mira_blkif_complete(struct mira_blkif_table *t,
                        const struct blkif_response *rsp,
                        struct mira_blkif_completion *c, const char **why)
{
    if (t->broken) {
        *why = "device already failed";
        return MIRA_EIO;
    }
    if (rsp->id >= t->ring_size)
        return refuse(t, "response id out of range", why);
    uint16_t id = (uint16_t)rsp->id;
    const struct mira_blkif_slot *s = &t->slots[id];
    if (s->state == SLOT_FREE)
        return refuse(t, "response for an id not in flight", why);
    if (s->state == SLOT_DONE)
        return refuse(t, "response for a request already completed", why);
    bool op_ok = rsp->operation == s->op ||
                 (s->op == BLKIF_OP_INDIRECT && rsp->operation == s->inner_op);
    if (!op_ok)
        return refuse(t, "response operation differs from the request's", why);
    int sev;
    switch (rsp->status) {
    case BLKIF_RSP_OKAY: sev = SEV_OK; break;
    case BLKIF_RSP_EOPNOTSUPP: sev = SEV_ENOTSUP; break;
    case BLKIF_RSP_ERROR: sev = SEV_EIO; break;
    default: return refuse(t, "unknown response status", why);
    }
    finish_part(t, id, sev, c);
    return 0;
}

int mira_blkif_drain(struct mira_blkif_table *t,
                     struct mira_blkif_completion *c)
{
    for (unsigned id = 0; id < t->ring_size; id++) {
        if (t->slots[id].state == SLOT_IN_FLIGHT) {
            finish_part(t, (uint16_t)id, SEV_EIO, c);
            return (int)id;
        }
    }
    return MIRA_ENOENT;
}
