/* block_file.c - the block device on a host file or block device, with
 * io_uring for the I/O (see mira/block_file.h and ring.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mira/block_file.h>
#include <mira/driver/block.h>
#include <mira/log.h>
#include <mira/param.h>
#include <mira/runtime.h>

#include "config.h"
#include "ring.h"

#define DRIVER "block-file"
/* Requests in flight at once per device; more fibers queue for a slot. */
#define RING_ENTRIES 64
/* The most bytes one io_uring read or write carries (its result is an
 * int); a longer request becomes several, one after the other. */
#define CHUNK_MAX ((size_t)1 << 30)

struct block_file {
    struct mira_block dev; /* first: the runtime sees only this */
    int fd;
    bool direct;           /* fd has O_DIRECT */
    bool direct_required;  /* --<dev>-direct=yes: no fallback */
    struct bf_ring ring;
};

static const struct mira_block_ops block_file_ops;

/* --- I/O --- */

struct rw_args {
    int fd;
    bool write;
    void *buf;
    unsigned len;
    uint64_t off;
};

static void prep_rw(struct io_uring_sqe *sqe, void *arg)
{
    struct rw_args *a = arg;
    if (a->write)
        io_uring_prep_write(sqe, a->fd, a->buf, a->len, a->off);
    else
        io_uring_prep_read(sqe, a->fd, a->buf, a->len, a->off);
}

/* The file system refused an O_DIRECT request (its alignment is coarser
 * than our sectors): go on through the page cache, for every fiber. */
static bool drop_direct(struct block_file *s)
{
    if (!s->direct || s->direct_required)
        return false;
    int fl = fcntl(s->fd, F_GETFL);
    if (fl < 0 || fcntl(s->fd, F_SETFL, fl & ~O_DIRECT) < 0)
        return false;
    s->direct = false;
    mira_log(MIRA_LOG_INFO, DRIVER, "%s: O_DIRECT refused for %u-byte sectors; "
             "using the page cache", s->dev.name, (unsigned)s->dev.info.sector_size);
    return true;
}

static int block_file_rw(struct block_file *s, bool write, uint64_t sector,
                         char *buf, size_t len)
{
    uint64_t off = sector * s->dev.info.sector_size;
    while (len > 0) {
        struct rw_args a = { .fd = s->fd, .write = write, .buf = buf,
                             .len = (unsigned)(len < CHUNK_MAX ? len : CHUNK_MAX),
                             .off = off };
        int res = bf_ring_run(&s->ring, prep_rw, &a);
        if (res == -EINTR || res == -EAGAIN || (res == -EINVAL && drop_direct(s)))
            continue;
        if (res <= 0) {
            mira_log(MIRA_LOG_WARN, DRIVER, "%s: %s of %u bytes at byte %llu: %s",
                     s->dev.name, write ? "write" : "read", a.len,
                     (unsigned long long)off, res ? strerror(-res) : "unexpected end of file");
            return MIRA_EIO;
        }
        buf += res;
        off += (unsigned)res;
        len -= (unsigned)res;
    }
    return MIRA_OK;
}

static int block_file_read(struct mira_block *b, uint64_t sector, void *buf, size_t len)
{
    return block_file_rw((struct block_file *)b, false, sector, buf, len);
}

static int block_file_write(struct mira_block *b, uint64_t sector, const void *buf, size_t len)
{
    /* io_uring does not write through the pointer; the cast keeps one path. */
    return block_file_rw((struct block_file *)b, true, sector, (char *)(uintptr_t)buf, len);
}

static void prep_fdatasync(struct io_uring_sqe *sqe, void *arg)
{
    io_uring_prep_fsync(sqe, *(int *)arg, IORING_FSYNC_DATASYNC);
}

