/* kv_ro.c - the read-only key/value store's public functions: every key is
 * normalised here, the same way for every driver, before it is dispatched. */
#include <string.h>
#include <mira/driver/kv_ro.h>
#include <mira/log.h>

long mira_kv_key_normalize(const char *key, char *out, size_t size)
{
    size_t n = 0;
    const char *p = key;
    for (;;) {
        while (*p == '/')
            p++;
        if (*p == '\0')
            break;
        const char *end = p;
        while (*end != '\0' && *end != '/')
            end++;
        size_t len = (size_t)(end - p);
        if (len == 1 && p[0] == '.') {
            p = end;
            continue;
        }
        /* ".." is refused, not resolved: a key never walks up, so no key
         * can reach outside the store whatever the driver below does. */
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return MIRA_ENOENT;
        size_t need = n + (n ? 1 : 0) + len;
        if (need > MIRA_KV_KEY_MAX || need + 1 > size)
            return MIRA_EINVAL;
        if (n)
            out[n++] = '/';
        memcpy(out + n, p, len);
        n += len;
        p = end;
    }
    if (size == 0)
        return MIRA_EINVAL;
    out[n] = '\0';
    return (long)n;
}

static struct mira_kv_ro *checked(struct mira_kv_ro *kv, const char *what)
{
    if (kv == NULL || kv->ops == NULL)
        mira_panic("%s: NULL key/value device", what);
    return kv;
}

int mira_kv_ro_stat(struct mira_kv_ro *kv, const char *key, struct mira_kv_stat *st)
{
    char norm[MIRA_KV_KEY_MAX + 1];
    checked(kv, "mira_kv_ro_stat");
    long n = mira_kv_key_normalize(key, norm, sizeof(norm));
    if (n < 0)
        return (int)n;
    return kv->ops->stat(kv, norm, st);
}

long mira_kv_ro_read(struct mira_kv_ro *kv, const char *key, uint64_t offset,
                     void *buf, size_t len)
{
    char norm[MIRA_KV_KEY_MAX + 1];
    checked(kv, "mira_kv_ro_read");
    long n = mira_kv_key_normalize(key, norm, sizeof(norm));
    if (n < 0)
        return n;
    if (len == 0) {
        /* Still tell a missing key or a directory from an empty read. */
        struct mira_kv_stat st;
        int r = kv->ops->stat(kv, norm, &st);
        if (r < 0)
            return r;
        return st.type == MIRA_KV_FILE ? 0 : MIRA_EINVAL;
    }
    /* A count must fit the return type. */
    if (len > (size_t)(((unsigned long)-1) >> 1))
        len = (size_t)(((unsigned long)-1) >> 1);
    return kv->ops->read(kv, norm, offset, buf, len);
}

int mira_kv_ro_list(struct mira_kv_ro *kv, const char *key, uint64_t *cursor,
                    struct mira_kv_entry *entry)
{
    char norm[MIRA_KV_KEY_MAX + 1];
    checked(kv, "mira_kv_ro_list");
    long n = mira_kv_key_normalize(key, norm, sizeof(norm));
    if (n < 0)
        return (int)n;
    return kv->ops->list(kv, norm, cursor, entry);
}

void mira_kv_ro_close(struct mira_kv_ro *kv)
{
    checked(kv, "mira_kv_ro_close")->ops->close(kv);
}

const char *mira_kv_ro_name(const struct mira_kv_ro *kv)
{
    return kv->name;
}
