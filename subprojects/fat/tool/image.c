/* image.c - a FAT image file, read through the driver's parsers. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <mira/error.h>

#include "image.h"

/* The tool links no runtime: its own names for the codes it meets. */
static const char *err_text(int r)
{
    switch (r) {
    case MIRA_ENOENT: return "no such file or directory in the image";
    case MIRA_EINVAL: return "a file used as a directory, or a directory as a file";
    case MIRA_EIO: return "read error";
    case MIRA_ENOMEM: return "out of memory";
    case MIRA_ECORRUPT: return "corrupt image";
    default: return "error";
    }
}

static int file_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    int fd = *(int *)ctx;
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = pread(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return MIRA_EIO;
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

int image_open(struct image *im, const char *path, int partition)
{
    memset(im, 0, sizeof(*im));
    im->fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (im->fd < 0 || fstat(im->fd, &st) != 0) {
        fprintf(stderr, "mira-fat: %s: %s\n", path, strerror(errno));
        if (im->fd >= 0)
            close(im->fd);
        return -1;
    }
    im->dev = (struct fat_dev){ .read = file_read, .ctx = &im->fd,
                                .size = (uint64_t)st.st_size, .unit = 1 };
    const char *why = NULL;
    int r = fat_part_find(&im->dev, 512, partition, &im->part, &why);
    if (r < 0) {
        fprintf(stderr, "mira-fat: %s: %s\n", path, why ? why : err_text(r));
        close(im->fd);
        return -1;
    }
    r = fat_vol_mount(&im->vol, &im->dev, im->part.start, im->part.size);
    if (r < 0) {
        image_fail(im, path, r);
        close(im->fd);
        return -1;
    }
    return 0;
}

void image_close(struct image *im)
{
    fat_vol_unmount(&im->vol);
    close(im->fd);
}

int image_fail(struct image *im, const char *path, int r)
{
    if (r == MIRA_ECORRUPT)
        fprintf(stderr, "mira-fat: %s: corrupt image: %s\n", path,
                im->vol.why ? im->vol.why : "?");
    else
        fprintf(stderr, "mira-fat: %s: %s\n", path, err_text(r));
    return 1;
}
