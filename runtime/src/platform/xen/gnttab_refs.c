/*
 * gnttab_refs.c - free list of grant references (gnttab_refs.h).
 */
#include <stdint.h>
#include <mira/error.h>
#include "gnttab_refs.h"

#define IN_USE UINT32_MAX

void mira_gnttab_refs_init(struct mira_gnttab_refs *r, uint32_t *link, uint32_t cap)
{
    r->link = link;
    r->head = 0;
    r->nr = 0;
    r->cap = cap;
    r->nfree = 0;
}

int mira_gnttab_refs_grow(struct mira_gnttab_refs *r, uint32_t nr)
{
    if (nr <= r->nr || nr > r->cap)
        return MIRA_EINVAL;
    uint32_t first = r->nr > MIRA_GNTTAB_RESERVED ? r->nr : MIRA_GNTTAB_RESERVED;
    for (uint32_t i = r->nr; i < first && i < nr; i++)
        r->link[i] = IN_USE; /* the toolstack's */
    /* Push from the top down, so the lowest new ref is handed out first. */
    for (uint32_t ref = nr; ref-- > first;) {
        r->link[ref] = r->head;
        r->head = ref;
        r->nfree++;
    }
    r->nr = nr;
    return 0;
}

long mira_gnttab_refs_get(struct mira_gnttab_refs *r)
{
    if (r->head == 0)
        return MIRA_ENOMEM;
    uint32_t ref = r->head;
    r->head = r->link[ref];
    r->link[ref] = IN_USE;
    r->nfree--;
    return ref;
}

int mira_gnttab_refs_in_use(const struct mira_gnttab_refs *r, uint32_t ref)
{
    return ref >= MIRA_GNTTAB_RESERVED && ref < r->nr && r->link[ref] == IN_USE;
}

int mira_gnttab_refs_put(struct mira_gnttab_refs *r, uint32_t ref)
{
    if (!mira_gnttab_refs_in_use(r, ref))
        return MIRA_EINVAL;
    r->link[ref] = r->head;
    r->head = ref;
    r->nfree++;
    return 0;
}
