/* fat_vol.h - a FAT12/16/32 volume, read only: boot sector checks, cluster
 * chains, directories with long (VFAT) names, path lookup and file reads.
 *
 * Pure logic over struct fat_dev (fat_dev.h): no platform, no allocation
 * but the cache's.  Errors are negative MIRA_E* codes; every
 * MIRA_ECORRUPT leaves a one-line reason in v->why.  Work on hostile input
 * is bounded: a chain walk never takes more steps than the volume has
 * clusters, a directory walk never more slots than its chain holds. */
#ifndef FAT_VOL_H
#define FAT_VOL_H

#include <stdbool.h>
#include <stdint.h>
#include <mira/kv_ro.h>

#include "fat_dev.h"

enum fat_type { FAT_TYPE_12 = 12, FAT_TYPE_16 = 16, FAT_TYPE_32 = 32 };

/* A file or directory: where its data starts, how long it is. */
struct fat_node {
    bool dir;
    bool root_fixed;  /* the FAT12/16 root directory (not in clusters) */
    uint32_t first;   /* first cluster, 0 for an empty file */
    uint64_t size;    /* a file's size in bytes; 0 for a directory */
};

/* One directory entry, decoded. */
struct fat_dirent {
    char name[MIRA_KV_NAME_MAX + 1]; /* UTF-8: the long name, else the short */
    char short_name[13];             /* "NAME.EXT" as stored */
    struct fat_node node;
};

/* Where a recent chain walk ended, to resume from (sequential reads). */
struct fat_hint {
    uint32_t first, index, cluster;
};
#define FAT_HINTS 8

struct fat_vol {
    struct fat_dev dev;
    struct fat_cache cache;
    enum fat_type type;
    uint32_t bytes_per_sector, sectors_per_cluster, cluster_bytes;
    uint32_t clusters;       /* data clusters: valid numbers 2..clusters+1 */
    uint64_t base;           /* the volume's byte offset on the device */
    uint64_t fat_off;        /* byte offset of the first FAT on the device */
    uint64_t root_off;       /* FAT12/16: the root directory's byte offset */
    uint32_t root_entries;   /* FAT12/16: its slots */
    uint32_t root_cluster;   /* FAT32: its first cluster */
    uint64_t data_off;       /* byte offset of cluster 2 */
    struct fat_hint hint[FAT_HINTS];
    unsigned next_hint;
    uint8_t *bounce;         /* fat_vol_read's window (and bounce) buffer, made on first use */
    bool bounce_busy;        /* lent to a read that waits (another fiber's) */
    uint64_t window_off;     /* the device bytes bounce holds: window_len from here */
    uint32_t window_len;     /* 0: none */
    const char *why;         /* the reason of the last MIRA_ECORRUPT */
};

/* fat_bpb_plausible: true if the 512 bytes at s look like a FAT boot
 * sector (jump, sector size, cluster size, reserved sectors, FAT count,
 * signature): what tells a FAT volume from a partition table. */
bool fat_bpb_plausible(const uint8_t *s);

/* fat_vol_mount: checks the boot sector of the volume at byte base, of
 * size bytes, on dev, and fills v.  Returns 0, MIRA_ECORRUPT (v->why says
 * which check failed: a nonsense boot sector, a volume larger than what
 * holds it), MIRA_ENOMEM or the device's error. */
int fat_vol_mount(struct fat_vol *v, const struct fat_dev *dev, uint64_t base, uint64_t size);

/* fat_vol_unmount: frees what mount allocated. */
void fat_vol_unmount(struct fat_vol *v);

/* fat_vol_root: the root directory's node. */
struct fat_node fat_vol_root(const struct fat_vol *v);

/* fat_vol_next_cluster: the cluster after c in its chain into *next (0: c
 * ends the chain).  Returns 0 or MIRA_ECORRUPT (a free or bad cluster, or
 * one off the volume, in the chain), or an I/O error. */
int fat_vol_next_cluster(struct fat_vol *v, uint32_t c, uint32_t *next);

/* fat_vol_dir_next: the next entry of directory dir at *cursor (0 first)
 * into *e, skipping deleted entries, volume labels, "." and "..".  Returns
 * 1 (an entry; *cursor advanced), 0 (no more) or a negative code. */
int fat_vol_dir_next(struct fat_vol *v, const struct fat_node *dir, uint64_t *cursor,
                     struct fat_dirent *e);

/* fat_vol_lookup: the node a normalised key names ("" is the root; see
 * mira/driver/kv_ro.h).  Names match their long or short name, ASCII
 * letters in either case.  Returns 0, MIRA_ENOENT, MIRA_EINVAL (a file
 * used as a directory), MIRA_ECORRUPT or an I/O error. */
int fat_vol_lookup(struct fat_vol *v, const char *key, struct fat_node *out);

/* fat_vol_read: up to len bytes of file f from offset into buf.  Returns
 * the count (0 at or past the end) or a negative code: MIRA_ECORRUPT when
 * the chain is shorter than the size, or longer (a loop) once its last
 * cluster is read. */
long fat_vol_read(struct fat_vol *v, const struct fat_node *f, uint64_t offset,
                  void *buf, size_t len);

#endif
