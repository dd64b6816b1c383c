/*
 * mira/blkfront_util.h - the small pure decisions of the blkfront driver
 * that do not belong to the ring protocol: which virtual disk a device
 * name means, how a caller request is cut into chunks, and which bytes of
 * a granted page belong to a caller buffer.  Pure (no Xen call), unit
 * tested on the build machine.
 *
 * Error contract (mira/error.h): 0 or a count on success, a negative
 * MIRA_E* on failure.
 */
#ifndef MIRA_BLKFRONT_UTIL_H
#define MIRA_BLKFRONT_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The first disk an app's block devices get: xvdb (xvda is left for a
 * boot disk, as the tutorial's .xl files and Linux guests expect). */
#define MIRA_BLKFRONT_FIRST_DISK 1u

/* The xenstore id (device/vbd/<id>) of Xen's disk number disk (0 = xvda):
 * 202 << 8 | disk << 4 for xvda..xvdp, the extended form 1 << 28 |
 * disk << 8 above (as Xen's docs/misc/vbd-interface.txt).  disk must be
 * below 1 << 20. */
uint32_t mira_blkfront_disk_id(unsigned disk);

/* Parses a vdev parameter: a name "xvd" followed by letters as Xen counts
 * them (xvda = 0, ..., xvdz = 25, xvdaa = 26, ...), or the id itself in
 * decimal.  0 and *id, or MIRA_EINVAL. */
int mira_blkfront_parse_vdev(const char *s, uint32_t *id);

/* Writes the name of disk number disk ("xvdb") into buf (at least 8
 * bytes); disks at or above 702 (past xvdzz) are written as "disk<n>". */
void mira_blkfront_disk_name(unsigned disk, char *buf, size_t size);

/* Pages (4096 bytes) that [addr, addr + len) touches, len > 0. */
unsigned long mira_blkfront_pages(uintptr_t addr, size_t len);

/* How many bytes, from addr, the next chunk of a request of len bytes
 * takes so that it touches at most max_pages pages (max_pages >= 1).  The
 * result is a multiple of sector (a power of 2 at most 4096 dividing addr
 * and len), never 0 when len > 0. */
size_t mira_blkfront_chunk_len(uintptr_t addr, size_t len, unsigned max_pages,
                               uint32_t sector);

/* The part of page [page, page + 4096) that lies inside the buffer
 * [addr, addr + len): its offset in the page and its length (0 if none). */
size_t mira_blkfront_in_page(uintptr_t page, uintptr_t addr, size_t len,
                             size_t *offset);

#endif
