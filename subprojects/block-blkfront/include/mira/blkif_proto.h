/*
 * mira/blkif_proto.h - blkfront's ring protocol: caller requests split
 * into ring requests, ring request ids, responses checked and aggregated.
 * Pure: no grant, event channel or xenstore call of its own (grants come
 * from callbacks), so that it is unit tested and fuzzed on the build
 * machine.  The wire structures are Xen's (<xen/io/blkif.h>).
 *
 * Error contract (mira/error.h): 0 or a count on success, a negative
 * MIRA_E* on failure.  Functions that check what the backend wrote also
 * set *why to a short constant text for the driver's log.  Pointers must
 * not be NULL (this module links nothing, so it cannot mira_panic).
 *
 * The life of a caller request: mira_blkif_build() gives it one ring id
 * per ring request (its "parts") and fills the ring slots; the driver
 * copies them to the ring and notifies.  On each response,
 * mira_blkif_check_rsp_prod() then mira_blkif_complete() for each slot;
 * the completion of its last part completes the caller request.  A
 * refusal means a broken or hostile backend: the table turns broken, the
 * driver fails the device and mira_blkif_drain() completes every pending
 * request with MIRA_EIO.
 */
#ifndef MIRA_BLKIF_PROTO_H
#define MIRA_BLKIF_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* <xen/io/ring.h> wants the memory barriers of the guest's architecture
 * for its RING_PUSH / RING_FINAL_CHECK macros (x86_64: stores are not
 * reordered with stores nor loads with loads, so only the full barrier
 * needs an instruction).  This module does not use them; the driver does,
 * until the runtime provides them in its own header. */
#if defined(__x86_64__)
#ifndef xen_mb
#define xen_mb() __asm__ __volatile__("mfence" ::: "memory")
#endif
#ifndef xen_rmb
#define xen_rmb() __asm__ __volatile__("" ::: "memory")
#endif
#ifndef xen_wmb
#define xen_wmb() __asm__ __volatile__("" ::: "memory")
#endif
#endif
#include <xen/io/blkif.h>
#include <mira/blkif_keys.h>

/* Segments one indirect page holds (8-byte struct blkif_request_segment). */
#define MIRA_BLKIF_SEGS_PER_INDIRECT_PAGE \
    (MIRA_BLKIF_PAGE_SIZE / sizeof(struct blkif_request_segment))

/* What a caller request asks of the disk. */
enum mira_blkif_op {
    MIRA_BLKIF_READ,
    MIRA_BLKIF_WRITE,
    MIRA_BLKIF_FLUSH,   /* the backend's cache to stable storage */
    MIRA_BLKIF_DISCARD,
};

/* One piece of a caller's memory: addr and len both multiples of the
 * device's sector size (so it may start mid-page for 512-byte sectors). */
struct mira_blkif_buf {
    uintptr_t addr;
    size_t len;
};

/* A caller request (the generic block layer's read, write, ...). */
struct mira_blkif_request {
    enum mira_blkif_op op;
    uint64_t sector;   /* first sector, in the device's sector_size units */
    uint64_t count;    /* sectors; READ/WRITE/DISCARD: >= 1; FLUSH: 0 */
    const struct mira_blkif_buf *bufs; /* READ/WRITE: count sectors in all */
    unsigned nr_bufs;
    bool secure;       /* DISCARD: BLKIF_DISCARD_SECURE (needs discard-secure) */
    void *cookie;      /* handed back when the request completes */
};

/* How the driver grants pages; build() calls these, nothing else does. */
struct mira_blkif_grant_ops {
    /* Grants the page at page (page-aligned), writable by the backend if
     * backend_writes (a READ's data).  0 and *gref, or a negative MIRA_E*
     * that build() returns after releasing what it granted before. */
    int (*grant)(void *ctx, uintptr_t page, bool backend_writes,
                 uint32_t *gref);
    /* Undoes one grant of a build() that failed. */
    void (*release)(void *ctx, uint32_t gref);
    /* The n-th indirect page (page-aligned, MIRA_BLKIF_PAGE_SIZE bytes) of
     * ring id id, where build() writes its segments (and then grants it
     * read-only). n < mira_blkif_indirect_pages(dev). */
    void *(*indirect_page)(void *ctx, uint16_t id, unsigned n);
    void *ctx;
};

/* One ring id's record (the table's storage; its fields are private). */
struct mira_blkif_slot {
    uint8_t state;       /* free, in flight, done (waiting for siblings) */
    uint8_t op;          /* BLKIF_OP_* as sent */
    uint8_t inner_op;    /* the indirect_op of an indirect request, else op */
    int8_t status;       /* head: worst status of the parts so far */
    uint16_t next;       /* free list, or the next part of its request */
    uint16_t head;       /* the first part of its caller request */
    uint16_t parts_left; /* head: parts not answered yet */
    uint16_t nr_grefs;   /* data grants, then indirect page grants */
    void *cookie;        /* head: the caller request's cookie */
};

