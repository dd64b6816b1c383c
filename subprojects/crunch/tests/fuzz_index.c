/* fuzz_index.c - libFuzzer target for a crunch image: the index checks made
 * at connect, then, on an image they accept, every entry found again by its
 * key, listed, and read in chunks (which inflates its blocks).  Input: a
 * little-endian u32, the index's length, the index, then the data (what
 * `mira-crunch --blob` writes).  Nothing may touch memory outside the
 * image; an accepted image must be self-consistent (a lookup finds the
 * entry it came from), and a block that does not inflate is
 * MIRA_ECORRUPT, nothing else.  Without libFuzzer the corpus is replayed
 * (tests/replay.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mira/crunch_format.h>
#include <mira/error.h>

#include "../src/index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes entry id's key into key (MIRA_KV_KEY_MAX + 1 bytes); SIZE_MAX
 * when it would be longer than MIRA_KV_KEY_MAX.  Walks up, so a deep tree
 * costs no stack. */
static size_t key_of(const struct crunch_image *img, const uint32_t *parent, uint32_t id,
                     char *key)
{
    size_t len = 0;
    for (uint32_t p = id; p != 0; p = parent[p]) {
        struct crunch_entry e;
        crunch_index_entry(img, p, &e);
        len += e.name_len + (len ? 1 : 0);
        if (len > MIRA_KV_KEY_MAX)
            return SIZE_MAX;
    }
    key[len] = '\0';
    size_t end = len;
    for (uint32_t p = id; p != 0; p = parent[p]) {
        struct crunch_entry e;
        crunch_index_entry(img, p, &e);
        end -= e.name_len;
        memcpy(key + end, e.name, e.name_len);
        if (end)
            key[--end] = '/';
    }
    return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    size_t ilen = (size_t)data[0] | (size_t)data[1] << 8 | (size_t)data[2] << 16 |
                  (size_t)data[3] << 24;
    if (ilen > size - 4)
        return 0;
    /* Exact-size heap copies, so an over-read shows. */
    size_t dlen = size - 4 - ilen;
    uint8_t *index = malloc(ilen ? ilen : 1), *bytes = malloc(dlen ? dlen : 1);
    if (index == NULL || bytes == NULL)
        abort();
    memcpy(index, data + 4, ilen);
    memcpy(bytes, data + 4 + ilen, dlen);
    struct crunch_image img;
    if (crunch_index_open(&img, index, ilen, bytes, dlen) == 0) {
        uint32_t *parent = calloc(img.entries, sizeof(*parent));
        if (parent == NULL)
            abort();
        char *key = malloc(MIRA_KV_KEY_MAX + 1);
        uint8_t *buf = malloc(4096);
        if (key == NULL || buf == NULL)
            abort();
        for (uint32_t i = 0; i < img.entries; i++) {
            struct crunch_entry e;
            crunch_index_entry(&img, i, &e);
            if (e.type == MIRA_CRUNCH_DIRECTORY)
                for (uint32_t c = 0; c < e.count; c++)
                    parent[e.first + c] = i;
        }
        for (uint32_t i = 0; i < img.entries; i++) {
            size_t klen = key_of(&img, parent, i, key);
            uint32_t found;
            if (klen != SIZE_MAX && (crunch_index_lookup(&img, key, &found) != 0 || found != i)) {
                fprintf(stderr, "entry %u is not found by its key '%s'\n", (unsigned)i, key);
                abort();
            }
            struct crunch_entry e;
            crunch_index_entry(&img, i, &e);
            if (e.type != MIRA_CRUNCH_FILE)
                continue;
            uint8_t *scratch = NULL;
            /* In odd-sized chunks, so reads start and end inside blocks;
             * at most 64 of them. */
            uint64_t off = 0;
            for (int k = 0; k < 64 && off < e.size; k++) {
                long n = crunch_index_read(&img, &e, off, buf, 4093, &scratch);
                if (n == MIRA_ECORRUPT)
                    break;
                if (n <= 0) {
                    fprintf(stderr, "read at %llu gave %ld\n", (unsigned long long)off, n);
                    abort();
                }
                off += (uint64_t)n + (uint64_t)k * 70000; /* and skip ahead */
            }
            free(scratch);
        }
        free(buf);
        free(key);
        free(parent);
    }
    free(index);
    free(bytes);
    return 0;
}
