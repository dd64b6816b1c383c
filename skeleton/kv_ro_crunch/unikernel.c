/* skeleton/kv_ro_crunch: the tutorial's key/value test.  Two stores built
 * from the same folder (t/) are walked together: every file of kv0 is read
 * from both and compared, printing "YES!" when they match and "NO" (with
 * why) when not; kv1 must have no file kv0 lacks.  The exit status is 0
 * only if every file matched.  Names are sorted in each directory, so the
 * output is the same whatever order a driver lists in. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mira/console.h>
#include <mira/kv_ro.h>

#define CHUNK 4096

struct walk {
    struct mira_console *c;
    struct mira_kv_ro *kv0, *kv1;
    unsigned char *buf0, *buf1;
    int files, matched;
};

/* Reads key from both stores chunk by chunk; 1 if they hold the same bytes. */
static int same_file(struct walk *w, const char *key)
{
    struct mira_kv_stat s0, s1;
    int err = mira_kv_ro_stat(w->kv1, key, &s1);
    if (err < 0) {
        mira_console_log(w->c, "%s: NO (kv1: %s)", key, mira_strerror(err));
        return 0;
    }
    if ((err = mira_kv_ro_stat(w->kv0, key, &s0)) < 0 || s0.type != s1.type ||
        s0.size != s1.size) {
        mira_console_log(w->c, "%s: NO (not the same size)", key);
        return 0;
    }
    for (uint64_t off = 0;; off += CHUNK) {
        long n0 = mira_kv_ro_read(w->kv0, key, off, w->buf0, CHUNK);
        long n1 = mira_kv_ro_read(w->kv1, key, off, w->buf1, CHUNK);
        if (n0 < 0 || n1 < 0) {
            mira_console_log(w->c, "%s: NO (read: %s)", key, mira_strerror(n0 < 0 ? (int)n0 : (int)n1));
            return 0;
        }
        if (n0 != n1 || memcmp(w->buf0, w->buf1, (size_t)n0) != 0) {
            mira_console_log(w->c, "%s: NO (differs after byte %llu)", key,
                             (unsigned long long)off);
            return 0;
        }
        if (n0 == 0)
            return 1;
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in directory dir of kv, sorted, in *names (count returned);
 * directories end with '/'. */
static int list_sorted(struct mira_kv_ro *kv, const char *dir, char ***names)
{
    struct mira_kv_entry *e = malloc(sizeof(*e));
    int n = 0, cap = 0, r;
    uint64_t cursor = 0;
    *names = NULL;
    if (e == NULL)
        return MIRA_ENOMEM;
    while ((r = mira_kv_ro_list(kv, dir, &cursor, e)) == 1) {
        if (n == cap) {
            char **more = realloc(*names, sizeof(char *) * (size_t)(cap = cap ? 2 * cap : 16));
            if (more == NULL) {
                r = MIRA_ENOMEM;
                break;
            }
            *names = more;
        }
        size_t len = strlen(e->name);
        char *s = malloc(len + 2);
        if (s == NULL) {
            r = MIRA_ENOMEM;
            break;
        }
        memcpy(s, e->name, len);
        strcpy(s + len, e->type == MIRA_KV_DIRECTORY ? "/" : "");
        (*names)[n++] = s;
    }
    free(e);
    if (r < 0) {
        while (n > 0)
            free((*names)[--n]);
        free(*names);
        *names = NULL;
        return r;
    }
    if (n > 1)
        qsort(*names, (size_t)n, sizeof(char *), by_name);
    return n;
}

static void free_names(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Compares every file below dir ("" for the root); returns the files seen. */
static int walk_dir(struct walk *w, const char *dir)
{
    char **names;
    int n = list_sorted(w->kv0, dir, &names);
    if (n < 0) {
        mira_console_log(w->c, "%s/: NO (list: %s)", dir, mira_strerror(n));
        w->files++; /* counts as a file that did not match */
        return 0;
    }
    for (int i = 0; i < n; i++) {
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        char *key = malloc(len);
        if (key == NULL)
            break;
        strcpy(key, dir);
        if (*dir)
            strcat(key, "/");
        strcat(key, names[i]);
        size_t klen = strlen(key);
        if (key[klen - 1] == '/') {
            key[klen - 1] = '\0';
            walk_dir(w, key);
        } else {
            w->files++;
            if (same_file(w, key)) {
                w->matched++;
                mira_console_log(w->c, "%s: YES!", key);
            }
        }
        free(key);
    }
    free_names(names, n);
    return n;
}

/* The files below dir of kv (for kv1's count). */
static int count_files(struct mira_kv_ro *kv, const char *dir)
{
    char **names;
    int n = list_sorted(kv, dir, &names), files = 0;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        if (names[i][len - 1] != '/') {
            files++;
            continue;
        }
        char *key = malloc(strlen(dir) + len + 2);
        if (key == NULL)
            break;
        strcpy(key, dir);
        if (*dir)
            strcat(key, "/");
        strcat(key, names[i]);
        key[strlen(key) - 1] = '\0'; /* the directory's '/' */
        files += count_files(kv, key);
        free(key);
    }
    if (n > 0)
        free_names(names, n);
    return files;
}

int unikernel_start(struct mira_console *c, struct mira_kv_ro *kv0, struct mira_kv_ro *kv1)
{
    struct walk w = { c, kv0, kv1, malloc(CHUNK), malloc(CHUNK), 0, 0 };
    if (w.buf0 == NULL || w.buf1 == NULL) {
        free(w.buf0);
        free(w.buf1);
        return 1;
    }
    mira_console_log(c, "comparing every file of %s with %s", mira_kv_ro_name(kv0),
                     mira_kv_ro_name(kv1));
    walk_dir(&w, "");
    int others = count_files(kv1, "");
    if (others != w.files)
        mira_console_log(c, "NO: %s has %d files, %s %d", mira_kv_ro_name(kv1), others,
                         mira_kv_ro_name(kv0), w.files);
    mira_console_log(c, "%d files, %d matched", w.files, w.matched);
    free(w.buf0);
    free(w.buf1);
    return w.files > 0 && w.matched == w.files && others == w.files ? 0 : 1;
}
