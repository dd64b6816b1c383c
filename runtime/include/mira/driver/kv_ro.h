/*
 * mira/driver/kv_ro.h - what a read-only key/value driver implements.
 *
 * A driver embeds struct mira_kv_ro first in its own state and fills ops
 * when it connects.  The runtime's mira_kv_ro_* functions normalise every
 * key (mira_kv_key_normalize below) before they call ops, so a driver sees
 * only keys without a leading or trailing "/", without empty, "." or ".."
 * components, at most MIRA_KV_KEY_MAX bytes; the root is "".  Every op may
 * wait, the calling fiber only; several fibers may be inside ops at once.
 */
#ifndef MIRA_DRIVER_KV_RO_H
#define MIRA_DRIVER_KV_RO_H

#include <mira/kv_ro.h>

struct mira_kv_ro_ops {
    /* stat, read, list: as mira_kv_ro_stat, _read and _list, on a
     * normalised key; read is called with len > 0. */
    int (*stat)(struct mira_kv_ro *kv, const char *key, struct mira_kv_stat *st);
    long (*read)(struct mira_kv_ro *kv, const char *key, uint64_t offset,
                 void *buf, size_t len);
    int (*list)(struct mira_kv_ro *kv, const char *key, uint64_t *cursor,
                struct mira_kv_entry *entry);
    /* close: releases everything the driver holds for kv, kv included. */
    void (*close)(struct mira_kv_ro *kv);
};

struct mira_kv_ro {
    const struct mira_kv_ro_ops *ops;
    const char *name;
};

/* mira_kv_key_normalize: writes key's normal form (see mira/kv_ro.h) into
 * out (size bytes, at least MIRA_KV_KEY_MAX + 1 to hold any key).  Returns
 * its length, MIRA_ENOENT for a ".." component, or MIRA_EINVAL when the
 * normal form does not fit.  Pure: looks at nothing but its arguments. */
long mira_kv_key_normalize(const char *key, char *out, size_t size);

#endif
