/*
 * mira/block.h - a block device: an array of fixed-size sectors.
 *
 * On unix the sectors are a host file or block device (block-file); on xen
 * they are a virtual disk behind the blkfront protocol.  Errors follow
 * mira/error.h.  Every request is checked the same way, by the runtime,
 * before any driver sees it; a refused request touches nothing:
 *
 *   - buf must be aligned to the sector size and len must be a whole,
 *     non-zero number of sectors: otherwise MIRA_EINVAL;
 *   - the sectors [sector, sector + len / sector_size) must lie on the
 *     device: otherwise MIRA_ERANGE;
 *   - a write or discard on a read-only device: MIRA_EROFS.
 *
 * (The checks run in that order.)  A request may carry many sectors; the
 * driver splits it as its backend needs.  A read or write either completes
 * whole or fails with MIRA_EIO, in which case the sectors it covered have
 * unspecified contents (a write) or buf has (a read).
 *
 * Requests wait only for their own fiber: several fibers may have requests
 * in flight on one device at once, and the backend may complete them in any
 * order.  Requests in flight at the same time on overlapping sectors are
 * not ordered with each other; a flush orders what completed before it.
 */
#ifndef MIRA_BLOCK_H
#define MIRA_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mira/error.h>

struct mira_block;

/* What a block device is; fixed from connect to close. */
struct mira_block_info {
    uint64_t sectors;     /* the device's size in sectors */
    uint32_t sector_size; /* bytes per sector: a power of two, 512 to 65536 */
    bool read_write;      /* false: writes and discards give MIRA_EROFS */
    bool discard;         /* mira_block_discard is offered by the backend */
};

/* mira_block_info: copies b's description into *info. */
void mira_block_info(const struct mira_block *b, struct mira_block_info *info);

/* mira_block_read: reads len bytes (whole sectors) starting at sector into
 * buf, waiting (the calling fiber only) until they have arrived.  Returns 0,
 * or MIRA_EINVAL, MIRA_ERANGE (see above), or MIRA_EIO. */
int mira_block_read(struct mira_block *b, uint64_t sector, void *buf, size_t len);

/* mira_block_write: writes the len bytes (whole sectors) of buf starting at
 * sector; waits until the device has them.  They are durable only after a
 * later mira_block_flush.  Returns 0, or MIRA_EINVAL, MIRA_ERANGE,
 * MIRA_EROFS (see above), or MIRA_EIO. */
int mira_block_write(struct mira_block *b, uint64_t sector, const void *buf, size_t len);

/* mira_block_flush: waits until every write that completed before the call
 * is on stable storage.  Returns 0 (at once on a read-only device) or
 * MIRA_EIO. */
int mira_block_flush(struct mira_block *b);

/* mira_block_discard: tells the device that sectors [sector, sector +
 * count) are no longer needed; reading them afterwards gives unspecified
 * data until they are written again.  Returns 0, MIRA_EINVAL (count 0),
 * MIRA_ERANGE, MIRA_EROFS, MIRA_ENOTSUP when info.discard is false or the
 * backend refuses, or MIRA_EIO. */
int mira_block_discard(struct mira_block *b, uint64_t sector, uint64_t count);

/* mira_block_alloc: a zeroed buffer of sectors sectors of b, aligned as
 * requests need (to the sector size, and at least to 4096 bytes so that
 * no sector straddles a page).  Free it with mira_block_free.  Returns
 * NULL when memory runs out. */
void *mira_block_alloc(const struct mira_block *b, size_t sectors);

/* mira_block_free: frees a buffer from mira_block_alloc (NULL is ignored). */
void mira_block_free(void *buf);

/* mira_block_close: frees b; no request may be in flight, and b must not be
 * used afterwards.  The generated main.c closes every device after
 * unikernel_start returns.  Writes not flushed may be lost. */
void mira_block_close(struct mira_block *b);

/* mira_block_name: the device's name, as the generated main.c gave it. */
const char *mira_block_name(const struct mira_block *b);

#endif
