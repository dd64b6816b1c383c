/* part.c - whole disk, MBR or GPT (see part.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <mira/error.h>

#include "fat_vol.h"
#include "le.h"
#include "part.h"
#include "part_wire.h"

/* The most GPT entry bytes read (16384 entries of 128 bytes would be 2 MiB;
 * real tables hold 128). */
#define GPT_ENTRIES_MAX_BYTES (4u << 20)
#define PART_MAX 128

uint32_t fat_crc32(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    uint32_t crc = 0xFFFFFFFFu;
    while (len--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
    }
    return ~crc;
}

struct range {
    uint64_t first, count; /* in lba units */
    int number;
    bool fat;
};

static int fail(const char **why, const char *text, int code)
{
    *why = text;
    return code;
}

static bool overlap(const struct range *a, const struct range *b)
{
    return a->first < b->first + b->count && b->first < a->first + a->count;
}

static int check_ranges(const struct range *r, int n, const char **why)
{
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (overlap(&r[i], &r[j]))
                return fail(why, "corrupt partition table: two partitions overlap",
                            MIRA_ECORRUPT);
    return 0;
}

static bool mbr_type_fat(uint8_t t)
{
    return t == MBR_TYPE_FAT12 || t == MBR_TYPE_FAT16_SMALL || t == MBR_TYPE_FAT16 ||
           t == MBR_TYPE_FAT32 || t == MBR_TYPE_FAT32_LBA || t == MBR_TYPE_FAT16_LBA ||
           t == MBR_TYPE_EFI_SYSTEM;
}

static bool mbr_type_extended(uint8_t t)
{
    return t == MBR_TYPE_EXTENDED || t == MBR_TYPE_EXTENDED_LBA ||
           t == MBR_TYPE_EXTENDED_LINUX;
}

/* The logical partitions of the extended partition ext (numbered from 5,
 * as Linux and sfdisk do), appended to r[*n..PART_MAX).  Each EBR holds a
 * logical partition (relative to the EBR) and the link to the next EBR
 * (relative to ext's start); every EBR and logical partition must lie in
 * ext, logical partitions must not overlap, and the chain must not come
 * back to an EBR already read (a loop) nor be longer than PART_MAX. */
static int read_ebrs(const struct fat_dev *d, uint32_t lba, const struct range *ext,
                     struct range *r, int *n, int *logical, const char **why)
{
    uint64_t seen[PART_MAX];
    int nseen = 0, first_logical = *n;
    uint8_t *s = malloc(lba);
    if (s == NULL)
        return MIRA_ENOMEM;
    uint64_t at = ext->first;
    int err = 0;
    while (at != 0) {
        for (int i = 0; i < nseen; i++)
            if (seen[i] == at) {
                err = fail(why, "corrupt MBR: the chain of logical partitions loops", MIRA_ECORRUPT);
                goto out;
            }
        if (nseen == PART_MAX || *n == PART_MAX) {
            err = fail(why, "corrupt MBR: too many logical partitions", MIRA_ECORRUPT);
            goto out;
        }
        seen[nseen++] = at;
        if ((err = fat_dev_read(d, at * lba, s, lba)) < 0) {
            if (err == MIRA_ECORRUPT)
                err = fail(why, "truncated image: an extended boot record is missing", err);
            goto out;
        }
        if (s[MBR_SIGNATURE] != 0x55 || s[MBR_SIGNATURE + 1] != 0xAA) {
            err = fail(why, "corrupt MBR: an extended boot record has no 55 AA signature",
                       MIRA_ECORRUPT);
            goto out;
        }
        const uint8_t *e = s + MBR_TABLE, *link = e + MBR_ENTRY_SIZE;
        uint8_t type = e[MBR_E_TYPE];
        if (type != MBR_TYPE_EMPTY) {
            uint64_t first = at + fat_le32(e + MBR_E_LBA_START);
            uint64_t count = fat_le32(e + MBR_E_LBA_COUNT);
            if (first == at || count == 0 || mbr_type_extended(type)) {
                err = fail(why, "corrupt MBR: an empty logical partition, or one over its EBR",
                           MIRA_ECORRUPT);
                goto out;
            }
            struct range lr = { first, count, 5 + (*logical)++, mbr_type_fat(type) };
            if (first < ext->first || first + count > ext->first + ext->count) {
                err = fail(why, "corrupt MBR: a logical partition leaves its extended partition",
                           MIRA_ECORRUPT);
                goto out;
            }
            for (int i = first_logical; i < *n; i++)
                if (overlap(&r[i], &lr)) {
                    err = fail(why, "corrupt partition table: two partitions overlap",
                               MIRA_ECORRUPT);
                    goto out;
                }
            r[(*n)++] = lr;
        }
        if (link[MBR_E_TYPE] == MBR_TYPE_EMPTY)
            break;
        if (!mbr_type_extended(link[MBR_E_TYPE])) {
            err = fail(why, "corrupt MBR: an EBR's link is not an extended entry", MIRA_ECORRUPT);
            goto out;
        }
        uint64_t next = ext->first + fat_le32(link + MBR_E_LBA_START);
        if (next <= ext->first || next >= ext->first + ext->count) {
            err = fail(why, "corrupt MBR: an EBR's link leaves its extended partition",
                       MIRA_ECORRUPT);
            goto out;
        }
        at = next;
    }
out:
    free(s);
    return err;
}

