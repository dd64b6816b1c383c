/* kv_direct.c - the kv_ro driver over a host directory (see
 * mira/kv_direct.h); keys are opened by resolve.c. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <mira/driver/kv_ro.h>
#include <mira/kv_direct.h>
#include <mira/log.h>
#include <mira/param.h>
#include <mira/runtime.h>

#include "resolve.h"

#define DRIVER "kv-direct"

MIRA_PARAM_DECLARE(dir, "*-dir", NULL,
                   "kv-direct: the host directory the device serves "
                   "(default: the app's, named at build time)");

struct kv_direct {
    struct mira_kv_ro kv; /* first: the runtime sees only this */
    int root;             /* O_PATH descriptor of the directory */
};

/* The type of what fd is open on: a file or directory, else ENOENT. */
static int type_of(int fd, struct mira_kv_stat *st)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return MIRA_EIO;
    if (S_ISREG(sb.st_mode))
        *st = (struct mira_kv_stat){ MIRA_KV_FILE, (uint64_t)sb.st_size };
    else if (S_ISDIR(sb.st_mode))
        *st = (struct mira_kv_stat){ MIRA_KV_DIRECTORY, 0 };
    else
        return MIRA_ENOENT; /* FIFOs, devices, sockets are not served */
    return 0;
}

static int kv_direct_stat(struct mira_kv_ro *kv, const char *key, struct mira_kv_stat *st)
{
    int fd = kv_direct_open(((struct kv_direct *)kv)->root, key, O_PATH);
    if (fd < 0)
        return fd;
    int err = type_of(fd, st);
    close(fd);
    return err;
}

static long kv_direct_read(struct mira_kv_ro *kv, const char *key, uint64_t offset,
                           void *buf, size_t len)
{
    struct kv_direct *d = (struct kv_direct *)kv;
    /* Looked at through O_PATH first, so opening for reading never
     * touches a FIFO or a device. */
    struct mira_kv_stat st;
    int err = kv_direct_stat(kv, key, &st);
    if (err < 0)
        return err;
    if (st.type != MIRA_KV_FILE)
        return MIRA_EINVAL;
    int fd = kv_direct_open(d->root, key, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return fd;
    if ((err = type_of(fd, &st)) < 0 || st.type != MIRA_KV_FILE) {
        close(fd); /* replaced between the two opens */
        return err < 0 ? err : MIRA_EINVAL;
    }
    size_t done = 0;
    while (done < len && offset + done < (uint64_t)INT64_MAX) {
        ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            mira_log(MIRA_LOG_WARN, DRIVER, "%s: read of '%s': %s", kv->name, key, strerror(errno));
            close(fd);
            return MIRA_EIO;
        }
        if (n == 0)
            break;
        done += (size_t)n;
    }
    close(fd);
    return (long)done;
}

static int kv_direct_list(struct mira_kv_ro *kv, const char *key, uint64_t *cursor,
                          struct mira_kv_entry *entry)
{
    struct kv_direct *d = (struct kv_direct *)kv;
    /* Through O_PATH first, so that what is not served (a FIFO) is
     * MIRA_ENOENT here too, not "not a directory". */
    struct mira_kv_stat st;
    int err = kv_direct_stat(kv, key, &st);
    if (err < 0)
        return err;
    if (st.type != MIRA_KV_DIRECTORY)
        return MIRA_EINVAL;
    int fd = kv_direct_open(d->root, key, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return fd;
    DIR *dir = fdopendir(fd);
    if (dir == NULL) {
        close(fd);
        return MIRA_ENOMEM;
    }
    /* The cursor counts the entries returned so far: each call reads the
     * directory again and skips them (the directory's own order). */
    uint64_t seen = 0;
    int found = 0;
    struct dirent *de;
    while (!found && (de = readdir(dir)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        /* Only what a key could reach: a link that leads out, a FIFO or
         * a device is not listed. */
        size_t klen = strlen(key), nlen = strlen(de->d_name);
        if (klen + 1 + nlen > MIRA_KV_KEY_MAX || nlen > MIRA_KV_NAME_MAX)
            continue;
        char child[MIRA_KV_KEY_MAX + 1];
        memcpy(child, key, klen);
        child[klen] = '/';
        memcpy(child + (klen ? klen + 1 : 0), de->d_name, nlen + 1);
        int cfd = kv_direct_open(d->root, child, O_PATH);
        if (cfd < 0)
            continue;
        err = type_of(cfd, &st);
        close(cfd);
        if (err < 0)
            continue;
        if (seen++ < *cursor)
            continue;
        memcpy(entry->name, de->d_name, nlen + 1);
        entry->type = st.type;
        entry->size = st.size;
        found = 1;
    }
    closedir(dir);
    if (found)
        ++*cursor;
    return found;
}

static void kv_direct_close(struct mira_kv_ro *kv)
{
    close(((struct kv_direct *)kv)->root);
    free(kv);
}

static const struct mira_kv_ro_ops kv_direct_ops = {
    .stat = kv_direct_stat,
    .read = kv_direct_read,
    .list = kv_direct_list,
    .close = kv_direct_close,
};

int mira_kv_direct_connect(struct mira_kv_ro **out, const char *name,
                           const struct mira_kv_direct_data *data)
{
    char key[128];
    snprintf(key, sizeof(key), "%s-dir", name);
    const char *path = mira_param(key, data ? data->dir : NULL);
    if (path == NULL || *path == '\0') {
        mira_connect_error(name, DRIVER, "no directory (give --%s=PATH)", key);
        return MIRA_EINVAL;
    }
    int root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) {
        int e = errno;
        mira_connect_error(name, DRIVER, "'%s': %s (the directory is --%s=PATH)", path,
                           e == ENOENT ? "no such directory" : e == ENOTDIR ? "not a directory"
                                                                           : strerror(e),
                           key);
        return e == ENOENT ? MIRA_ENOENT : e == ENOTDIR ? MIRA_EINVAL : MIRA_EIO;
    }
    struct kv_direct *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        close(root);
        return MIRA_ENOMEM;
    }
    d->kv.ops = &kv_direct_ops;
    d->kv.name = name;
    d->root = root;
    *out = &d->kv;
    mira_log(MIRA_LOG_DEBUG, DRIVER, "%s: serving '%s'", name, path);
    return 0;
}
