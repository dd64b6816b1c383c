/* part.h - finding a FAT volume on a disk: the whole disk, or a partition
 * of an MBR or GPT table.  Pure over struct fat_dev; hostile tables are
 * refused with a one-line reason. */
#ifndef FAT_PART_H
#define FAT_PART_H

#include <stdint.h>

#include "fat_dev.h"

/* Which partition: FAT_PART_AUTO (the whole disk if it is a FAT volume,
 * else the first FAT partition), FAT_PART_WHOLE (the whole disk), or a
 * partition number from 1 (MBR: entries 1-4, then the logical partitions
 * of extended ones from 5, as Linux numbers them; GPT: entry number). */
#define FAT_PART_AUTO  (-1)
#define FAT_PART_WHOLE 0

struct fat_part {
    uint64_t start, size; /* bytes */
    int number;           /* 0: the whole disk */
    char table[5];        /* "none", "mbr" or "gpt" */
};

/* fat_part_find: the volume to use on d, whose logical blocks (MBR and GPT
 * units) are lba bytes (a power of two, 512 to 65536), into *out.
 * Returns 0, MIRA_ENOENT (no such or no FAT partition; *why says),
 * MIRA_ECORRUPT (a table that overlaps, leaves the disk or fails its CRC,
 * an EBR chain that loops or leaves its extended partition, a GPT whose
 * primary and backup are both damaged or disagree; *why says), MIRA_ENOMEM
 * or the device's error.  A damaged primary GPT with a good backup (the
 * disk's last LBA) is read through the backup. */
int fat_part_find(const struct fat_dev *d, uint32_t lba, int want, struct fat_part *out,
                  const char **why);

/* fat_crc32: the CRC-32 (IEEE 802.3, as GPT uses) of len bytes. */
uint32_t fat_crc32(const void *buf, size_t len);

#endif
