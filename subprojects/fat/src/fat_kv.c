/* fat_kv.c - the FAT volume as a mira_kv_ro over a mira_block (see
 * mira/fat.h): parameters, the block device as a fat_dev, and the three
 * key/value operations on fat_vol. */
#include <stdlib.h>
#include <string.h>
#include <mira/driver/kv_ro.h>
#include <mira/fat.h>
#include <mira/format.h>
#include <mira/log.h>
#include <mira/param.h>
#include <mira/runtime.h>

#include "fat_vol.h"
#include "part.h"

/* Hosted builds only: the guest has no valgrind. */
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define FAT_VALGRIND 1
#endif
#endif

#define DRIVER "fat"

MIRA_PARAM_DECLARE(partition, "*-partition", "auto",
                   "FAT volume: auto, none (whole disk) or a partition number");

struct fat_kv {
    struct mira_kv_ro kv; /* first: the runtime sees only this */
    struct mira_block *lower;
    struct fat_vol vol;
};

static int block_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct mira_block *b = ctx;
    struct mira_block_info info;
    mira_block_info(b, &info);
    int r = mira_block_read(b, off / info.sector_size, buf, len);
#ifdef FAT_VALGRIND
    /* A completed read defines buf (mira/block.h), but valgrind cannot see
     * io_uring (block-file) fill it: say so, or every byte read from the
     * disk into the caller's buffer looks uninitialised.  A no-op outside
     * valgrind. */
    if (r == 0)
        VALGRIND_MAKE_MEM_DEFINED(buf, len);
#endif
    return r;
}

/* Buffers the block device reads into come from mira_block_alloc: aligned
 * as it wants, and (pages from the platform) defined for valgrind even
 * though io_uring, not a system call, fills them. */
static void *block_alloc(void *ctx, size_t len)
{
    struct mira_block *b = ctx;
    struct mira_block_info info;
    mira_block_info(b, &info);
    return mira_block_alloc(b, (len + info.sector_size - 1) / info.sector_size);
}

static void block_release(void *ctx, void *p)
{
    (void)ctx;
    mira_block_free(p);
}

/* A corrupt image is said once per operation, in one line. */
static int said(struct fat_kv *s, int r)
{
    if (r == MIRA_ECORRUPT)
        mira_log(MIRA_LOG_ERROR, DRIVER, "%s: corrupt image: %s", s->kv.name,
                 s->vol.why ? s->vol.why : "?");
    return r;
}

static int fat_kv_stat(struct mira_kv_ro *kv, const char *key, struct mira_kv_stat *st)
{
    struct fat_kv *s = (struct fat_kv *)kv;
    struct fat_node n;
    int r = fat_vol_lookup(&s->vol, key, &n);
    if (r < 0)
        return said(s, r);
    st->type = n.dir ? MIRA_KV_DIRECTORY : MIRA_KV_FILE;
    st->size = n.size;
    return 0;
}

static long fat_kv_read(struct mira_kv_ro *kv, const char *key, uint64_t offset,
                        void *buf, size_t len)
{
    struct fat_kv *s = (struct fat_kv *)kv;
    struct fat_node n;
    int r = fat_vol_lookup(&s->vol, key, &n);
    if (r < 0)
        return said(s, r);
    if (n.dir)
        return MIRA_EINVAL;
    long got = fat_vol_read(&s->vol, &n, offset, buf, len);
    return got < 0 ? said(s, (int)got) : got;
}

static int fat_kv_list(struct mira_kv_ro *kv, const char *key, uint64_t *cursor,
                       struct mira_kv_entry *entry)
{
    struct fat_kv *s = (struct fat_kv *)kv;
    struct fat_node n;
    int r = fat_vol_lookup(&s->vol, key, &n);
    if (r < 0)
        return said(s, r);
    if (!n.dir)
        return MIRA_EINVAL;
    struct fat_dirent *e = malloc(sizeof(*e));
    if (e == NULL)
        return MIRA_ENOMEM;
    r = fat_vol_dir_next(&s->vol, &n, cursor, e);
    if (r == 1) {
        memcpy(entry->name, e->name, sizeof(entry->name));
        entry->type = e->node.dir ? MIRA_KV_DIRECTORY : MIRA_KV_FILE;
        entry->size = e->node.size;
    }
    free(e);
    return r < 0 ? said(s, r) : r;
}

static void fat_kv_close(struct mira_kv_ro *kv)
{
    struct fat_kv *s = (struct fat_kv *)kv;
    fat_vol_unmount(&s->vol);
    free(s);
}

static const struct mira_kv_ro_ops fat_kv_ops = {
    .stat = fat_kv_stat,
    .read = fat_kv_read,
    .list = fat_kv_list,
    .close = fat_kv_close,
};

/* "auto", "none" or a partition number 1..128. */
static int parse_partition(const char *v, int *out)
{
    if (strcmp(v, "auto") == 0)
        return *out = -1, 0;
    if (strcmp(v, "none") == 0 || strcmp(v, "0") == 0)
        return *out = 0, 0;
    int n = 0;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9' || n > 1000)
            return -1;
        n = n * 10 + (*p - '0');
    }
    if (v[0] == '\0' || n < 1 || n > 128)
        return -1;
    *out = n;
    return 0;
}

int mira_fat_connect(struct mira_kv_ro **out, const char *name, struct mira_block *lower)
{
    char key[96];
    mira_snprintf(key, sizeof(key), "%s-partition", name);
    const char *pv = mira_param(key, "auto");
    int want;
    if (parse_partition(pv, &want) < 0) {
        mira_connect_error(name, DRIVER, "--%s=%s is not auto, none or a partition number 1-128",
                           key, pv);
        return MIRA_EINVAL;
    }
    struct mira_block_info info;
    mira_block_info(lower, &info);
    struct fat_dev dev = {
        .read = block_read,
        .ctx = lower,
        .size = info.sectors * info.sector_size,
        .unit = info.sector_size,
        .alloc = block_alloc,
        .release = block_release,
    };
    struct fat_part part;
    const char *why;
    int r = fat_part_find(&dev, info.sector_size, want, &part, &why);
    if (r < 0) {
        if (why)
            mira_connect_error(name, DRIVER, "%s (block device %s)", why, mira_block_name(lower));
        return r;
    }
    struct fat_kv *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return MIRA_ENOMEM;
    r = fat_vol_mount(&s->vol, &dev, part.start, part.size);
    if (r < 0) {
        if (r == MIRA_ECORRUPT)
            mira_connect_error(name, DRIVER, "corrupt image: %s (block device %s)", s->vol.why,
                               mira_block_name(lower));
        free(s);
        return r;
    }
    s->kv.ops = &fat_kv_ops;
    s->kv.name = name;
    s->lower = lower;
    mira_log(MIRA_LOG_DEBUG, DRIVER, "%s: FAT%d, %u clusters of %u bytes, on %s (%s partition %d)",
             name, (int)s->vol.type, (unsigned)s->vol.clusters, (unsigned)s->vol.cluster_bytes,
             mira_block_name(lower), part.table, part.number);
    *out = &s->kv;
    return 0;
}
