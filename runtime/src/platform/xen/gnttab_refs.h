/*
 * gnttab_refs.h - the free list of grant references, pure C.
 *
 * The grant table grows a frame at a time; its references are handed out
 * from a LIFO free list kept in an array the caller sizes for the largest
 * table Xen allows, with one link per entry (0 ends the list: entry 0 is
 * the toolstack's and never free).  An entry in use holds a marker instead
 * of a link, so ending a reference twice is caught.  No Xen here: gnttab.c
 * does the hypercalls, tests/xen/unit checks this on the build machine.
 */
#ifndef MIRA_XEN_GNTTAB_REFS_H
#define MIRA_XEN_GNTTAB_REFS_H

#include <stdint.h>

/* Entries below this belong to the toolstack (GNTTAB_NR_RESERVED_ENTRIES). */
#define MIRA_GNTTAB_RESERVED 8u

struct mira_gnttab_refs {
    uint32_t *link; /* per entry: the next free ref, or the in-use marker */
    uint32_t head;  /* first free ref; 0 when none is */
    uint32_t nr;    /* entries the table has now */
    uint32_t cap;   /* entries link[] can hold */
    uint32_t nfree;
};

/* Starts with a table of 0 entries; link has room for cap entries. */
void mira_gnttab_refs_init(struct mira_gnttab_refs *r, uint32_t *link, uint32_t cap);

/* The table now has nr entries (more than before, at most cap): the new
 * ones (above the reserved ones) become free.  0 or MIRA_EINVAL. */
int mira_gnttab_refs_grow(struct mira_gnttab_refs *r, uint32_t nr);

/* Takes a free reference: >= MIRA_GNTTAB_RESERVED, or MIRA_ENOMEM when
 * none is free (the caller may grow the table and retry). */
long mira_gnttab_refs_get(struct mira_gnttab_refs *r);

/* Returns ref to the free list.  0, or MIRA_EINVAL (nothing changes) for a
 * reserved or out-of-range ref or one that is not in use. */
int mira_gnttab_refs_put(struct mira_gnttab_refs *r, uint32_t ref);

/* True if ref is handed out. */
int mira_gnttab_refs_in_use(const struct mira_gnttab_refs *r, uint32_t ref);

#endif
