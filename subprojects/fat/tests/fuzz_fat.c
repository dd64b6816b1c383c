/* fuzz_fat.c - libFuzzer target for the FAT volume parser: the input is a
 * disk image.  Whatever it holds, mounting it, walking every directory
 * (each directory once, as mira-fat does) and reading every file must end,
 * without a crash, with data or MIRA_ECORRUPT.  Built with -Dfuzz=true;
 * without it the regression corpus is replayed (tests/fuzz/replay.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mira/error.h>

#include "../src/fat_vol.h"
#include "../src/part.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
    const uint8_t *data;
    size_t size;
};

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    const struct mem *m = ctx;
    if (off > m->size || len > m->size - off)
        return MIRA_EIO;
    memcpy(buf, m->data + off, len);
    return 0;
}

static uint8_t buf[65536];

static void walk(struct fat_vol *v, const struct fat_node *dir, uint8_t *seen, int depth)
{
    struct fat_dirent e;
    uint64_t cur = 0;
    while (fat_vol_dir_next(v, dir, &cur, &e) == 1) {
        if (e.node.dir) {
            uint32_t c = e.node.first;
            if (depth > 32 || (seen[c / 8] & (1u << (c % 8))))
                continue;
            seen[c / 8] |= (uint8_t)(1u << (c % 8));
            walk(v, &e.node, seen, depth + 1);
        } else {
            for (uint64_t off = 0; off < e.node.size;) {
                long n = fat_vol_read(v, &e.node, off, buf, sizeof(buf));
                if (n <= 0)
                    break;
                off += (uint64_t)n;
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mem m = { data, size };
    /* Sector-sized units, as over a block device: bounce buffers used. */
    struct fat_dev d = { .read = mem_read, .ctx = &m, .size = size - size % 512, .unit = 512 };
    struct fat_part p;
    const char *why;
    if (fat_part_find(&d, 512, FAT_PART_AUTO, &p, &why) < 0)
        return 0;
    struct fat_vol v;
    if (fat_vol_mount(&v, &d, p.start, p.size) == 0) {
        uint8_t *seen = calloc((size_t)v.clusters / 8 + 2, 1);
        if (seen) {
            struct fat_node root = fat_vol_root(&v);
            walk(&v, &root, seen, 0);
            struct fat_node n;
            fat_vol_lookup(&v, "a/b", &n);
            free(seen);
        }
        fat_vol_unmount(&v);
    }
    return 0;
}
