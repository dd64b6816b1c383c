/*
 * mira/driver/block.h - what a block driver implements.
 *
 * A driver embeds struct mira_block first in its own state, fills ops and
 * info when it connects, and never changes info afterwards.  The runtime's
 * mira_block_* functions check every request (mira_block_check below)
 * before they call ops, so a driver sees only requests that are aligned,
 * whole sectors, on the device, and writes only on a read-write device.
 * Every op may wait, the calling fiber only; several fibers may be inside
 * ops at once.
 */
#ifndef MIRA_DRIVER_BLOCK_H
#define MIRA_DRIVER_BLOCK_H

#include <mira/block.h>

struct mira_block_ops {
    /* read, write: as mira_block_read/_write, on a checked request; either
     * the whole request succeeds (0) or MIRA_EIO. */
    int (*read)(struct mira_block *b, uint64_t sector, void *buf, size_t len);
    int (*write)(struct mira_block *b, uint64_t sector, const void *buf, size_t len);
    /* flush: as mira_block_flush; called on read-write devices only. */
    int (*flush)(struct mira_block *b);
    /* discard: as mira_block_discard on a checked range; NULL when the
     * backend has none (then info.discard must be false). */
    int (*discard)(struct mira_block *b, uint64_t sector, uint64_t count);
    /* close: releases everything the driver holds for b, b included. */
    void (*close)(struct mira_block *b);
};

struct mira_block {
    const struct mira_block_ops *ops;
    const char *name;
    struct mira_block_info info;
};

/* mira_block_check: the checks of mira/block.h for a read (write false) or
 * a write of len bytes at buf to sector on a device described by info.
 * Returns 0 if the request may go to the driver, else MIRA_EINVAL,
 * MIRA_ERANGE or MIRA_EROFS.  Pure: looks at nothing but its arguments. */
int mira_block_check(const struct mira_block_info *info, bool write,
                     uint64_t sector, const void *buf, size_t len);

/* mira_block_check_discard: the same for discarding count sectors from
 * sector: MIRA_EINVAL (count 0), MIRA_ERANGE, MIRA_EROFS, or MIRA_ENOTSUP
 * (info->discard false). */
int mira_block_check_discard(const struct mira_block_info *info,
                             uint64_t sector, uint64_t count);

/* mira_block_sector_size_ok: true if size is a sector size this interface
 * supports (a power of two from 512 to 65536).  Drivers check theirs. */
bool mira_block_sector_size_ok(uint64_t size);

#endif
