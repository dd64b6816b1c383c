/* malloc.c - the guest's heap over the platform's page allocator.
 *
 * Small blocks (up to 2 KiB with the header) come from power-of-two size classes, each
 * carved out of whole pages and recycled through a free list per class.
 * Larger blocks are whole page runs.  Every block is preceded by a 16-byte
 * header recording its class (or page count), so free() needs no size and
 * every block is 16-byte aligned. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mira/log.h>
#include "libc_internal.h"

#define HDR 16u
#define MIN_SHIFT 5  /* the smallest block: 32 bytes, header included */
#define MAX_SHIFT 11 /* the largest: 2 KiB; bigger requests get pages */
#define NCLASSES (MAX_SHIFT - MIN_SHIFT + 1)
#define MAGIC 0x4d495241u /* "MIRA" */

struct hdr {
    uint32_t magic;
    uint32_t cls;    /* size class, or NCLASSES for a page run */
    uint64_t npages; /* for a page run */
};

struct free_block {
    struct free_block *next;
};

static struct free_block *free_lists[NCLASSES];

static int class_of(size_t total)
{
    int c = 0;
    while (((size_t)1 << (MIN_SHIFT + c)) < total)
        c++;
    return c;
}

static int refill(int c)
{
    size_t bs = (size_t)1 << (MIN_SHIFT + c);
    size_t npages = 4;
    char *p = mira_page_alloc(npages);
    if (p == NULL)
        return -1;
    for (size_t off = 0; off + bs <= npages * MIRA_PAGE_SIZE; off += bs) {
        struct free_block *b = (struct free_block *)(p + off);
        b->next = free_lists[c];
        free_lists[c] = b;
    }
    return 0;
}

void *malloc(size_t size)
{
    if (size > ((size_t)1 << 40))
        return NULL;
    size_t total = size + HDR;
    struct hdr *h;
    if (total <= ((size_t)1 << MAX_SHIFT)) {
        int c = class_of(total);
        if (free_lists[c] == NULL && refill(c) < 0)
            return NULL;
        h = (struct hdr *)free_lists[c];
        free_lists[c] = free_lists[c]->next;
        h->cls = (uint32_t)c;
        h->npages = 0;
    } else {
        size_t npages = (total + MIRA_PAGE_SIZE - 1) / MIRA_PAGE_SIZE;
        h = mira_page_alloc(npages);
        if (h == NULL)
            return NULL;
        h->cls = NCLASSES;
        h->npages = npages;
    }
    h->magic = MAGIC;
    return (char *)h + HDR;
}

static struct hdr *header(void *p)
{
    struct hdr *h = (struct hdr *)((char *)p - HDR);
    if (h->magic != MAGIC || h->cls > NCLASSES)
        mira_panic("free/realloc of a pointer malloc did not return: %p", p);
    return h;
}

static size_t usable(struct hdr *h)
{
    if (h->cls == NCLASSES)
        return h->npages * MIRA_PAGE_SIZE - HDR;
    return ((size_t)1 << (MIN_SHIFT + h->cls)) - HDR;
}

void free(void *p)
{
    if (p == NULL)
        return;
    struct hdr *h = header(p);
    h->magic = 0;
    if (h->cls == NCLASSES) {
        mira_page_free(h, h->npages);
        return;
    }
    struct free_block *b = (struct free_block *)h;
    b->next = free_lists[h->cls];
    free_lists[h->cls] = b;
}

void *calloc(size_t n, size_t size)
{
    if (size && n > (size_t)-1 / size)
        return NULL;
    void *p = malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *realloc(void *p, size_t size)
{
    if (p == NULL)
        return malloc(size);
    if (size == 0) {
        free(p);
        return NULL;
    }
    size_t have = usable(header(p));
    if (size <= have)
        return p;
    void *q = malloc(size);
    if (q == NULL)
        return NULL;
    memcpy(q, p, have);
    free(p);
    return q;
}
