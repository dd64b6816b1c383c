/*
 * mira/kv_ro.h - a read-only key/value store: a tree of files and
 * directories named by keys.
 *
 * Backed by data compiled into the image (crunch), a host directory read at
 * run time (kv-direct, unix only) or a FAT file system on a block device
 * (fat).  Errors follow mira/error.h; every function here may return:
 *
 *   - MIRA_ENOENT: no such key (also for any key with a ".." component:
 *     a key never leaves the store);
 *   - MIRA_EINVAL: the key is malformed (longer than MIRA_KV_KEY_MAX, or a
 *     file used as a directory or the other way round);
 *   - MIRA_ECORRUPT: the store's data cannot be trusted (a corrupt image);
 *   - MIRA_EIO: the device below failed.
 *
 * Keys are "/"-separated paths.  The runtime normalises every key before a
 * driver sees it: a leading "/", repeated "/", a trailing "/" and "."
 * components are dropped, so "/a//b/./c/" is "a/b/c"; the root directory
 * is "" (or "/").  Names are bytes; drivers whose store has another encoding
 * (FAT's UTF-16 long names) present them as UTF-8.  Calls wait only for the
 * calling fiber.
 */
#ifndef MIRA_KV_RO_H
#define MIRA_KV_RO_H

#include <stdint.h>
#include <stddef.h>
#include <mira/error.h>

/* The longest key, in bytes, without its NUL. */
#define MIRA_KV_KEY_MAX 4095
/* The longest name of one entry, in bytes, without its NUL (255 UTF-16
 * units of a FAT long name can take up to 765 bytes of UTF-8). */
#define MIRA_KV_NAME_MAX 767

struct mira_kv_ro;

enum mira_kv_type {
    MIRA_KV_FILE = 1,
    MIRA_KV_DIRECTORY = 2,
};

/* What a key names. */
struct mira_kv_stat {
    enum mira_kv_type type;
    uint64_t size; /* a file's length in bytes; 0 for a directory */
};

/* One entry of a directory listing. */
struct mira_kv_entry {
    char name[MIRA_KV_NAME_MAX + 1]; /* NUL-terminated; never "." or ".." */
    enum mira_kv_type type;
    uint64_t size; /* as in struct mira_kv_stat */
};

/* mira_kv_ro_stat: whether key exists, and what it is, into *st.  Returns
 * 0 or a negative code (above). */
int mira_kv_ro_stat(struct mira_kv_ro *kv, const char *key, struct mira_kv_stat *st);

/* mira_kv_ro_read: copies up to len bytes of file key, from byte offset,
 * into buf.  Returns the count copied: len, less at the end of the file,
 * 0 at or past its end; or a negative code (MIRA_EINVAL for a directory). */
long mira_kv_ro_read(struct mira_kv_ro *kv, const char *key, uint64_t offset,
                     void *buf, size_t len);

/* mira_kv_ro_list: the next entry of directory key into *entry.  *cursor
 * is 0 for the first call and is advanced by each call (its value is the
 * driver's; do not interpret it).  Returns 1 (an entry), 0 (no more), or a
 * negative code (MIRA_EINVAL when key is a file).  Entries come in the
 * store's own order. */
int mira_kv_ro_list(struct mira_kv_ro *kv, const char *key, uint64_t *cursor,
                    struct mira_kv_entry *entry);

/* mira_kv_ro_close: frees kv; it must not be used afterwards.  The
 * generated main.c closes every device after unikernel_start returns. */
void mira_kv_ro_close(struct mira_kv_ro *kv);

/* mira_kv_ro_name: the device's name, as the generated main.c gave it. */
const char *mira_kv_ro_name(const struct mira_kv_ro *kv);

#endif
