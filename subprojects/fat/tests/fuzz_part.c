/* fuzz_part.c - libFuzzer target for the partition-table parser (MBR,
 * GPT): the input is the start of a disk; every partition choice and two
 * block sizes are tried.  It must end without a crash, with a partition
 * on the disk or a refusal. */
#include <stdint.h>
#include <string.h>
#include <mira/error.h>

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mem m = { data, size };
    static const uint32_t lbas[] = { 512, 4096 };
    for (int l = 0; l < 2; l++) {
        struct fat_dev d = { .read = mem_read, .ctx = &m, .size = size - size % lbas[l], .unit = 1 };
        for (int want = -1; want <= 5; want++) {
            struct fat_part p;
            const char *why;
            if (fat_part_find(&d, lbas[l], want, &p, &why) == 0 &&
                (p.start > d.size || p.size > d.size - p.start))
                __builtin_trap(); /* a partition off the disk was accepted */
        }
    }
    return 0;
}
