/* resolve.c - keys opened below the store's directory: openat2 with
 * RESOLVE_BENEATH where the kernel has it, else a walk one component at a
 * time that refuses every symbolic link (see mira/kv_direct.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <mira/error.h>
#include <mira/kv_ro.h>

#include "resolve.h"

static bool walk_only;

void kv_direct_force_walk(bool on)
{
    walk_only = on;
}

static int from_errno(int e)
{
    switch (e) {
    case ENOENT:
    case EXDEV:  /* RESOLVE_BENEATH: the path would leave the directory */
    case ELOOP:  /* a symbolic link where none is followed, or a loop */
    case EACCES:
    case EPERM:
        return MIRA_ENOENT;
    case ENOTDIR:
        return MIRA_EINVAL;
    case ENAMETOOLONG:
        return MIRA_EINVAL;
    case ENOMEM:
        return MIRA_ENOMEM;
    default:
        return MIRA_EIO;
    }
}

/* Component by component: each one opened with O_NOFOLLOW below the
 * previous; a key has no ".." (the runtime refuses it), so only a symbolic
 * link could lead out, and links are refused. */
static int walk(int root, const char *key, int flags)
{
    int cur = root;
    const char *p = key;
    for (;;) {
        const char *slash = strchr(p, '/');
        char comp[NAME_MAX + 1];
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len > NAME_MAX) {
            if (cur != root)
                close(cur);
            return MIRA_ENOENT;
        }
        memcpy(comp, p, len);
        comp[len] = '\0';
        int fd = openat(cur, comp, (slash ? O_PATH : flags) | O_NOFOLLOW | O_CLOEXEC);
        int e = errno;
        if (cur != root)
            close(cur);
        if (fd < 0)
            return from_errno(e);
        /* O_PATH | O_NOFOLLOW opens a link itself: refuse it. */
        struct stat st;
        if (fstat(fd, &st) != 0 || S_ISLNK(st.st_mode)) {
            close(fd);
            return MIRA_ENOENT;
        }
        if (!slash)
            return fd;
        if (!S_ISDIR(st.st_mode)) {
            close(fd);
            return MIRA_EINVAL; /* a file used as a directory */
        }
        cur = fd;
        p = slash + 1;
    }
}

int kv_direct_open(int root, const char *key, int flags)
{
    if (*key == '\0')
        key = ".";
    if (!walk_only) {
        struct open_how how = {
            .flags = (unsigned long long)(flags | O_CLOEXEC),
            .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
        };
        for (;;) {
            long fd = syscall(SYS_openat2, root, key, &how, sizeof(how));
            if (fd >= 0)
                return (int)fd;
            if (errno == EAGAIN || errno == EINTR)
                continue; /* a rename raced the lookup: try again */
            if (errno != ENOSYS)
                return from_errno(errno);
            walk_only = true; /* this kernel has no openat2 */
            break;
        }
    }
    if (strcmp(key, ".") == 0) {
        int fd = openat(root, ".", flags | O_CLOEXEC);
        return fd < 0 ? from_errno(errno) : fd;
    }
    return walk(root, key, flags);
}