static int block_file_flush(struct mira_block *b)
{
    struct block_file *s = (struct block_file *)b;
    int res;
    while ((res = bf_ring_run(&s->ring, prep_fdatasync, &s->fd)) == -EINTR)
        ;
    if (res < 0) {
        mira_log(MIRA_LOG_WARN, DRIVER, "%s: fdatasync: %s", b->name, strerror(-res));
        return MIRA_EIO;
    }
    return MIRA_OK;
}

struct discard_args {
    int fd;
    uint64_t off, len;
};

static void prep_discard(struct io_uring_sqe *sqe, void *arg)
{
    struct discard_args *a = arg;
    io_uring_prep_fallocate(sqe, a->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                            a->off, a->len);
}

static int block_file_discard(struct mira_block *b, uint64_t sector, uint64_t count)
{
    struct block_file *s = (struct block_file *)b;
    struct discard_args a = { s->fd, sector * b->info.sector_size,
                              count * b->info.sector_size };
    int res;
    while ((res = bf_ring_run(&s->ring, prep_discard, &a)) == -EINTR)
        ;
    if (res == -EOPNOTSUPP)
        return MIRA_ENOTSUP;
    if (res < 0) {
        mira_log(MIRA_LOG_WARN, DRIVER, "%s: discard: %s", b->name, strerror(-res));
        return MIRA_EIO;
    }
    return MIRA_OK;
}

static void block_file_close(struct mira_block *b)
{
    struct block_file *s = (struct block_file *)b;
    bf_ring_exit(&s->ring);
    close(s->fd);
    free(s);
}

static const struct mira_block_ops block_file_ops = {
    .read = block_file_read,
    .write = block_file_write,
    .flush = block_file_flush,
    .discard = block_file_discard,
    .close = block_file_close,
};

void mira_block_file_stats(const struct mira_block *b, struct mira_block_file_stats *st)
{
    if (b == NULL || b->ops != &block_file_ops)
        mira_panic("mira_block_file_stats: not a block-file device");
    const struct block_file *s = (const struct block_file *)b;
    *st = (struct mira_block_file_stats){ .requests = s->ring.requests,
                                          .max_in_flight = s->ring.max_in_flight,
                                          .direct = s->direct };
}

/* --- connect --- */

/* Opens path read-write, or read-only when asked or when that is all the
 * file allows (*read_only then becomes true); with O_DIRECT unless mode
 * says no or (auto) the file system refuses it.  Returns the fd or -errno. */
static int open_backing(const char *path, bool *read_only, enum bf_direct mode, bool *direct)
{
    for (;;) {
        int flags = O_CLOEXEC | (*read_only ? O_RDONLY : O_RDWR);
        int fd = -1;
        *direct = mode != BF_DIRECT_NO;
        if (*direct) {
            fd = open(path, flags | O_DIRECT);
            if (fd < 0 && errno == EINVAL && mode == BF_DIRECT_AUTO)
                *direct = false;
        }
        if (!*direct)
            fd = open(path, flags);
        if (fd >= 0)
            return fd;
        if (!*read_only && (errno == EACCES || errno == EPERM || errno == EROFS)) {
            mira_log(MIRA_LOG_INFO, DRIVER, "'%s' cannot be opened read-write (%s): "
                     "read-only device", path, strerror(errno));
            *read_only = true;
            continue;
        }
        return -errno;
    }
}

