/* image.h - an image file opened read-only for mira-fat's ls, cat and get:
 * its FAT volume (whole file or a partition) mounted over pread. */
#ifndef MIRA_FAT_TOOL_IMAGE_H
#define MIRA_FAT_TOOL_IMAGE_H

#include "../src/fat_vol.h"
#include "../src/part.h"

struct image {
    int fd;
    struct fat_dev dev;
    struct fat_part part;
    struct fat_vol vol;
};

/* image_open: opens path and mounts its volume (partition: FAT_PART_AUTO,
 * _WHOLE or a number).  Returns 0, or -1 after printing one line. */
int image_open(struct image *im, const char *path, int partition);

/* image_close: unmounts and closes. */
void image_close(struct image *im);

/* image_fail: prints "mira-fat: PATH: reason" for error code r (the
 * volume's reason for MIRA_ECORRUPT) and returns 1, the exit status. */
int image_fail(struct image *im, const char *path, int r);

#endif
