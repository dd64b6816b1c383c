/* index.c - checks and walks a crunch image's index (see index.h and
 * mira/crunch_format.h). */
#include <stdlib.h>
#include <string.h>
#include <mira/crunch_format.h>
#include <mira/error.h>

#include "index.h"
#include "inflate.h"

static uint32_t le16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

void crunch_index_entry(const struct crunch_image *img, uint32_t id, struct crunch_entry *e)
{
    const uint8_t *p = img->index + MIRA_CRUNCH_HEADER_SIZE + (size_t)id * MIRA_CRUNCH_ENTRY_SIZE;
    *e = (struct crunch_entry){
        .type = p[MIRA_CRUNCH_E_TYPE],
        .name = img->names + le32(p + MIRA_CRUNCH_E_NAME_OFF),
        .name_len = le16(p + MIRA_CRUNCH_E_NAME_LEN),
        .first = le32(p + MIRA_CRUNCH_E_FIRST),
        .count = le32(p + MIRA_CRUNCH_E_COUNT),
        .offset = le64(p + MIRA_CRUNCH_E_OFFSET),
        .size = le64(p + MIRA_CRUNCH_E_SIZE),
        .stored = le64(p + MIRA_CRUNCH_E_STORED),
    };
}

/* Bytewise order, a prefix first: the order mira-crunch sorts names in. */
static int name_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c != 0)
        return c;
    return alen < blen ? -1 : alen > blen;
}

static int name_ok(const uint8_t *name, size_t len)
{
    if (len == 0 || len > MIRA_KV_NAME_MAX)
        return 0;
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return 0;
    return memchr(name, '/', len) == NULL && memchr(name, '\0', len) == NULL;
}

static uint64_t block_count(uint64_t size)
{
    return size == 0 ? 0 : (size - 1) / MIRA_CRUNCH_BLOCK_SIZE + 1;
}

/* A file's region: inside the data, blocks then a table of one word per
 * block whose lengths add up to the region, each block's length possible. */
static int file_ok(const struct crunch_image *img, const struct crunch_entry *e)
{
    if (e->offset > img->data_len || e->stored > img->data_len - e->offset)
        return 0;
    uint64_t n = block_count(e->size);
    if (n > e->stored / 4)
        return 0; /* also keeps 4 * n from overflowing */
    const uint8_t *table = img->data + e->offset + (e->stored - 4 * n);
    uint64_t total = 4 * n;
    for (uint64_t k = 0; k < n; k++) {
        uint32_t w = le32(table + 4 * k);
        uint32_t len = w & ~MIRA_CRUNCH_DEFLATED;
        uint64_t raw = e->size - k * MIRA_CRUNCH_BLOCK_SIZE;
        if (raw > MIRA_CRUNCH_BLOCK_SIZE)
            raw = MIRA_CRUNCH_BLOCK_SIZE;
        if (w & MIRA_CRUNCH_DEFLATED ? len == 0 || len > raw : len != raw)
            return 0;
        total += len;
    }
    return total == e->stored;
}

