/* tests/apps/kvtree: walks a key/value store and prints every key, for the
 * fat driver's tests (tests/integration/fat_*.py compare it with what
 * mcopy reads from the same image).
 *
 *   d PATH/                       a directory
 *   f PATH SIZE FNV               a file: its size and the FNV-1a 64 hash
 *                                 of its bytes, read in --chunk-byte pieces
 *   done N                        N keys, at the end
 * Every file's size from the listing must equal its stat and the bytes
 * read; any error prints "error: KEY: REASON" and ends with status 1. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mira/console.h>
#include <mira/kv_ro.h>
#include <mira/param.h>

MIRA_PARAM_DECLARE(chunk, "chunk", "4000", "bytes per read (odd sizes test ranged reads)");

#define MAX_DEPTH 64

struct walk {
    struct mira_console *con;
    struct mira_kv_ro *kv;
    char *key;
    uint8_t *buf;
    size_t chunk;
    unsigned long count;
};

static int failed(struct walk *w, const char *key, int err)
{
    mira_console_log(w->con, "error: %s: %s", key[0] ? key : "/", mira_strerror(err));
    return 1;
}

static int file(struct walk *w, uint64_t listed)
{
    struct mira_kv_stat st;
    int r = mira_kv_ro_stat(w->kv, w->key, &st);
    if (r < 0)
        return failed(w, w->key, r);
    uint64_t h = 0xcbf29ce484222325ull, off = 0;
    for (;;) {
        long n = mira_kv_ro_read(w->kv, w->key, off, w->buf, w->chunk);
        if (n < 0)
            return failed(w, w->key, (int)n);
        if (n == 0)
            break;
        for (long i = 0; i < n; i++)
            h = (h ^ w->buf[i]) * 0x100000001b3ull;
        off += (uint64_t)n;
    }
    if (st.type != MIRA_KV_FILE || st.size != listed || off != listed) {
        mira_console_log(w->con, "error: %s: listed %llu bytes, stat %llu, read %llu", w->key,
                         (unsigned long long)listed, (unsigned long long)st.size,
                         (unsigned long long)off);
        return 1;
    }
    mira_console_log(w->con, "f %s %llu %016llx", w->key, (unsigned long long)listed,
                     (unsigned long long)h);
    return 0;
}

static int dir(struct walk *w, size_t len, int depth)
{
    if (depth > MAX_DEPTH) {
        mira_console_log(w->con, "error: %s: deeper than %d", w->key, MAX_DEPTH);
        return 1;
    }
    struct mira_kv_entry *e = malloc(sizeof(*e));
    if (e == NULL)
        return failed(w, w->key, MIRA_ENOMEM);
    uint64_t cursor = 0;
    int r, status = 0;
    while (status == 0 && (r = mira_kv_ro_list(w->kv, w->key, &cursor, e)) == 1) {
        size_t n = strlen(e->name);
        if (len + n + 2 > MIRA_KV_KEY_MAX) {
            status = failed(w, w->key, MIRA_EINVAL);
            break;
        }
        char *at = w->key + len;
        if (len)
            *at++ = '/';
        memcpy(at, e->name, n + 1);
        size_t sub = (size_t)(at - w->key) + n;
        w->count++;
        if (e->type == MIRA_KV_DIRECTORY) {
            mira_console_log(w->con, "d %s/", w->key);
            status = dir(w, sub, depth + 1);
        } else {
            status = file(w, e->size);
        }
        w->key[len] = '\0';
    }
    free(e);
    if (status == 0 && r < 0)
        status = failed(w, w->key, r);
    return status;
}

int unikernel_start(struct mira_console *console0, struct mira_kv_ro *kv0)
{
    struct walk w = { .con = console0, .kv = kv0 };
    w.chunk = (size_t)strtoul(mira_param("chunk", "4000"), NULL, 10);
    if (w.chunk == 0)
        w.chunk = 4000;
    w.key = calloc(1, MIRA_KV_KEY_MAX + 1);
    w.buf = malloc(w.chunk);
    if (w.key == NULL || w.buf == NULL)
        return 1;
    int status = dir(&w, 0, 0);
    if (status == 0)
        mira_console_log(console0, "done %lu", w.count);
    free(w.key);
    free(w.buf);
    return status;
}
