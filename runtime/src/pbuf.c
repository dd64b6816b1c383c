/* pbuf.c - packet buffers (see mira/pbuf.h).
 *
 * Pages for packets come from mira_pages_alloc one at a time, and freed
 * ones are kept on a free list (linked through the pages themselves) up to
 * PAGE_CACHE_MAX: on unix a page from mmap costs two system calls, which a
 * packet must not pay.  Descriptors (pieces and memory blocks) are malloc'ed,
 * so valgrind sees a leaked packet. */
#include <stdlib.h>
#include <string.h>
#include <mira/log.h>
#include <mira/page.h>
#include <mira/pbuf.h>

#define PAGE_CACHE_MAX 256

static struct {
    void *free_pages;   /* the cache: each page's first word links the next */
    size_t cached;
    size_t pieces, mems, pages;
} P;

static void *page_get(void)
{
    void *pg = P.free_pages;
    if (pg != NULL) {
        P.free_pages = *(void **)pg;
        P.cached--;
    } else {
        pg = mira_pages_alloc(1, 0);
        if (pg == NULL)
            return NULL;
    }
    P.pages++;
    return pg;
}

static void page_put(void *pg)
{
    P.pages--;
    if (P.cached < PAGE_CACHE_MAX) {
        *(void **)pg = P.free_pages;
        P.free_pages = pg;
        P.cached++;
    } else {
        mira_pages_free(pg, 1);
    }
}

void mira_pbuf_cache_release(void)
{
    while (P.free_pages != NULL) {
        void *pg = P.free_pages;
        P.free_pages = *(void **)pg;
        mira_pages_free(pg, 1);
    }
    P.cached = 0;
}

void mira_pbuf_stats(struct mira_pbuf_stats *st)
{
    *st = (struct mira_pbuf_stats){ .pieces = P.pieces, .mems = P.mems,
                                    .pages = P.pages, .pages_cached = P.cached };
}

static struct mira_pbuf_mem *mem_new(void *base, size_t size, mira_pbuf_release_fn release,
                                     void *arg)
{
    struct mira_pbuf_mem *m = malloc(sizeof(*m));
    if (m == NULL)
        return NULL;
    *m = (struct mira_pbuf_mem){ .base = base, .size = (uint32_t)size, .refs = 0,
                                 .release = release, .arg = arg };
    P.mems++;
    return m;
}

static void mem_unref(struct mira_pbuf_mem *m)
{
    MIRA_ASSERT(m->refs > 0);
    if (--m->refs > 0)
        return;
    if (m->release != NULL)
        m->release(m->base, m->arg);
    else
        page_put(m->base);
    P.mems--;
    free(m);
}

/* A piece over [data, data + len) of m, which gains a reference. */
static struct mira_pbuf *piece_new(struct mira_pbuf_mem *m, uint8_t *data, size_t len)
{
    struct mira_pbuf *p = malloc(sizeof(*p));
    if (p == NULL)
        return NULL;
    *p = (struct mira_pbuf){ .data = data, .len = (uint32_t)len, .tot_len = (uint32_t)len,
                             .mem = m };
    m->refs++;
    P.pieces++;
    return p;
}

static void piece_free(struct mira_pbuf *p)
{
    mem_unref(p->mem);
    P.pieces--;
    free(p);
}

/* A piece on a fresh page holding len bytes from offset off. */
static struct mira_pbuf *page_piece(size_t off, size_t len)
{
    void *pg = page_get();
    if (pg == NULL)
        return NULL;
    struct mira_pbuf_mem *m = mem_new(pg, MIRA_PAGE_SIZE, NULL, NULL);
    if (m == NULL) {
        page_put(pg);
        return NULL;
    }
    struct mira_pbuf *p = piece_new(m, (uint8_t *)pg + off, len);
    if (p == NULL) {
        page_put(pg);
        P.mems--;
        free(m);
    }
    return p;
}

