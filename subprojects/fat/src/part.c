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

static int check_ranges(const struct range *r, int n, const char **why)
{
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (r[i].first < r[j].first + r[j].count && r[j].first < r[i].first + r[i].count)
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

static int read_mbr(const uint8_t *s, uint64_t disk, struct range *r, int *n,
                    bool *gpt, const char **why)
{
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
    }
    return check_ranges(r, *n, why);
}

static int read_gpt(const struct fat_dev *d, uint32_t lba, uint64_t disk, struct range *r,
                    int *n, const char **why)
{
    uint8_t *h = malloc(lba);
    if (h == NULL)
        return MIRA_ENOMEM;
    int err = fat_dev_read(d, lba, h, lba);
    if (err < 0) {
        free(h);
        return err == MIRA_ECORRUPT ? fail(why, "truncated image: no GPT header", err) : err;
    }
    uint32_t hsize = fat_le32(h + GPT_H_SIZE);
    uint64_t first_usable = fat_le64(h + GPT_H_FIRST_USABLE);
    uint64_t last_usable = fat_le64(h + GPT_H_LAST_USABLE);
    uint64_t elba = fat_le64(h + GPT_H_ENTRIES_LBA);
    uint32_t num = fat_le32(h + GPT_H_NUM_ENTRIES), esize = fat_le32(h + GPT_H_ENTRY_SIZE);
    uint32_t ecrc = fat_le32(h + GPT_H_ENTRIES_CRC);
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
        if (fat_le64(h + GPT_H_MY_LBA) != 1)
            bad = "corrupt GPT: the header is not at LBA 1";
        else if (first_usable > last_usable || last_usable >= disk || first_usable < 2)
            bad = "corrupt GPT: usable blocks leave the disk";
        else if (esize < GPT_E_MIN_SIZE || esize % 8 != 0 || num == 0 ||
                 (uint64_t)num * esize > GPT_ENTRIES_MAX_BYTES)
            bad = "corrupt GPT: bad entry size or count";
        else if (elba < 2 || elba >= disk ||
                 (uint64_t)num * esize > (disk - elba) * lba)
            bad = "corrupt GPT: the entries leave the disk";
    }
    free(h);
    if (bad)
        return fail(why, bad, MIRA_ECORRUPT);

    size_t bytes = (size_t)num * esize;
    uint8_t *ents = malloc(bytes);
    if (ents == NULL)
        return MIRA_ENOMEM;
    if ((err = fat_dev_read(d, elba * lba, ents, bytes)) < 0) {
        free(ents);
        return err == MIRA_ECORRUPT ? fail(why, "truncated image: GPT entries missing", err) : err;
    }
    if (fat_crc32(ents, bytes) != ecrc) {
        free(ents);
        return fail(why, "corrupt GPT: entries CRC mismatch", MIRA_ECORRUPT);
    }
    static const uint8_t zero[16];
    *n = 0;
    for (uint32_t i = 0; i < num && *n < PART_MAX; i++) {
        const uint8_t *e = ents + (size_t)i * esize;
        if (memcmp(e + GPT_E_TYPE, zero, 16) == 0)
            continue;
        uint64_t first = fat_le64(e + GPT_E_FIRST_LBA), last = fat_le64(e + GPT_E_LAST_LBA);
        if (first > last || first < first_usable || last > last_usable) {
            free(ents);
            return fail(why, "corrupt GPT: a partition leaves the usable blocks", MIRA_ECORRUPT);
        }
        bool fat = memcmp(e + GPT_E_TYPE, gpt_type_basic_data, 16) == 0 ||
                   memcmp(e + GPT_E_TYPE, gpt_type_efi_system, 16) == 0;
        r[(*n)++] = (struct range){ first, last - first + 1, (int)i + 1, fat };
    }
    free(ents);
    return check_ranges(r, *n, why);
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
    err = read_mbr(s, disk, r, &n, &gpt, why);
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
