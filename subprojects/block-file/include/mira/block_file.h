/*
 * mira/block_file.h - the block driver of the unix target: a host file or
 * block device.
 *
 * Runtime parameters (device block0 shown; every device has its own):
 *   --block0-file=PATH        the file or block device (default disk.img,
 *                             in the current directory)
 *   --block0-sector-size=N    512 (default for files) or 4096 (any power of
 *                             two from 512 to 65536); a block device
 *                             defaults to its logical sector size
 *   --block0-read-only        a read-only device (also when PATH can only
 *                             be opened read-only)
 *   --block0-direct=auto|yes|no  O_DIRECT (bypassing the page cache) where
 *                             the file system takes it (auto, the default),
 *                             always, or never
 * Requests go to the kernel through io_uring and wait only for their own
 * fiber; mira_block_flush is fdatasync.
 */
#ifndef MIRA_BLOCK_FILE_H
#define MIRA_BLOCK_FILE_H

#include <stdbool.h>
#include <stdint.h>
#include <mira/block.h>

/* mira_block_file_connect: opens the file that device name (kept by
 * pointer) names in its parameters and stores the device in *out.  Returns
 * 0, or MIRA_ENOENT (no such file), MIRA_EINVAL (a bad parameter, or not a
 * file or block device), MIRA_EIO, MIRA_ENOTSUP (io_uring unavailable) or
 * MIRA_ENOMEM, after logging one line that says why. */
int mira_block_file_connect(struct mira_block **out, const char *name);

/* What a block-file device has done, for tests and benchmarks. */
struct mira_block_file_stats {
    uint64_t requests;      /* io_uring requests submitted */
    unsigned max_in_flight; /* the most requests in flight at once */
    bool direct;            /* I/O bypasses the page cache (O_DIRECT) now */
};

/* mira_block_file_stats: copies b's statistics into *st; b must be a
 * block-file device (anything else panics). */
void mira_block_file_stats(const struct mira_block *b, struct mira_block_file_stats *st);

#endif