void mira_pbuf_free(struct mira_pbuf *p)
{
    while (p != NULL) {
        struct mira_pbuf *next = p->next;
        piece_free(p);
        p = next;
    }
}

struct mira_pbuf *mira_pbuf_alloc(size_t len, size_t headroom)
{
    if (headroom > MIRA_PBUF_HEADROOM_MAX)
        mira_panic("mira_pbuf_alloc: headroom %zu > %u", headroom, MIRA_PBUF_HEADROOM_MAX);
    if (len > UINT32_MAX - MIRA_PAGE_SIZE)
        return NULL;
    size_t first = MIRA_PAGE_SIZE - headroom;
    struct mira_pbuf *head = page_piece(headroom, len < first ? len : first);
    if (head == NULL)
        return NULL;
    struct mira_pbuf *tail = head;
    size_t left = len - head->len;
    while (left > 0) {
        size_t n = left < MIRA_PAGE_SIZE ? left : MIRA_PAGE_SIZE;
        struct mira_pbuf *p = page_piece(0, n);
        if (p == NULL) {
            mira_pbuf_free(head);
            return NULL;
        }
        tail->next = p;
        tail = p;
        left -= n;
    }
    /* tot_len counts this piece and every later one. */
    size_t after = len;
    for (struct mira_pbuf *p = head; p; p = p->next) {
        p->tot_len = (uint32_t)after;
        after -= p->len;
    }
    return head;
}

struct mira_pbuf *mira_pbuf_wrap(void *base, size_t size, size_t offset, size_t len,
                                 mira_pbuf_release_fn release, void *arg)
{
    if (release == NULL || size > UINT32_MAX || offset > size || len > size - offset)
        mira_panic("mira_pbuf_wrap: bad arguments (size %zu, offset %zu, len %zu)",
                   size, offset, len);
    struct mira_pbuf_mem *m = mem_new(base, size, release, arg);
    if (m == NULL)
        return NULL;
    struct mira_pbuf *p = piece_new(m, (uint8_t *)base + offset, len);
    if (p == NULL) {
        P.mems--;
        free(m);
    }
    return p;
}

struct mira_pbuf *mira_pbuf_clone(const struct mira_pbuf *p)
{
    struct mira_pbuf *head = NULL, **link = &head;
    for (const struct mira_pbuf *q = p; q; q = q->next) {
        struct mira_pbuf *c = piece_new(q->mem, q->data, q->len);
        if (c == NULL) {
            mira_pbuf_free(head);
            return NULL;
        }
        c->tot_len = q->tot_len;
        *link = c;
        link = &c->next;
    }
    if (head != NULL)
        head->offload = p->offload;
    return head;
}

size_t mira_pbuf_headroom(const struct mira_pbuf *p)
{
    return (size_t)(p->data - p->mem->base);
}

bool mira_pbuf_writable(const struct mira_pbuf *p)
{
    for (; p; p = p->next)
        if (p->mem->refs > 1)
            return false;
    return true;
}

size_t mira_pbuf_pieces(const struct mira_pbuf *p)
{
    size_t n = 0;
    for (; p; p = p->next)
        n++;
    return n;
}

void *mira_pbuf_push(struct mira_pbuf **pp, size_t n)
{
    struct mira_pbuf *p = *pp;
    if (n > MIRA_PBUF_HEADROOM_MAX || p->tot_len > UINT32_MAX - n)
        return NULL;
    if (p->mem->refs == 1 && mira_pbuf_headroom(p) >= n) {
        p->data -= n;
        p->len += (uint32_t)n;
        p->tot_len += (uint32_t)n;
        return p->data;
    }
    /* No room, or the headroom is another chain's too: a fresh piece in
     * front, with room for the headers of the layers below as well. */
    struct mira_pbuf *h = page_piece(MIRA_PBUF_HEADROOM_MAX, n);
    if (h == NULL)
        return NULL;
    h->next = p;
    h->tot_len = (uint32_t)n + p->tot_len;
    h->offload = p->offload;
    p->offload = (struct mira_pbuf_offload){ 0 };
    *pp = h;
    return h->data;
}