static int read_mbr(const struct fat_dev *d, uint32_t lba, const uint8_t *s, uint64_t disk,
                    struct range *r, int *n, bool *gpt, const char **why)
{
    struct range ext[MBR_ENTRIES];
    int next = 0;
    *n = 0;
    *gpt = false;
    for (int i = 0; i < MBR_ENTRIES; i++) {
        const uint8_t *e = s + MBR_TABLE + i * MBR_ENTRY_SIZE;
        uint8_t type = e[MBR_E_TYPE];
        if (type == MBR_TYPE_EMPTY)
            continue;
        if (e[MBR_E_STATUS] != 0x00 && e[MBR_E_STATUS] != 0x80)
            return fail(why, "corrupt MBR: an entry's status is neither 00 nor 80", MIRA_ECORRUPT);
        uint64_t first = fat_le32(e + MBR_E_LBA_START), count = fat_le32(e + MBR_E_LBA_COUNT);
        if (type == MBR_TYPE_GPT_PROTECTIVE) {
            *gpt = true;
            continue; /* it may cover more than the disk (0xFFFFFFFF) */
        }
        if (first == 0 || count == 0)
            return fail(why, "corrupt MBR: an empty partition or one over the table", MIRA_ECORRUPT);
        if (first + count > disk)
            return fail(why, "corrupt MBR: a partition leaves the disk", MIRA_ECORRUPT);
        r[(*n)++] = (struct range){ first, count, i + 1, mbr_type_fat(type) };
        if (mbr_type_extended(type))
            ext[next++] = r[*n - 1];
    }
    int err = check_ranges(r, *n, why);
    if (err < 0 || *gpt)
        return err;
    /* Logical partitions: inside their extended partition, which the
     * check above kept apart from every other primary one. */
    int logical = 0;
    for (int i = 0; i < next && err == 0; i++)
        err = read_ebrs(d, lba, &ext[i], r, n, &logical, why);
    return err;
}

/* One GPT (header and entries), checked. */
struct gpt {
    uint64_t first_usable, last_usable, entries_lba;
    uint32_t num, esize, entries_crc;
    uint8_t disk_guid[16];
    uint8_t *entries; /* num * esize bytes, malloc'd */
};

/* Reads and checks the GPT header at LBA at (1: the primary; the disk's
 * last LBA: the backup) and its entries.  0 and *g filled, or
 * MIRA_ECORRUPT with *why, MIRA_ENOMEM, or the device's error. */
