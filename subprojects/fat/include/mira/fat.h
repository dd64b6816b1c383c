/*
 * mira/fat.h - the FAT key/value driver: a read-only FAT12, FAT16 or FAT32
 * file system, with long (VFAT) names and subdirectories, on any block
 * device, as a mira_kv_ro.
 *
 * The volume is the whole device or a partition of an MBR or GPT table:
 *   --kv0-partition=auto   the whole disk if it holds a FAT volume, else
 *                          the first partition of a FAT type (default)
 *   --kv0-partition=none   the whole disk
 *   --kv0-partition=N      partition N (MBR: 1-4 primary, 5 on the logical
 *                          ones of an extended partition; GPT: the entry
 *                          number; a damaged primary GPT: its backup)
 * Keys are paths; names are the long names as UTF-8 (a name also matches
 * its 8.3 short name, and ASCII letters match in either case).  A corrupt
 * image (a nonsense boot sector, a truncated image, a cluster chain that
 * loops or leaves the volume, an entry past the end, a size larger than
 * its chain, an overlapping partition table) is refused with MIRA_ECORRUPT
 * and one log line saying why; no input makes the driver crash or loop.
 */
#ifndef MIRA_FAT_H
#define MIRA_FAT_H

#include <mira/block.h>
#include <mira/kv_ro.h>

/* mira_fat_connect: mounts the FAT volume on lower (which must outlive the
 * store) as device name (kept by pointer) into *out.  Returns 0, or
 * MIRA_ECORRUPT / MIRA_ENOENT (no FAT volume where the partition parameter
 * says; one error line says why), MIRA_EINVAL (a bad parameter), MIRA_EIO
 * or MIRA_ENOMEM. */
int mira_fat_connect(struct mira_kv_ro **out, const char *name, struct mira_block *lower);

#endif
