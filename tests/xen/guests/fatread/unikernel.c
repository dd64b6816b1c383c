/* tests/xen/guests/fatread: the Mira half of the FAT read benchmark (not a
 * verdict).  Mounts the FAT image on its disk with the fat driver (the
 * store the kv_ro apps get from -Dkv=fat) and reads every file of it
 * through mira_kv_ro, in 64 KiB reads, timing both together; then prints
 * "BENCH-RAW fat-read <files> <bytes> <microseconds>".  The rig's Linux
 * guest linux-fatread mounts the same image (vfat) and `cat`s every file
 * in the same Xen boot, and ratio.py (meson test --benchmark) compares
 * them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mira/block.h>
#include <mira/console.h>
#include <mira/fat.h>
#include <mira/kv_ro.h>
#include <mira/time.h>

#define CHUNK (64u * 1024u)
#define MAX_DEPTH 32

struct walk {
    struct mira_console *con;
    struct mira_kv_ro *kv;
    char key[MIRA_KV_KEY_MAX + 1];
    uint8_t *buf;
    unsigned long files;
    uint64_t bytes;
};

static int failed(struct walk *w, int err)
{
    mira_console_log(w->con, "fatread: %s: %s", w->key[0] ? w->key : "/", mira_strerror(err));
    return 1;
}

static int read_file(struct walk *w)
{
    uint64_t off = 0;
    for (;;) {
        long n = mira_kv_ro_read(w->kv, w->key, off, w->buf, CHUNK);
        if (n < 0)
            return failed(w, (int)n);
        if (n == 0)
            break;
        off += (uint64_t)n;
    }
    w->files++;
    w->bytes += off;
    return 0;
}

static int read_dir(struct walk *w, size_t len, int depth)
{
    if (depth > MAX_DEPTH)
        return failed(w, MIRA_EINVAL);
    struct mira_kv_entry e;
    uint64_t cursor = 0;
    int r;
    while ((r = mira_kv_ro_list(w->kv, w->key, &cursor, &e)) == 1) {
        size_t n = strlen(e.name);
        if (len + n + 2 > MIRA_KV_KEY_MAX)
            return failed(w, MIRA_EINVAL);
        char *at = w->key + len;
        if (len)
            *at++ = '/';
        memcpy(at, e.name, n + 1);
        size_t sub = (size_t)(at - w->key) + n;
        int status = e.type == MIRA_KV_DIRECTORY ? read_dir(w, sub, depth + 1) : read_file(w);
        w->key[len] = '\0';
        if (status)
            return status;
    }
    return r < 0 ? failed(w, r) : 0;
}

int unikernel_start(struct mira_console *console0, struct mira_block *block0)
{
    static struct walk w;
    w.con = console0;
    w.buf = malloc(CHUNK);
    if (w.buf == NULL)
        return 1;
    /* Timed from the mount, as Linux's side is timed from `mount`. */
    mira_time_t t0 = mira_clock_monotonic();
    int r = mira_fat_connect(&w.kv, "kv0", block0);
    if (r < 0)
        return failed(&w, r);
    int status = read_dir(&w, 0, 0);
    mira_time_t t1 = mira_clock_monotonic();
    if (status == 0) {
        mira_console_log(console0, "BENCH-RAW fat-read %lu %llu %llu", w.files,
                         (unsigned long long)w.bytes, (unsigned long long)((t1 - t0) / 1000));
        mira_console_log(console0, "fatread: done");
    }
    mira_kv_ro_close(w.kv);
    free(w.buf);
    return status;
}