static int read_gpt_at(const struct fat_dev *d, uint32_t lba, uint64_t disk, uint64_t at,
                       struct gpt *g, const char **why)
{
    memset(g, 0, sizeof(*g));
    uint8_t *h = malloc(lba);
    if (h == NULL)
        return MIRA_ENOMEM;
    int err = fat_dev_read(d, at * lba, h, lba);
    if (err < 0) {
        free(h);
        return err == MIRA_ECORRUPT ? fail(why, "truncated image: no GPT header", err) : err;
    }
    uint32_t hsize = fat_le32(h + GPT_H_SIZE);
    g->first_usable = fat_le64(h + GPT_H_FIRST_USABLE);
    g->last_usable = fat_le64(h + GPT_H_LAST_USABLE);
    g->entries_lba = fat_le64(h + GPT_H_ENTRIES_LBA);
    g->num = fat_le32(h + GPT_H_NUM_ENTRIES);
    g->esize = fat_le32(h + GPT_H_ENTRY_SIZE);
    g->entries_crc = fat_le32(h + GPT_H_ENTRIES_CRC);
    memcpy(g->disk_guid, h + GPT_H_DISK_GUID, 16);
    uint64_t elba = g->entries_lba;
    const char *bad = NULL;
    if (memcmp(h + GPT_H_SIGNATURE, "EFI PART", 8) != 0)
        bad = "corrupt GPT: no EFI PART signature";
    else if (hsize < GPT_H_MIN_SIZE || hsize > lba)
        bad = "corrupt GPT: bad header size";
    else {
        uint32_t crc = fat_le32(h + GPT_H_CRC);
        memset(h + GPT_H_CRC, 0, 4);
        if (fat_crc32(h, hsize) != crc)
            bad = "corrupt GPT: header CRC mismatch";
    }
    if (bad == NULL) {
        if (fat_le64(h + GPT_H_MY_LBA) != at)
            bad = at == 1 ? "corrupt GPT: the header is not at LBA 1"
                          : "corrupt GPT: the backup header is not at the disk's last LBA";
        else if (g->first_usable > g->last_usable || g->last_usable >= disk ||
                 g->first_usable < 2)
            bad = "corrupt GPT: usable blocks leave the disk";
        else if (g->esize < GPT_E_MIN_SIZE || g->esize % 8 != 0 || g->num == 0 ||
                 (uint64_t)g->num * g->esize > GPT_ENTRIES_MAX_BYTES)
            bad = "corrupt GPT: bad entry size or count";
        else if (elba < 2 || elba >= disk ||
                 (uint64_t)g->num * g->esize > (disk - elba) * lba)
            bad = "corrupt GPT: the entries leave the disk";
    }
    free(h);
    if (bad)
        return fail(why, bad, MIRA_ECORRUPT);

    size_t bytes = (size_t)g->num * g->esize;
    g->entries = malloc(bytes);
    if (g->entries == NULL)
        return MIRA_ENOMEM;
    if ((err = fat_dev_read(d, elba * lba, g->entries, bytes)) < 0)
        err = err == MIRA_ECORRUPT ? fail(why, "truncated image: GPT entries missing", err) : err;
    else if (fat_crc32(g->entries, bytes) != g->entries_crc)
        err = fail(why, "corrupt GPT: entries CRC mismatch", MIRA_ECORRUPT);
    if (err < 0) {
        free(g->entries);
        g->entries = NULL;
    }
    return err;
}

/* What the primary and backup GPT must agree on: the partitions (their
 * entries, by CRC, count and size), the usable blocks, the disk GUID. */
static bool gpt_agree(const struct gpt *a, const struct gpt *b)
{
    return a->num == b->num && a->esize == b->esize && a->entries_crc == b->entries_crc &&
           a->first_usable == b->first_usable && a->last_usable == b->last_usable &&
           memcmp(a->disk_guid, b->disk_guid, 16) == 0 &&
           memcmp(a->entries, b->entries, (size_t)a->num * a->esize) == 0;
}

/* The GPT to use: the primary (LBA 1) if it is good, else the backup (the
 * disk's last LBA), as UEFI says and Linux does with `gpt`; both good but
 * different is refused, both bad too (with the primary's reason). */
