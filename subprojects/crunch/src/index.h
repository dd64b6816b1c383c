/* index.h - a crunch image's index (mira/crunch_format.h): the checks made
 * once at connect, then lookups, listings and ranged reads over the checked
 * image.  Pure: no I/O, no log; allocation only for a read's scratch block.
 * Every function after crunch_index_open trusts what it checked. */
#ifndef CRUNCH_INDEX_H
#define CRUNCH_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include <mira/kv_ro.h>

/* A checked image. */
struct crunch_image {
    const uint8_t *index, *data;
    size_t index_len, data_len;
    uint32_t entries;
    const uint8_t *names;
};

/* One entry, decoded. */
struct crunch_entry {
    int type;            /* MIRA_CRUNCH_FILE or MIRA_CRUNCH_DIRECTORY */
    const uint8_t *name; /* not NUL-terminated */
    size_t name_len;
    uint32_t first, count; /* directory: its children */
    uint64_t offset, size, stored; /* file: its region and length */
};

/* crunch_index_open: checks index and data (every rule of
 * mira/crunch_format.h: header, entry ranges, the tree's shape, names
 * sorted and unique, file regions and block tables inside the data) and
 * fills *img.  Returns 0 or MIRA_ECORRUPT. */
int crunch_index_open(struct crunch_image *img, const uint8_t *index, size_t index_len,
                      const uint8_t *data, size_t data_len);

/* crunch_index_entry: decodes entry id (< img->entries) into *e. */
void crunch_index_entry(const struct crunch_image *img, uint32_t id, struct crunch_entry *e);

/* crunch_index_lookup: the entry of a normalised key (mira/driver/kv_ro.h)
 * into *id, by binary search in each directory on the way.  Returns 0,
 * MIRA_ENOENT, or MIRA_EINVAL when a file is used as a directory. */
int crunch_index_lookup(const struct crunch_image *img, const char *key, uint32_t *id);

/* crunch_index_read: up to len bytes of file e from offset into buf,
 * inflating only the blocks the range touches.  *scratch is a block-sized
 * buffer allocated here when a deflated block is read in part (NULL at
 * first; the caller frees it).  Returns the count or MIRA_ECORRUPT (a
 * deflated block that does not inflate to its length) or MIRA_ENOMEM. */
long crunch_index_read(const struct crunch_image *img, const struct crunch_entry *e,
                       uint64_t offset, void *buf, size_t len, uint8_t **scratch);

#endif
