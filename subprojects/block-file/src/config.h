/* config.h - block-file's runtime parameters, parsed apart from any I/O so
 * that unit tests can check every accepted and refused value. */
#ifndef BLOCK_FILE_CONFIG_H
#define BLOCK_FILE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Default path of the backing file: the tutorial's disk.img. */
#define BF_DEFAULT_FILE "disk.img"
/* Sector size of a regular file unless <device>-sector-size says otherwise. */
#define BF_DEFAULT_SECTOR_SIZE 512u

enum bf_direct {
    BF_DIRECT_AUTO, /* O_DIRECT when the file system takes it, else buffered */
    BF_DIRECT_YES,  /* O_DIRECT or fail */
    BF_DIRECT_NO,   /* buffered, through the page cache */
};

struct bf_config {
    char path[4096];        /* <device>-file */
    uint32_t sector_size;   /* <device>-sector-size; 0: not given */
    bool read_only;         /* <device>-read-only */
    enum bf_direct direct;  /* <device>-direct */
};

/* How a parameter is looked up: mira_param in the driver, a table in tests. */
typedef const char *(*bf_param_fn)(const char *key, const char *dflt);

/* bf_config_read: fills c from the parameters of device dev (keys
 * "<dev>-file", "<dev>-sector-size", "<dev>-read-only", "<dev>-direct").
 * Returns 0, or -1 with a one-line message naming the parameter in err. */
int bf_config_read(struct bf_config *c, const char *dev, bf_param_fn param,
                   char *err, size_t errlen);

/* bf_config_sector_size: the sector size to use, given what the parameter
 * asked (0: nothing) and, for a host block device, its logical sector size
 * (0 for a regular file).  A block device's sectors cannot be smaller than,
 * or a fraction of, its own.  Returns 0, or -1 with a message in err. */
int bf_config_sector_size(uint32_t asked, uint32_t logical, const char *dev,
                          uint32_t *out, char *err, size_t errlen);

#endif