int crunch_index_open(struct crunch_image *img, const uint8_t *index, size_t index_len,
                      const uint8_t *data, size_t data_len)
{
    if (index_len < MIRA_CRUNCH_HEADER_SIZE ||
        memcmp(index + MIRA_CRUNCH_H_MAGIC, MIRA_CRUNCH_MAGIC, 8) != 0 ||
        le32(index + MIRA_CRUNCH_H_VERSION) != MIRA_CRUNCH_VERSION ||
        le32(index + MIRA_CRUNCH_H_BLOCK_SIZE) != MIRA_CRUNCH_BLOCK_SIZE ||
        le32(index + MIRA_CRUNCH_H_RESERVED) != 0)
        return MIRA_ECORRUPT;
    uint64_t entries = le32(index + MIRA_CRUNCH_H_ENTRIES);
    uint64_t names_off = le32(index + MIRA_CRUNCH_H_NAMES_OFF);
    uint64_t names_len = le32(index + MIRA_CRUNCH_H_NAMES_LEN);
    if (entries == 0 || names_off != MIRA_CRUNCH_HEADER_SIZE + entries * MIRA_CRUNCH_ENTRY_SIZE ||
        names_off + names_len != index_len)
        return MIRA_ECORRUPT;
    *img = (struct crunch_image){ .index = index, .index_len = index_len, .data = data,
                                  .data_len = data_len, .entries = (uint32_t)entries,
                                  .names = index + names_off };

    uint64_t next_child = 1; /* the first entry no directory has claimed yet */
    for (uint32_t i = 0; i < img->entries; i++) {
        const uint8_t *p = index + MIRA_CRUNCH_HEADER_SIZE + (size_t)i * MIRA_CRUNCH_ENTRY_SIZE;
        struct crunch_entry e;
        crunch_index_entry(img, i, &e);
        if (p[MIRA_CRUNCH_E_RESERVED] != 0 ||
            (uint64_t)le32(p + MIRA_CRUNCH_E_NAME_OFF) + e.name_len > names_len)
            return MIRA_ECORRUPT;
        if (i == 0 ? e.type != MIRA_CRUNCH_DIRECTORY || e.name_len != 0
                   : !name_ok(e.name, e.name_len))
            return MIRA_ECORRUPT;
        if (e.type == MIRA_CRUNCH_FILE) {
            if (!file_ok(img, &e))
                return MIRA_ECORRUPT;
            continue;
        }
        if (e.type != MIRA_CRUNCH_DIRECTORY || e.size != 0 || e.stored != 0)
            return MIRA_ECORRUPT;
        /* Breadth-first: children come after their parent, in the next
         * unclaimed range; so every entry but the root has one parent and
         * the tree has no cycle. */
        if (e.first != next_child || e.first <= i || e.count > entries - next_child)
            return MIRA_ECORRUPT;
        next_child += e.count;
        for (uint32_t c = 1; c < e.count; c++) {
            struct crunch_entry a, b;
            crunch_index_entry(img, e.first + c - 1, &a);
            crunch_index_entry(img, e.first + c, &b);
            /* Names not checked yet are still inside the names area. */
            if ((uint64_t)(a.name - img->names) + a.name_len > names_len ||
                (uint64_t)(b.name - img->names) + b.name_len > names_len ||
                name_cmp(a.name, a.name_len, b.name, b.name_len) >= 0)
                return MIRA_ECORRUPT;
        }
    }
    return next_child == entries ? 0 : MIRA_ECORRUPT;
}

int crunch_index_lookup(const struct crunch_image *img, const char *key, uint32_t *id)
{
    uint32_t cur = 0;
    const char *p = key;
    while (*p != '\0') {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        struct crunch_entry dir;
        crunch_index_entry(img, cur, &dir);
        if (dir.type != MIRA_CRUNCH_DIRECTORY)
            return MIRA_EINVAL;
        uint32_t lo = dir.first, hi = dir.first + dir.count;
        int found = 0;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            struct crunch_entry m;
            crunch_index_entry(img, mid, &m);
            int c = name_cmp((const uint8_t *)p, len, m.name, m.name_len);
            if (c == 0) {
                cur = mid;
                found = 1;
                break;
            }
            if (c < 0)
                hi = mid;
            else
                lo = mid + 1;
        }
        if (!found)
            return MIRA_ENOENT;
        p = end ? end + 1 : p + len;
    }
    *id = cur;
    return 0;
}

long crunch_index_read(const struct crunch_image *img, const struct crunch_entry *e,
                       uint64_t offset, void *buf, size_t len, uint8_t **scratch)
{
    if (offset >= e->size)
        return 0;
    if (len > e->size - offset)
        len = (size_t)(e->size - offset);
    uint64_t n = block_count(e->size);
    const uint8_t *table = img->data + e->offset + (e->stored - 4 * n);
    uint64_t k = offset / MIRA_CRUNCH_BLOCK_SIZE;
    /* Where block k starts: after the blocks before it. */
    const uint8_t *block = img->data + e->offset;
    for (uint64_t j = 0; j < k; j++)
        block += le32(table + 4 * j) & ~MIRA_CRUNCH_DEFLATED;
    uint8_t *out = buf;
    size_t done = 0;
    for (; done < len; k++) {
        uint32_t w = le32(table + 4 * k);
        uint32_t stored = w & ~MIRA_CRUNCH_DEFLATED;
        uint64_t start = k * MIRA_CRUNCH_BLOCK_SIZE;
        size_t raw = (size_t)(e->size - start < MIRA_CRUNCH_BLOCK_SIZE ? e->size - start
                                                                        : MIRA_CRUNCH_BLOCK_SIZE);
        size_t from = (size_t)(offset + done - start);
        size_t take = raw - from < len - done ? raw - from : len - done;
        if (!(w & MIRA_CRUNCH_DEFLATED)) {
            memcpy(out + done, block + from, take);
        } else if (from == 0 && take == raw) {
            if (crunch_inflate(block, stored, out + done, raw) < 0)
                return MIRA_ECORRUPT;
        } else {
            if (*scratch == NULL && (*scratch = malloc(MIRA_CRUNCH_BLOCK_SIZE)) == NULL)
                return MIRA_ENOMEM;
            if (crunch_inflate(block, stored, *scratch, raw) < 0)
                return MIRA_ECORRUPT;
            memcpy(out + done, *scratch + from, take);
        }
        done += take;
        block += stored;
    }
    return (long)done;
}
