/* ipv4_reass.c - IPv4 fragment reassembly in bounded memory.
 * See mira/tcpip/ipv4_reass.h for the limits and the overlap policy. */
#include <mira/tcpip/ipv4_reass.h>

#include <stdbool.h>
#include <string.h>

/* One fragment's copied payload: [off, off + len) of the datagram. */
struct frag {
    struct frag *next; /* by offset, ascending, never overlapping */
    uint16_t off;
    uint16_t len;
    uint8_t data[];
};

struct mira_ipv4_reass_dgram {
    struct mira_ipv4_reass_dgram *next; /* younger */
    struct mira_ipv4_reass_dgram *prev; /* older */
    uint32_t src, dst;                  /* the key (RFC 791: with id, proto) */
    uint16_t id;
    uint8_t proto;
    bool has_last;                      /* the fragment without MF came */
    bool has_first;                     /* the fragment at offset 0 came */
    uint32_t end;                       /* payload length, once has_last */
    uint32_t max_end;                   /* highest end of a fragment held */
    uint32_t received;                  /* payload bytes held */
    size_t bytes;                       /* memory held, this struct included */
    uint64_t first_seen;
    struct mira_ipv4_hdr first_hdr;     /* the offset-0 fragment's header */
    struct frag *frags;
};

static int drop(enum mira_tcpip_drop *why, enum mira_tcpip_drop reason, int err)
{
    if (why != NULL)
        *why = reason;
    return err;
}

int mira_ipv4_reass_init(struct mira_ipv4_reass *r, const struct mira_ipv4_reass_limits *limits,
                         const struct mira_ipv4_reass_allocator *allocator)
{
    if (limits->max_datagrams < 1 || limits->max_len < 8 ||
        limits->max_len > MIRA_IPV4_MAX_LEN - MIRA_IPV4_HDR_LEN ||
        allocator->alloc == NULL || allocator->free == NULL)
        return MIRA_EINVAL;
    memset(r, 0, sizeof(*r));
    r->limits = *limits;
    r->allocator = *allocator;
    return 0;
}

/* Unlinks d from the in-progress list (it must be on it). */
static void unlink_dgram(struct mira_ipv4_reass *r, struct mira_ipv4_reass_dgram *d)
{
    if (d->prev != NULL)
        d->prev->next = d->next;
    else
        r->oldest = d->next;
    if (d->next != NULL)
        d->next->prev = d->prev;
    else
        r->newest = d->prev;
    d->next = d->prev = NULL;
    r->count--;
}

/* Frees d and everything it holds (d is on no list). */
static void free_dgram(struct mira_ipv4_reass *r, struct mira_ipv4_reass_dgram *d)
{
    struct frag *f = d->frags;
    while (f != NULL) {
        struct frag *next = f->next;
        r->allocator.free(r->allocator.ctx, f, sizeof(*f) + f->len);
        f = next;
    }
    r->bytes -= d->bytes;
    r->allocator.free(r->allocator.ctx, d, sizeof(*d));
}

static void drop_dgram(struct mira_ipv4_reass *r, struct mira_ipv4_reass_dgram *d)
{
    unlink_dgram(r, d);
    free_dgram(r, d);
}

static bool expired(const struct mira_ipv4_reass *r, const struct mira_ipv4_reass_dgram *d, uint64_t now)
{
    /* A clock that went backwards expires nothing. */
    return now >= d->first_seen && now - d->first_seen >= r->limits.timeout_ns;
}

int mira_ipv4_reass_expire(struct mira_ipv4_reass *r, uint64_t now)
{
    int n = 0;
    /* The list is by age, but a clock that jumped back may break the
     * order, so every datagram is looked at (there are few). */
    for (struct mira_ipv4_reass_dgram *d = r->oldest, *next; d != NULL; d = next) {
        next = d->next;
        if (expired(r, d, now)) {
            drop_dgram(r, d);
            r->stats.timed_out++;
            n++;
        }
    }
    return n;
}

