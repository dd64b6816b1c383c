/* fat_dev.h - what the FAT and partition parsers read through: a byte
 * range of a device, read in whole units (sectors) by a callback, with a
 * small cache of metadata chunks.  The callback is the only I/O, so the
 * parsers run the same over a mira_block (the driver), a host file (the
 * mira-fat tool) or a byte array (unit tests, fuzz targets). */
#ifndef FAT_DEV_H
#define FAT_DEV_H

#include <stddef.h>
#include <stdint.h>

struct fat_dev {
    /* read: len bytes at byte offset off into buf; off and len are
     * multiples of unit and buf is aligned to unit.  Returns 0 or a
     * negative MIRA_E* (MIRA_EIO).  May wait (the calling fiber only). */
    int (*read)(void *ctx, uint64_t off, void *buf, size_t len);
    void *ctx;
    uint64_t size; /* the device's size in bytes, a multiple of unit */
    uint32_t unit; /* 1 (any request) or the sector size, a power of two */
    /* alloc, release: buffers for read (bounce buffers, cache chunks) of
     * len bytes, aligned to unit; NULL: malloc, suitably aligned.  (The
     * driver takes mira_block_alloc's, as the block device wants.) */
    void *(*alloc)(void *ctx, size_t len);
    void (*release)(void *ctx, void *p);
};

/* fat_dev_read: reads len bytes at off (any alignment) into buf (any
 * alignment), through a bounce buffer where the device needs one.
 * Returns 0, MIRA_ECORRUPT if the range is not on the device (a truncated
 * image), MIRA_ENOMEM, or the device's error. */
int fat_dev_read(const struct fat_dev *d, uint64_t off, void *buf, size_t len);

/* Bytes of a bounce buffer: big enough that file data moves in few
 * requests when the caller's buffer is not aligned. */
#define FAT_BOUNCE_BYTES (256u * 1024u)

/* fat_dev_read_via: fat_dev_read through bounce (FAT_BOUNCE_BYTES from
 * fat_dev_alloc, owned by the caller for the call), or a buffer of its
 * own if bounce is NULL: a volume keeps one rather than allocating (and
 * zeroing) one per read. */
int fat_dev_read_via(const struct fat_dev *d, uint64_t off, void *buf, size_t len,
                     uint8_t *bounce);

/* fat_dev_alloc, fat_dev_release: a buffer of len bytes aligned to the
 * unit, from d's alloc/release (or malloc). */
void *fat_dev_alloc(const struct fat_dev *d, size_t len);
void fat_dev_release(const struct fat_dev *d, void *p);

/* Metadata chunks cached per volume: FAT sectors and directory entries. */
#define FAT_CACHE_SLOTS 64

struct fat_cache_slot {
    uint64_t off;   /* the chunk's byte offset; UINT64_MAX: empty */
    uint64_t stamp; /* last use, for least-recently-used replacement */
    uint32_t len;   /* bytes valid (shorter at the device's end) */
    uint8_t *data;  /* chunk bytes */
};

struct fat_cache {
    uint32_t chunk; /* bytes per chunk: max(4096, unit) */
    unsigned last;  /* the slot used last, looked at first */
    uint64_t clock;
    struct fat_cache_slot slot[FAT_CACHE_SLOTS];
    uint64_t hits, misses;
};

/* fat_cache_init: an empty cache for d.  Returns 0 or MIRA_ENOMEM. */
int fat_cache_init(struct fat_cache *c, const struct fat_dev *d);

/* fat_cache_fini: frees c's chunks (allocated from d). */
void fat_cache_fini(struct fat_cache *c, const struct fat_dev *d);

/* fat_cache_bytes: copies len bytes at off (within one chunk: off % chunk
 * + len <= chunk) into out, from the cache or the device.  Returns 0 or a
 * fat_dev_read error.  Between a miss's read and its copy nothing waits,
 * so fibers sharing the cache never see a half-filled chunk. */
int fat_cache_bytes(struct fat_cache *c, const struct fat_dev *d, uint64_t off,
                    void *out, size_t len);

#endif