int mira_pbuf_pull(struct mira_pbuf **pp, size_t n)
{
    struct mira_pbuf *p = *pp;
    if (n > p->tot_len)
        return MIRA_EINVAL;
    struct mira_pbuf_offload off = p->offload;
    while (n > 0 && n >= p->len && p->next != NULL) {
        struct mira_pbuf *next = p->next;
        n -= p->len;
        piece_free(p);
        p = next;
    }
    p->data += n;
    p->len -= (uint32_t)n;
    p->tot_len -= (uint32_t)n;
    p->offload = off;
    *pp = p;
    return MIRA_OK;
}

int mira_pbuf_trim(struct mira_pbuf *p, size_t len)
{
    if (len > p->tot_len)
        return MIRA_EINVAL;
    struct mira_pbuf *q = p;
    size_t left = len;
    for (;;) {
        q->tot_len = (uint32_t)left;
        if (left <= q->len) {
            q->len = (uint32_t)left;
            break;
        }
        left -= q->len;
        q = q->next;
    }
    mira_pbuf_free(q->next);
    q->next = NULL;
    return MIRA_OK;
}

void *mira_pbuf_pullup(struct mira_pbuf **pp, size_t n)
{
    struct mira_pbuf *p = *pp;
    if (n > p->tot_len || n > MIRA_PBUF_HEADROOM_MAX)
        return NULL;
    if (p->len >= n)
        return p->data;
    /* A fresh first piece with the n bytes, keeping headroom in front. */
    struct mira_pbuf *h = page_piece(MIRA_PBUF_HEADROOM_MAX, n);
    if (h == NULL)
        return NULL;
    mira_pbuf_copy_out(p, 0, h->data, n);
    h->offload = p->offload;
    p->offload = (struct mira_pbuf_offload){ 0 };
    if (mira_pbuf_pull(&p, n) < 0)
        mira_panic("mira_pbuf_pullup: pull failed");
    if (p->tot_len == 0) {
        mira_pbuf_free(p);
    } else {
        h->next = p;
        h->tot_len = (uint32_t)n + p->tot_len;
    }
    *pp = h;
    return h->data;
}

void mira_pbuf_cat(struct mira_pbuf *head, struct mira_pbuf *tail)
{
    if (tail == NULL)
        return;
    if (head->tot_len > UINT32_MAX - tail->tot_len)
        mira_panic("mira_pbuf_cat: packet longer than 4 GiB");
    tail->offload = (struct mira_pbuf_offload){ 0 };
    struct mira_pbuf *p = head;
    for (;;) {
        p->tot_len += tail->tot_len;
        if (p->next == NULL)
            break;
        p = p->next;
    }
    p->next = tail;
}

size_t mira_pbuf_copy_out(const struct mira_pbuf *p, size_t off, void *buf, size_t len)
{
    size_t done = 0;
    for (; p && done < len; p = p->next) {
        if (off >= p->len) {
            off -= p->len;
            continue;
        }
        size_t n = p->len - off;
        if (n > len - done)
            n = len - done;
        memcpy((uint8_t *)buf + done, p->data + off, n);
        done += n;
        off = 0;
    }
    return done;
}

size_t mira_pbuf_copy_in(struct mira_pbuf *p, size_t off, const void *buf, size_t len)
{
    size_t done = 0;
    for (; p && done < len; p = p->next) {
        if (off >= p->len) {
            off -= p->len;
            continue;
        }
        size_t n = p->len - off;
        if (n > len - done)
            n = len - done;
        memcpy(p->data + off, (const uint8_t *)buf + done, n);
        done += n;
        off = 0;
    }
    return done;
}