void mira_ipv4_reass_fini(struct mira_ipv4_reass *r)
{
    while (r->oldest != NULL)
        drop_dgram(r, r->oldest);
    if (r->done != NULL) {
        free_dgram(r, r->done);
        r->done = NULL;
    }
}

/* Evicts the oldest datagram other than keep; false when there is none. */
static bool evict_one(struct mira_ipv4_reass *r, struct mira_ipv4_reass_dgram *keep)
{
    struct mira_ipv4_reass_dgram *victim = r->oldest;
    if (victim == keep)
        victim = victim->next;
    if (victim == NULL)
        return false;
    drop_dgram(r, victim);
    r->stats.evicted++;
    return true;
}

/* Makes room for size more bytes without touching keep; false when even
 * evicting every other datagram would not. */
static bool make_room(struct mira_ipv4_reass *r, struct mira_ipv4_reass_dgram *keep, size_t size)
{
    size_t kept = keep != NULL ? keep->bytes : 0;
    if (size > r->limits.max_bytes || kept > r->limits.max_bytes - size)
        return false;
    while (r->bytes + size > r->limits.max_bytes)
        if (!evict_one(r, keep))
            return false;
    return true;
}

static struct mira_ipv4_reass_dgram *find(struct mira_ipv4_reass *r, const struct mira_ipv4_hdr *h)
{
    for (struct mira_ipv4_reass_dgram *d = r->oldest; d != NULL; d = d->next)
        if (d->id == h->id && d->src == h->src && d->dst == h->dst && d->proto == h->proto)
            return d;
    return NULL;
}

static struct mira_ipv4_reass_dgram *new_dgram(struct mira_ipv4_reass *r, const struct mira_ipv4_hdr *h,
                                               size_t frag_size, uint64_t now, enum mira_tcpip_drop *reason)
{
    size_t size = sizeof(struct mira_ipv4_reass_dgram);
    if (r->count >= r->limits.max_datagrams)
        evict_one(r, NULL);
    /* Room for the datagram and its first fragment at once, so that a
     * datagram is never created only to be dropped for lack of room. */
    if (frag_size > SIZE_MAX - size || !make_room(r, NULL, size + frag_size)) {
        *reason = MIRA_DROP_REASS_TOO_BIG;
        return NULL;
    }
    struct mira_ipv4_reass_dgram *d = r->allocator.alloc(r->allocator.ctx, size);
    if (d == NULL) {
        *reason = MIRA_DROP_REASS_NOMEM;
        return NULL;
    }
    memset(d, 0, size);
    d->src = h->src;
    d->dst = h->dst;
    d->id = h->id;
    d->proto = h->proto;
    d->first_seen = now;
    d->bytes = size;
    r->bytes += size;
    d->prev = r->newest;
    if (r->newest != NULL)
        r->newest->next = d;
    else
        r->oldest = d;
    r->newest = d;
    r->count++;
    return d;
}

