/*
 * mira/block_blkfront.h - the block device on a Xen virtual disk (the
 * blkif protocol, against Linux blkback or any blkif backend).  xen only.
 *
 * Which disk: the n-th block device an app connects (the generated main.c
 * connects them in order) is the n-th disk line of the generated .xl:
 * xvdb, xvdc, ... (device/vbd/51728, 51744, ...).  The runtime parameter
 * <dev>-vdev (a name such as xvdc, or the decimal id) overrides it.
 *
 * Errors (mira/error.h): connect returns MIRA_ENOENT (no such disk: the
 * error line names the parameter and the disks the guest has),
 * MIRA_EINVAL (a bad <dev>-vdev), MIRA_ECORRUPT or MIRA_ENOTSUP (the
 * backend offers something malformed or unusable), MIRA_ETIMEDOUT (the
 * backend did not connect), MIRA_ENOMEM, or a xenstore error.
 */
#ifndef MIRA_BLOCK_BLKFRONT_H
#define MIRA_BLOCK_BLKFRONT_H

#include <stdbool.h>
#include <mira/block.h>

/* mira_block_blkfront_connect: connects the block device called name to
 * its virtual disk: the xenbus handshake, the features both sides offer
 * (multi-page ring, indirect descriptors, persistent grants, flush,
 * discard), sector size and count from the backend, read-only when the
 * backend says mode=r.  Waits (the calling fiber) for the backend. */
int mira_block_blkfront_connect(struct mira_block **out, const char *name);

/* What a connection negotiated and did, for tests and the curious. */
struct mira_block_blkfront_stats {
    unsigned vdev;              /* device/vbd/<vdev> */
    unsigned ring_pages;        /* 1 << ring-page-order */
    unsigned ring_size;         /* request slots */
    unsigned indirect_segs;     /* per request; 0: indirect not used */
    bool persistent;            /* persistent grants in use */
    bool flush;                 /* the backend flushes (or barriers) */
    unsigned long requests;     /* ring requests sent */
    unsigned long indirect_requests;
    unsigned max_in_flight;     /* most ring requests in flight at once */
    unsigned long ring_full_waits; /* a fiber waited for ring room */
    bool failed;                /* the device failed (see the log) */
};

/* mira_block_blkfront_stats: fills *st for b, which must be a blkfront
 * device (else a panic). */
void mira_block_blkfront_stats(const struct mira_block *b,
                               struct mira_block_blkfront_stats *st);

#endif
