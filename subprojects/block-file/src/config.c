/* config.c - block-file's runtime parameters (see config.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mira/driver/block.h>

#include "config.h"

static int fail(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "%s", what);
    return -1;
}

/* A boolean parameter: given without a value ("--block0-read-only") or
 * as yes/no, true/false, 1/0. */
static int parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = { "", "1", "yes", "true", "on" };
    static const char *const no[] = { "0", "no", "false", "off" };
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        if (strcmp(v, yes[i]) == 0)
            return *out = true, 0;
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        if (strcmp(v, no[i]) == 0)
            return *out = false, 0;
    return -1;
}

int bf_config_read(struct bf_config *c, const char *dev, bf_param_fn param,
                   char *err, size_t errlen)
{
    char key[96], msg[512];
    *c = (struct bf_config){ .direct = BF_DIRECT_AUTO };

    snprintf(key, sizeof(key), "%s-file", dev);
    const char *path = param(key, BF_DEFAULT_FILE);
    if (path[0] == '\0' || strlen(path) >= sizeof(c->path)) {
        snprintf(msg, sizeof(msg), "--%s needs a path (default %s)", key, BF_DEFAULT_FILE);
        return fail(err, errlen, msg);
    }
    strcpy(c->path, path);

    snprintf(key, sizeof(key), "%s-sector-size", dev);
    const char *ss = param(key, NULL);
    if (ss != NULL) {
        char *end;
        unsigned long v = strtoul(ss, &end, 10);
        if (ss[0] < '0' || ss[0] > '9' || *end != '\0' || !mira_block_sector_size_ok(v)) {
            snprintf(msg, sizeof(msg), "--%s=%s is not a sector size "
                     "(a power of two from 512 to 65536, e.g. 512 or 4096)", key, ss);
            return fail(err, errlen, msg);
        }
        c->sector_size = (uint32_t)v;
    }

    snprintf(key, sizeof(key), "%s-read-only", dev);
    const char *ro = param(key, "no");
    if (parse_bool(ro, &c->read_only) < 0) {
        snprintf(msg, sizeof(msg), "--%s=%s is not yes or no", key, ro);
        return fail(err, errlen, msg);
    }

    snprintf(key, sizeof(key), "%s-direct", dev);
    const char *d = param(key, "auto");
    if (strcmp(d, "auto") == 0) {
        c->direct = BF_DIRECT_AUTO;
    } else {
        bool yes;
        if (parse_bool(d, &yes) < 0) {
            snprintf(msg, sizeof(msg), "--%s=%s is not auto, yes or no", key, d);
            return fail(err, errlen, msg);
        }
        c->direct = yes ? BF_DIRECT_YES : BF_DIRECT_NO;
    }
    return 0;
}

int bf_config_sector_size(uint32_t asked, uint32_t logical, const char *dev,
                          uint32_t *out, char *err, size_t errlen)
{
    char msg[256];
    if (logical == 0) { /* a regular file: any supported size */
        *out = asked ? asked : BF_DEFAULT_SECTOR_SIZE;
        return 0;
    }
    if (!mira_block_sector_size_ok(logical)) {
        snprintf(msg, sizeof(msg), "the block device's logical sector size %u is not supported",
                 (unsigned)logical);
        return fail(err, errlen, msg);
    }
    if (asked == 0) {
        *out = logical;
        return 0;
    }
    if (asked < logical || asked % logical != 0) {
        snprintf(msg, sizeof(msg), "--%s-sector-size=%u is smaller than the block "
                 "device's logical sector size %u", dev, (unsigned)asked, (unsigned)logical);
        return fail(err, errlen, msg);
    }
    *out = asked;
    return 0;
}