int mira_ipv4_reass_input(struct mira_ipv4_reass *r, const struct mira_ipv4_hdr *h,
                          const uint8_t *payload, uint64_t now, enum mira_tcpip_drop *why)
{
    mira_ipv4_reass_expire(r, now);
    if (r->done != NULL) {
        free_dgram(r, r->done);
        r->done = NULL;
        r->stats.not_taken++;
    }

    size_t len = mira_ipv4_payload_len(h);
    size_t off = h->frag_off;
    size_t end = off + len;
    if (len == 0)
        return drop(why, MIRA_DROP_REASS_EMPTY, MIRA_ECORRUPT);
    if (h->mf && len % 8 != 0)
        return drop(why, MIRA_DROP_REASS_FRAG_ALIGN, MIRA_ECORRUPT);

    struct mira_ipv4_reass_dgram *d = find(r, h);
    enum mira_tcpip_drop reason = MIRA_DROP_NONE;
    int err = MIRA_ECORRUPT;
    if (end > r->limits.max_len || end + h->hdr_len > MIRA_IPV4_MAX_LEN) {
        reason = MIRA_DROP_REASS_TOO_BIG;
        err = MIRA_ENOMEM;
        goto drop_datagram;
    }

    /* Where it goes, and whether it fits with what is held. */
    struct frag **link = NULL;
    bool duplicate = false;
    if (d != NULL) {
        if (!h->mf && ((d->has_last && d->end != end) || end < d->max_end)) {
            reason = MIRA_DROP_REASS_INCONSISTENT;
            goto drop_datagram;
        }
        if (h->mf && d->has_last && end > d->end) {
            reason = MIRA_DROP_REASS_INCONSISTENT;
            goto drop_datagram;
        }
        link = &d->frags;
        while (*link != NULL && (size_t)(*link)->off + (*link)->len <= off)
            link = &(*link)->next;
        struct frag *f = *link; /* the first fragment ending after off */
        if (f != NULL && f->off < end) {
            if (f->off == off && f->len == len && memcmp(f->data, payload, len) == 0) {
                duplicate = true;
            } else {
                reason = MIRA_DROP_REASS_OVERLAP;
                goto drop_datagram;
            }
        }
    }

    if (!duplicate) {
        size_t size = sizeof(struct frag) + len;
        if (d == NULL) {
            d = new_dgram(r, h, size, now, &reason);
            if (d == NULL)
                return drop(why, reason, MIRA_ENOMEM);
            link = &d->frags;
        } else if (!make_room(r, d, size)) {
            reason = MIRA_DROP_REASS_TOO_BIG;
            err = MIRA_ENOMEM;
            goto drop_datagram;
        }
        struct frag *f = r->allocator.alloc(r->allocator.ctx, size);
        if (f == NULL) {
            reason = MIRA_DROP_REASS_NOMEM;
            err = MIRA_ENOMEM;
            goto drop_datagram;
        }
        f->off = (uint16_t)off;
        f->len = (uint16_t)len;
        memcpy(f->data, payload, len);
        f->next = *link;
        *link = f;
        d->bytes += size;
        r->bytes += size;
        d->received += (uint32_t)len;
        if (end > d->max_end)
            d->max_end = (uint32_t)end;
        if (off == 0) {
            d->first_hdr = *h;
            d->has_first = true;
        }
    }
    if (!h->mf) {
        d->has_last = true;
        d->end = (uint32_t)end;
    }
    if (d->has_last && d->received == d->end) {
        /* No overlaps and no data past the end: the fragments tile
         * [0, end) exactly. */
        unlink_dgram(r, d);
        r->done = d;
        r->stats.completed++;
        return (int)d->end;
    }
    if (duplicate)
        return drop(why, MIRA_DROP_REASS_DUPLICATE, MIRA_ECORRUPT);
    return 0;

drop_datagram:
    if (d != NULL)
        drop_dgram(r, d);
    return drop(why, reason, err);
}

int mira_ipv4_reass_take(struct mira_ipv4_reass *r, struct mira_ipv4_hdr *h, uint8_t *dst, size_t cap)
{
    struct mira_ipv4_reass_dgram *d = r->done;
    if (d == NULL)
        return MIRA_ENOENT;
    if (cap < d->end)
        return MIRA_ENOMEM;
    for (struct frag *f = d->frags; f != NULL; f = f->next)
        memcpy(dst + f->off, f->data, f->len);
    *h = d->first_hdr;
    h->hdr_len = MIRA_IPV4_HDR_LEN;
    h->total_len = (uint16_t)(MIRA_IPV4_HDR_LEN + d->end);
    h->mf = false;
    h->frag_off = 0;
    h->options = NULL;
    int n = (int)d->end;
    r->done = NULL;
    free_dgram(r, d);
    return n;
}