static int read_gpt(const struct fat_dev *d, uint32_t lba, uint64_t disk, struct range *r,
                    int *n, const char **why)
{
    struct gpt p, b;
    memset(&b, 0, sizeof(b));
    const char *pwhy = NULL, *bwhy = NULL;
    int perr = read_gpt_at(d, lba, disk, 1, &p, &pwhy);
    if (perr == MIRA_ENOMEM || (perr < 0 && perr != MIRA_ECORRUPT))
        return perr;
    int berr = disk > 2 ? read_gpt_at(d, lba, disk, disk - 1, &b, &bwhy)
                        : fail(&bwhy, "no backup", MIRA_ECORRUPT);
    if (berr == MIRA_ENOMEM || (berr < 0 && berr != MIRA_ECORRUPT)) {
        free(p.entries);
        return berr;
    }
    const struct gpt *g = NULL;
    int err = 0;
    if (perr == 0 && berr == 0 && !gpt_agree(&p, &b))
        err = fail(why, "corrupt GPT: the primary and backup tables disagree", MIRA_ECORRUPT);
    else if (perr == 0)
        g = &p; /* a missing or damaged backup: the primary alone, as Linux */
    else if (berr == 0)
        g = &b;
    else if (strstr(bwhy, "no EFI PART") != NULL) /* no backup at all */
        err = fail(why, pwhy, MIRA_ECORRUPT);
    else
        err = fail(why, "corrupt GPT: both the primary and the backup table are damaged",
                   MIRA_ECORRUPT);
    static const uint8_t zero[16];
    *n = 0;
    for (uint32_t i = 0; g != NULL && i < g->num && *n < PART_MAX; i++) {
        const uint8_t *e = g->entries + (size_t)i * g->esize;
        if (memcmp(e + GPT_E_TYPE, zero, 16) == 0)
            continue;
        uint64_t first = fat_le64(e + GPT_E_FIRST_LBA), last = fat_le64(e + GPT_E_LAST_LBA);
        if (first > last || first < g->first_usable || last > g->last_usable) {
            err = fail(why, "corrupt GPT: a partition leaves the usable blocks", MIRA_ECORRUPT);
            break;
        }
        bool fat = memcmp(e + GPT_E_TYPE, gpt_type_basic_data, 16) == 0 ||
                   memcmp(e + GPT_E_TYPE, gpt_type_efi_system, 16) == 0;
        r[(*n)++] = (struct range){ first, last - first + 1, (int)i + 1, fat };
    }
    free(p.entries);
    free(b.entries);
    return err < 0 ? err : check_ranges(r, *n, why);
}

int fat_part_find(const struct fat_dev *d, uint32_t lba, int want, struct fat_part *out,
                  const char **why)
{
    *why = NULL;
    if (lba < 512 || (lba & (lba - 1)) != 0 || d->size < lba)
        return fail(why, "truncated image: smaller than one sector", MIRA_ECORRUPT);
    uint64_t disk = d->size / lba;
    uint8_t *s = malloc(lba);
    if (s == NULL)
        return MIRA_ENOMEM;
    int err = fat_dev_read(d, 0, s, lba);
    if (err < 0) {
        free(s);
        return err;
    }
    if (want == FAT_PART_WHOLE || (want == FAT_PART_AUTO && fat_bpb_plausible(s))) {
        free(s);
        *out = (struct fat_part){ 0, d->size, 0, "none" };
        return 0;
    }
    bool jump = s[0] == 0xEB || s[0] == 0xE9;
    if (s[MBR_SIGNATURE] != 0x55 || s[MBR_SIGNATURE + 1] != 0xAA) {
        free(s);
        if (want == FAT_PART_AUTO && jump) { /* a boot sector without its signature */
            *out = (struct fat_part){ 0, d->size, 0, "none" };
            return 0;
        }
        return fail(why, "neither a FAT boot sector nor a partition table in sector 0",
                    MIRA_ECORRUPT);
    }
    struct range *r = calloc(PART_MAX, sizeof(*r));
    if (r == NULL) {
        free(s);
        return MIRA_ENOMEM;
    }
    int n = 0;
    bool gpt = false;
    err = read_mbr(d, lba, s, disk, r, &n, &gpt, why);
    free(s);
    if (err == 0 && gpt)
        err = read_gpt(d, lba, disk, r, &n, why);
    int pick = -1;
    for (int i = 0; err == 0 && i < n && pick < 0; i++)
        if (want == FAT_PART_AUTO ? r[i].fat : r[i].number == want)
            pick = i;
    if (err == 0 && pick < 0)
        err = fail(why, want == FAT_PART_AUTO ? "no FAT partition on the disk"
                                              : "no such partition on the disk", MIRA_ENOENT);
    if (err < 0 && err != MIRA_ENOMEM && want == FAT_PART_AUTO && !gpt && jump) {
        /* Sector 0 starts like a boot sector and holds no usable table:
         * most likely a FAT volume with a broken BPB, which the volume
         * check will name more precisely than "no partition". */
        free(r);
        *why = NULL;
        *out = (struct fat_part){ 0, d->size, 0, "none" };
        return 0;
    }
    if (err == 0)
        *out = (struct fat_part){ r[pick].first * lba, r[pick].count * lba, r[pick].number,
                                  "mbr" };
    if (err == 0 && gpt)
        memcpy(out->table, "gpt", 4);
    free(r);
    return err;
}