static int fail_connect(const char *name, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_connect(const char *name, int err, const char *fmt, ...)
{
    char why[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    mira_connect_error(name, DRIVER, "%s", why);
    return err;
}

/* The parameters config.c reads, for --help and the start-up check. */
MIRA_PARAM_DECLARE(file, "*-file", BF_DEFAULT_FILE,
                   "the disk image or block device backing the device");
MIRA_PARAM_DECLARE(sector_size, "*-sector-size", NULL,
                   "sector size in bytes, a power of two from 512 to 65536 "
                   "(default: the device's logical sector size, 512 for a file)");
MIRA_PARAM_DECLARE(read_only, "*-read-only", "no",
                   "yes: refuse writes even if the file is writable");
MIRA_PARAM_DECLARE(direct, "*-direct", "auto",
                   "O_DIRECT: auto (where the file system allows it), yes or no");

int mira_block_file_connect(struct mira_block **out, const char *name)
{
    char err[512];
    struct bf_config cfg;
    if (bf_config_read(&cfg, name, mira_param, err, sizeof(err)) < 0)
        return fail_connect(name, MIRA_EINVAL, "%s", err);

    bool read_only = cfg.read_only, direct;
    int fd = open_backing(cfg.path, &read_only, cfg.direct, &direct);
    if (fd == -ENOENT)
        return fail_connect(name, MIRA_ENOENT, "'%s': no such file (the path is "
                            "--%s-file=PATH, default %s)", cfg.path, name, BF_DEFAULT_FILE);
    if (fd == -EINVAL && cfg.direct == BF_DIRECT_YES)
        return fail_connect(name, MIRA_EINVAL, "'%s': the file system refuses O_DIRECT "
                            "(--%s-direct=yes)", cfg.path, name);
    if (fd < 0)
        return fail_connect(name, MIRA_EIO, "'%s' (--%s-file): %s", cfg.path, name,
                            strerror(-fd));

    struct stat st;
    uint64_t bytes = 0;
    uint32_t logical = 0;
    int ro_flag = 0;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return fail_connect(name, MIRA_EIO, "'%s': fstat: %s", cfg.path, strerror(errno));
    }
    if (S_ISREG(st.st_mode)) {
        bytes = (uint64_t)st.st_size;
    } else if (S_ISBLK(st.st_mode)) {
        int lss = 0;
        if (ioctl(fd, BLKGETSIZE64, &bytes) < 0 || ioctl(fd, BLKSSZGET, &lss) < 0 ||
            ioctl(fd, BLKROGET, &ro_flag) < 0) {
            int e = errno;
            close(fd);
            return fail_connect(name, MIRA_EIO, "'%s': block device ioctl: %s", cfg.path,
                                strerror(e));
        }
        logical = (uint32_t)lss;
        read_only |= ro_flag != 0;
    } else {
        close(fd);
        return fail_connect(name, MIRA_EINVAL, "'%s' (--%s-file) is not a file or a "
                            "block device", cfg.path, name);
    }
    uint32_t ss;
    if (bf_config_sector_size(cfg.sector_size, logical, name, &ss, err, sizeof(err)) < 0) {
        close(fd);
        return fail_connect(name, MIRA_EINVAL, "'%s': %s", cfg.path, err);
    }

    struct block_file *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        close(fd);
        return MIRA_ENOMEM;
    }
    int r = bf_ring_init(&s->ring, RING_ENTRIES);
    if (r < 0) {
        close(fd);
        free(s);
        return fail_connect(name, r == -ENOMEM ? MIRA_ENOMEM : MIRA_ENOTSUP,
                            "io_uring unavailable: %s", strerror(-r));
    }
    s->dev.ops = &block_file_ops;
    s->dev.name = name;
    s->dev.info = (struct mira_block_info){
        .sectors = bytes / ss,
        .sector_size = ss,
        .read_write = !read_only,
        .discard = true,
    };
    s->fd = fd;
    s->direct = direct;
    s->direct_required = cfg.direct == BF_DIRECT_YES;
    if (bytes % ss != 0)
        mira_log(MIRA_LOG_WARN, DRIVER, "%s: the last %llu bytes of '%s' are not a whole "
                 "%u-byte sector and are not used", name,
                 (unsigned long long)(bytes % ss), cfg.path, (unsigned)ss);
    mira_log(MIRA_LOG_DEBUG, DRIVER, "%s: '%s', %llu sectors of %u bytes, %s, %s", name,
             cfg.path, (unsigned long long)s->dev.info.sectors, (unsigned)ss,
             read_only ? "read-only" : "read-write",
             direct ? "O_DIRECT" : "buffered (page cache)");
    *out = &s->dev;
    return MIRA_OK;
}
