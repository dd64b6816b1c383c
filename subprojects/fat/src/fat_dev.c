/* fat_dev.c - reads at any alignment over a unit-aligned device, and the
 * metadata cache (see fat_dev.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <mira/error.h>

#include "fat_dev.h"

/* An allocation aligned to align (a power of two): the pointer to free is
 * kept just below the aligned block. */
static void *alloc_aligned(size_t len, size_t align)
{
    if (align < sizeof(void *))
        align = sizeof(void *);
    uint8_t *raw = malloc(len + align + sizeof(void *));
    if (raw == NULL)
        return NULL;
    uintptr_t p = ((uintptr_t)raw + sizeof(void *) + align - 1) & ~(uintptr_t)(align - 1);
    ((void **)p)[-1] = raw;
    return (void *)p;
}

static void free_aligned(void *p)
{
    if (p != NULL)
        free(((void **)p)[-1]);
}

void *fat_dev_alloc(const struct fat_dev *d, size_t len)
{
    if (d->alloc)
        return d->alloc(d->ctx, len);
    return alloc_aligned(len, d->unit ? d->unit : 1);
}

void fat_dev_release(const struct fat_dev *d, void *p)
{
    if (p == NULL)
        return;
    if (d->release)
        d->release(d->ctx, p);
    else
        free_aligned(p);
}

int fat_dev_read_via(const struct fat_dev *d, uint64_t off, void *buf, size_t len,
                     uint8_t *bounce)
{
    if (len == 0)
        return 0;
    if (off > d->size || len > d->size - off)
        return MIRA_ECORRUPT;
    uint64_t u = d->unit;
    if (u <= 1 || (off % u == 0 && len % u == 0 && (uintptr_t)buf % u == 0))
        return d->read(d->ctx, off, buf, len);
    size_t cap = FAT_BOUNCE_BYTES < u ? (size_t)u : FAT_BOUNCE_BYTES;
    bool own = bounce == NULL;
    if (own && (bounce = fat_dev_alloc(d, cap)) == NULL)
        return MIRA_ENOMEM;
    uint8_t *out = buf;
    int r = 0;
    while (len > 0) {
        uint64_t start = off - off % u;
        size_t skip = (size_t)(off - start);
        uint64_t span = skip + (uint64_t)len;
        span = (span + u - 1) / u * u;
        if (span > cap)
            span = cap;
        if (start + span > d->size) /* d->size is a multiple of u */
            span = d->size - start;
        r = d->read(d->ctx, start, bounce, (size_t)span);
        if (r < 0)
            break;
        size_t n = (size_t)span - skip;
        if (n > len)
            n = len;
        memcpy(out, bounce + skip, n);
        out += n;
        off += n;
        len -= n;
    }
    if (own)
        fat_dev_release(d, bounce);
    return r;
}

int fat_dev_read(const struct fat_dev *d, uint64_t off, void *buf, size_t len)
{
    return fat_dev_read_via(d, off, buf, len, NULL);
}

int fat_cache_init(struct fat_cache *c, const struct fat_dev *d)
{
    memset(c, 0, sizeof(*c));
    c->chunk = d->unit > 4096 ? d->unit : 4096;
    for (int i = 0; i < FAT_CACHE_SLOTS; i++)
        c->slot[i].off = UINT64_MAX;
    return 0;
}

void fat_cache_fini(struct fat_cache *c, const struct fat_dev *d)
{
    for (int i = 0; i < FAT_CACHE_SLOTS; i++) {
        fat_dev_release(d, c->slot[i].data);
        c->slot[i].data = NULL;
        c->slot[i].off = UINT64_MAX;
    }
}

int fat_cache_bytes(struct fat_cache *c, const struct fat_dev *d, uint64_t off,
                    void *out, size_t len)
{
    uint64_t base = off - off % c->chunk;
    size_t in = (size_t)(off - base);
    /* The chunk used last first: a chain or directory walk stays in one
     * chunk for many entries. */
    for (int k = -1; k < FAT_CACHE_SLOTS; k++) {
        int i = k < 0 ? (int)c->last : k;
        struct fat_cache_slot *s = &c->slot[i];
        if (s->off == base) {
            c->last = (unsigned)i;
            if (in + len > s->len)
                return MIRA_ECORRUPT;
            s->stamp = ++c->clock;
            c->hits++;
            memcpy(out, s->data + in, len);
            return 0;
        }
    }
    if (base >= d->size)
        return MIRA_ECORRUPT;
    uint64_t n = d->size - base < c->chunk ? d->size - base : c->chunk;
    if (in + len > n)
        return MIRA_ECORRUPT;
    uint8_t *fresh = fat_dev_alloc(d, c->chunk);
    if (fresh == NULL)
        return MIRA_ENOMEM;
    int r = d->read(d->ctx, base, fresh, (size_t)n);
    if (r < 0) {
        fat_dev_release(d, fresh);
        return r;
    }
    c->misses++;
    /* No wait from here on: another fiber may have cached the same chunk
     * while this one read it; either copy is right. */
    struct fat_cache_slot *victim = &c->slot[0];
    for (int i = 1; i < FAT_CACHE_SLOTS; i++)
        if (c->slot[i].stamp < victim->stamp)
            victim = &c->slot[i];
    fat_dev_release(d, victim->data);
    victim->data = fresh;
    victim->off = base;
    victim->len = (uint32_t)n;
    victim->stamp = ++c->clock;
    c->last = (unsigned)(victim - c->slot);
    memcpy(out, fresh + in, len);
    return 0;
}
