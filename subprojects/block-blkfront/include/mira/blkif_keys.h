/*
 * mira/blkif_keys.h - blkfront's feature negotiation: the backend's
 * xenstore keys (strings, as read) parsed, checked and turned into what
 * this frontend will use.  Pure: no xenstore, no Xen calls.
 *
 * Error contract (mira/error.h): 0 on success, or a negative MIRA_E* with
 * *why set to a short constant text naming the key and the fault, for the
 * driver's log.  A malformed value is MIRA_ECORRUPT, a well-formed value
 * this frontend cannot work with is MIRA_ENOTSUP, a required key that is
 * absent is MIRA_ENOENT.  On failure *out is left unspecified.
 *
 * The keys are documented in Xen's <xen/io/blkif.h>.  Numbers are decimal
 * digits only (no sign, space or suffix) within the key's type; booleans
 * are exactly "0" or "1".  An absent optional key takes blkif.h's default
 * (features off).  Units, as Linux blkback writes them and as every request
 * uses them (this frontend does not write feature-large-sector-size):
 * "sectors" and every sector number on the ring count 512-byte units,
 * whatever "sector-size" (the logical block size) is.
 */
#ifndef MIRA_BLKIF_KEYS_H
#define MIRA_BLKIF_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The unit of "sectors", sector_number, first_sect and last_sect. */
#define MIRA_BLKIF_SECTOR 512u
/* The x86 page: the unit of ring pages, grants and segments. */
#define MIRA_BLKIF_PAGE_SIZE 4096u

/* This frontend's own limits, the other side of every "min(backend, ours)". */
#define MIRA_BLKIF_RING_ORDER_MAX 4u        /* 16 ring pages, Linux's limit too */
#define MIRA_BLKIF_INDIRECT_SEGS_DEFAULT 256u /* Linux blkback's maximum */
/* Indirect segments one request can carry at all: 8 indirect pages
 * (BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST) of 512 segments each. */
#define MIRA_BLKIF_INDIRECT_SEGS_MAX 4096u
/* A backend's max-ring-page-order above this is garbage, not a
 * capability (Linux and Xen's tools offer at most 4). */
#define MIRA_BLKIF_RING_ORDER_ABSURD 16u

/* The backend's keys as read from xenstore, NUL-terminated; NULL = absent.
 * Transport keys (max-ring-*) are read when the backend reaches InitWait,
 * the rest when it reaches Connected (Linux blkback writes its features
 * only then). */
struct mira_blkif_backend_keys {
    const char *max_ring_page_order;   /* uint32, default 0 */
    const char *max_ring_pages;        /* uint32 power of 2, deprecated, default 1 */
    const char *sectors;               /* uint64, required */
    const char *sector_size;           /* uint32, required */
    const char *physical_sector_size;  /* uint32, default sector-size */
    const char *info;                  /* uint32 VDISK_* bits, required */
    const char *mode;                  /* "r" or "w", optional */
    const char *feature_flush_cache;   /* 0/1 */
    const char *feature_barrier;       /* 0/1 */
    const char *feature_discard;       /* 0/1 */
    const char *discard_granularity;   /* uint32 bytes, default sector-size */
    const char *discard_alignment;     /* uint32 bytes, default 0 */
    const char *discard_secure;        /* 0/1 */
    const char *feature_persistent;    /* 0/1 */
    const char *feature_max_indirect_segments; /* uint32, default 0 */
};

/* One entry per field above: its xenstore name and where it lives in the
 * struct, so the driver reads them all in one loop.  The table ends with
 * an entry whose name is NULL. */
struct mira_blkif_key {
    const char *name;   /* "max-ring-page-order", ... */
    size_t offset;      /* offsetof(struct mira_blkif_backend_keys, ...) */
};
extern const struct mira_blkif_key mira_blkif_keys[];

/* What this frontend offers; mira_blkif_limits_default() fills it. */
struct mira_blkif_limits {
    unsigned max_ring_order;     /* at most MIRA_BLKIF_RING_ORDER_MAX */
    unsigned max_indirect_segs;  /* at most MIRA_BLKIF_INDIRECT_SEGS_MAX; <= 11 = none */
    bool persistent;             /* we write feature-persistent = 1 */
};

/* The ring this connection uses. */
struct mira_blkif_transport {
    unsigned ring_order;  /* write as "ring-page-order" (when > 0) */
    unsigned ring_pages;  /* 1 << ring_order: "ring-ref" or "ring-ref0".. */
    unsigned ring_size;   /* request slots in those pages (32 per page) */
};

/* The device and the features both sides use. */
struct mira_blkif_device {
    uint64_t sectors;             /* capacity, in sector_size units */
    uint32_t sector_size;         /* logical block: 512..4096, power of 2 */
    uint32_t physical_sector_size;/* a multiple of sector_size */
    uint32_t info;                /* VDISK_* bits as given */
    bool readonly;                /* mode "r" or VDISK_READONLY */
    bool flush;                   /* flush_op is usable */
    uint8_t flush_op;             /* BLKIF_OP_FLUSH_DISKCACHE, else _WRITE_BARRIER */
    bool discard;
    bool discard_secure;
    uint32_t discard_granularity; /* bytes, a multiple of sector_size */
    uint32_t discard_alignment;   /* bytes, below the granularity */
    bool persistent;              /* both sides keep grants mapped */
    unsigned indirect_segs;       /* segments per indirect request; 0 = none */
};

/* Fills *l with this frontend's defaults: ring order 4, 256 indirect
 * segments, persistent grants offered. */
void mira_blkif_limits_default(struct mira_blkif_limits *l);

/* Parses a decimal xenstore number: digits only, at most max.  Returns 0,
 * or MIRA_ECORRUPT (empty, a non-digit, or above max). */
int mira_blkif_parse_u64(const char *s, uint64_t max, uint64_t *out);

/* Request slots of a ring of pages pages (a power of 2), as Xen's
 * __CONST_RING_SIZE computes them: 32 for 1 page, 512 for 16. */
unsigned mira_blkif_ring_size(unsigned pages);

/* The transport keys (max-ring-page-order, max-ring-pages) against *l:
 * ring order = min(backend's maximum, ours).  Absent keys mean one page.
 * A max-ring-pages that is not a power of 2, or an order above
 * MIRA_BLKIF_RING_ORDER_ABSURD, is MIRA_ECORRUPT. */
int mira_blkif_negotiate_transport(const struct mira_blkif_backend_keys *k,
                                   const struct mira_blkif_limits *l,
                                   struct mira_blkif_transport *out,
                                   const char **why);

/* The device keys and features against *l.  sector-size must be a power of
 * 2 from 512 to the page size (MIRA_ENOTSUP above it), physical-sector-size
 * a multiple of it, sectors a whole number of sector-size blocks; discard
 * parameters are checked only when feature-discard is 1.  Indirect
 * segments = min(backend's, ours), none when that is 11 or fewer;
 * persistent = both sides offer it. */
int mira_blkif_negotiate_device(const struct mira_blkif_backend_keys *k,
                                const struct mira_blkif_limits *l,
                                struct mira_blkif_device *out,
                                const char **why);

#endif