/* The in-flight table: ring ids 0..ring_size-1, one per ring slot. */
struct mira_blkif_table {
    struct mira_blkif_slot *slots;  /* ring_size records */
    uint32_t *grefs;                /* ring_size * grefs_per_id */
    unsigned ring_size;
    unsigned grefs_per_id;
    uint16_t free_head;
    unsigned nr_free;
    unsigned in_flight;      /* ring requests sent and not answered */
    bool broken;             /* a refusal happened: only drain() now */
    unsigned long refused;   /* refusals counted, for the driver's stats */
    const char *last_why;    /* the last refusal's reason */
};

/* What one accepted response (or one drained id) means to the driver. */
struct mira_blkif_completion {
    uint16_t id;             /* the ring id answered */
    const uint32_t *grefs;   /* its grants, to end now; valid until the
                              * next build() on the table */
    unsigned nr_grefs;
    bool request_done;       /* its caller request is complete: */
    void *cookie;            /*   the request's cookie */
    int status;              /*   0, MIRA_EIO or MIRA_ENOTSUP */
};

/* Indirect pages one ring request of dev may need (0 without indirect). */
unsigned mira_blkif_indirect_pages(const struct mira_blkif_device *dev);

/* Grant references one ring id may hold for dev: the size of grefs_per_id
 * for mira_blkif_table_init(). */
unsigned mira_blkif_grefs_per_id(const struct mira_blkif_device *dev);

/* Starts (or restarts, after a drain) a table over caller-provided
 * storage: slots[ring_size], grefs[ring_size * grefs_per_id].  Every id is
 * free.  MIRA_EINVAL if ring_size is 0 or above 65535 or grefs_per_id is
 * below BLKIF_MAX_SEGMENTS_PER_REQUEST. */
int mira_blkif_table_init(struct mira_blkif_table *t, unsigned ring_size,
                          struct mira_blkif_slot *slots, uint32_t *grefs,
                          unsigned grefs_per_id);

/* Ring requests req needs on dev (its parts): 1 for FLUSH and DISCARD;
 * for READ/WRITE one per 11 segments (a segment is the part of a buffer in
 * one page), or one indirect request per dev->indirect_segs segments when
 * there are more than 11 and indirect segments were negotiated.
 * MIRA_EINVAL for a malformed request (count 0, buffers not sector-aligned
 * or not adding up to count sectors), MIRA_ERANGE beyond the disk,
 * MIRA_ENOTSUP for FLUSH/DISCARD/secure the backend does not offer. */
long mira_blkif_parts(const struct mira_blkif_device *dev,
                      const struct mira_blkif_request *req);

/* Builds req: takes one ring id per part, grants every data page (and
 * indirect page) through g, and writes the ring requests - struct
 * blkif_request, blkif_request_indirect or blkif_request_discard, the
 * rest of each slot zeroed - into slots[0..parts-1] for the driver to copy
 * to the ring in order.  handle is the device's "virtual-device" number.
 * Returns the number of slots written, the errors of mira_blkif_parts(),
 * MIRA_EINVAL when the request has more parts than the ring has slots
 * (the caller splits it), MIRA_EAGAIN when fewer ids or nr_slots than
 * parts are free now, MIRA_EIO on a broken table, or the grant callback's
 * error.  On any failure nothing is taken: no id, no grant. */
long mira_blkif_build(struct mira_blkif_table *t,
                      const struct mira_blkif_device *dev, uint16_t handle,
                      const struct mira_blkif_request *req,
                      const struct mira_blkif_grant_ops *g,
                      union blkif_sring_entry *slots, unsigned nr_slots);

/* Checks the response producer index the backend published before the
 * driver reads responses from rsp_cons: it may not run more than
 * ring_size ahead of rsp_cons, nor past req_prod (the requests we pushed).
 * Returns the number of new responses, or MIRA_ECORRUPT (a refusal: the
 * table turns broken). */
long mira_blkif_check_rsp_prod(struct mira_blkif_table *t, uint32_t rsp_prod,
                               uint32_t rsp_cons, uint32_t req_prod,
                               const char **why);

/* Checks one response against the table and, if it is sound, records it:
 * its id must be in flight (not free, not already answered), its operation
 * the one sent (for an indirect request its indirect_op, as Linux blkback
 * answers, or BLKIF_OP_INDIRECT), its status BLKIF_RSP_OKAY, _ERROR or
 * _EOPNOTSUPP.  Returns 0 and *c, or MIRA_ECORRUPT (a refusal: the table
 * turns broken) or MIRA_EIO (already broken). */
int mira_blkif_complete(struct mira_blkif_table *t,
                        const struct blkif_response *rsp,
                        struct mira_blkif_completion *c, const char **why);

/* Completes one pending ring id as failed (for a failed or closing
 * device): returns its id and *c, whose caller request completes with
 * MIRA_EIO once all its parts are drained; MIRA_ENOENT when no id is
 * pending any more.  Called in a loop until then. */
int mira_blkif_drain(struct mira_blkif_table *t,
                     struct mira_blkif_completion *c);

#endif
