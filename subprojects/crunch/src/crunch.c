/* crunch.c - the kv_ro driver over a crunch image (see mira/crunch.h). */
#include <stdlib.h>
#include <string.h>
#include <mira/crunch.h>
#include <mira/crunch_format.h>
#include <mira/driver/kv_ro.h>
#include <mira/runtime.h>

#include "index.h"

#define DRIVER "crunch"

struct crunch {
    struct mira_kv_ro kv; /* first: the runtime sees only this */
    struct crunch_image img;
};

static int crunch_stat(struct mira_kv_ro *kv, const char *key, struct mira_kv_stat *st)
{
    struct crunch *c = (struct crunch *)kv;
    uint32_t id;
    int err = crunch_index_lookup(&c->img, key, &id);
    if (err < 0)
        return err;
    struct crunch_entry e;
    crunch_index_entry(&c->img, id, &e);
    st->type = e.type == MIRA_CRUNCH_FILE ? MIRA_KV_FILE : MIRA_KV_DIRECTORY;
    st->size = e.type == MIRA_CRUNCH_FILE ? e.size : 0;
    return 0;
}

static long crunch_read(struct mira_kv_ro *kv, const char *key, uint64_t offset,
                        void *buf, size_t len)
{
    struct crunch *c = (struct crunch *)kv;
    uint32_t id;
    int err = crunch_index_lookup(&c->img, key, &id);
    if (err < 0)
        return err;
    struct crunch_entry e;
    crunch_index_entry(&c->img, id, &e);
    if (e.type != MIRA_CRUNCH_FILE)
        return MIRA_EINVAL;
    uint8_t *scratch = NULL;
    long n = crunch_index_read(&c->img, &e, offset, buf, len, &scratch);
    free(scratch);
    if (n == MIRA_ECORRUPT)
        mira_log(MIRA_LOG_WARN, DRIVER, "%s: '%s' does not inflate: the image is corrupt",
                 kv->name, key);
    return n;
}

static int crunch_list(struct mira_kv_ro *kv, const char *key, uint64_t *cursor,
                       struct mira_kv_entry *entry)
{
    struct crunch *c = (struct crunch *)kv;
    uint32_t id;
    int err = crunch_index_lookup(&c->img, key, &id);
    if (err < 0)
        return err;
    struct crunch_entry dir, e;
    crunch_index_entry(&c->img, id, &dir);
    if (dir.type != MIRA_CRUNCH_DIRECTORY)
        return MIRA_EINVAL;
    if (*cursor >= dir.count)
        return 0;
    crunch_index_entry(&c->img, dir.first + (uint32_t)*cursor, &e);
    memcpy(entry->name, e.name, e.name_len); /* checked: <= MIRA_KV_NAME_MAX */
    entry->name[e.name_len] = '\0';
    entry->type = e.type == MIRA_CRUNCH_FILE ? MIRA_KV_FILE : MIRA_KV_DIRECTORY;
    entry->size = e.type == MIRA_CRUNCH_FILE ? e.size : 0;
    ++*cursor;
    return 1;
}

static void crunch_close(struct mira_kv_ro *kv)
{
    free(kv);
}

static const struct mira_kv_ro_ops crunch_ops = {
    .stat = crunch_stat,
    .read = crunch_read,
    .list = crunch_list,
    .close = crunch_close,
};

int mira_crunch_connect(struct mira_kv_ro **out, const char *name,
                        const struct mira_crunch_data *data)
{
    struct crunch *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return MIRA_ENOMEM;
    if (crunch_index_open(&c->img, data->index, data->index_len, data->data,
                          data->data_len) < 0) {
        free(c);
        mira_connect_error(name, DRIVER, "its embedded index is corrupt "
                           "(rebuild the app: mira-crunch writes the image)");
        return MIRA_ECORRUPT;
    }
    c->kv.ops = &crunch_ops;
    c->kv.name = name;
    *out = &c->kv;
    mira_log(MIRA_LOG_DEBUG, DRIVER, "%s: %u entries, %zu bytes of data", name,
             (unsigned)c->img.entries, c->img.data_len);
    return 0;
}
