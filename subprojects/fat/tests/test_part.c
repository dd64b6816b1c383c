/* test_part.c - finding the FAT volume on a disk (part.c) on disks the
 * test builds in memory: the whole disk, MBR primary partitions, the
 * chain of logical partitions in an extended one (EBRs), GPT with its
 * header and entries CRCs and its backup at the disk's last LBA.  CRCs are
 * computed with zlib's crc32, the reference.  The tables made by sfdisk
 * are the integration tests' (tests/integration/fat_images.py). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>
#include <mira/error.h>

#include "../src/le.h"
#include "../src/part.h"

#define SECTORS 4096 /* 2 MiB disks of 512-byte LBAs */
#define LBA 512

static uint8_t disk[SECTORS * LBA];

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    (void)ctx;
    if (off > sizeof(disk) || len > sizeof(disk) - off)
        return MIRA_EIO;
    memcpy(buf, disk + off, len);
    return 0;
}

static const struct fat_dev dev = { .read = mem_read, .size = sizeof(disk), .unit = 512 };

static uint8_t *sector(uint64_t lba)
{
    return disk + lba * LBA;
}

static void sig(uint64_t lba)
{
    sector(lba)[510] = 0x55;
    sector(lba)[511] = 0xAA;
}

static void mbr_entry(uint64_t lba, int i, uint8_t status, uint8_t type, uint32_t first,
                      uint32_t count)
{
    uint8_t *e = sector(lba) + 446 + i * 16;
    memset(e, 0, 16);
    e[0] = status;
    e[4] = type;
    fat_put32(e + 8, first);
    fat_put32(e + 12, count);
    sig(lba);
}

static int find(int want, struct fat_part *p, const char **why)
{
    return fat_part_find(&dev, LBA, want, p, why);
}

/* Expects the volume at first (LBAs), numbered number, in table. */
static void expect_at(int want, uint64_t first, int number, const char *table)
{
    struct fat_part p;
    const char *why = NULL;
    int r = find(want, &p, &why);
    if (r != 0)
        fail_msg("want %d: %d (%s)", want, r, why ? why : "");
    assert_int_equal(p.start, first * LBA);
    assert_int_equal(p.number, number);
    assert_string_equal(p.table, table);
}

/* Expects a refusal with code and words in the reason. */
static void expect_refused(int want, int code, const char *words)
{
    struct fat_part p;
    const char *why = NULL;
    int r = find(want, &p, &why);
    if (r != code || why == NULL || strstr(why, words) == NULL)
        fail_msg("want %d: %d, why '%s', expected %d '%s'", want, r, why ? why : "", code, words);
}

static int reset(void **state)
{
    (void)state;
    memset(disk, 0, sizeof(disk));
    return 0;
}

/* --- the whole disk --- */

static void test_whole_disk(void **state)
{
    (void)state;
    uint8_t *s = sector(0);
    s[0] = 0xEB;
    fat_put16(s + 11, 512);
    s[13] = 4;
    fat_put16(s + 14, 1);
    s[16] = 2;
    sig(0);
    struct fat_part p;
    const char *why;
    assert_int_equal(find(FAT_PART_AUTO, &p, &why), 0);
    assert_int_equal(p.start, 0);
    assert_int_equal(p.size, sizeof(disk));
    assert_string_equal(p.table, "none");
    assert_int_equal(find(FAT_PART_WHOLE, &p, &why), 0);
    /* Boot code where a table would be, reading like a FAT partition: a
     * plausible boot sector wins. */
    mbr_entry(0, 0, 0x00, 0x0C, 64, 100);
    expect_at(FAT_PART_AUTO, 0, 0, "none");
    expect_at(1, 64, 1, "mbr");
    /* Neither a boot sector nor a table. */
    memset(s, 0, 512);
    expect_refused(FAT_PART_AUTO, MIRA_ECORRUPT, "neither a FAT boot sector");
    /* A disk smaller than a sector. */
    struct fat_dev tiny = dev;
    tiny.size = 0;
    assert_int_equal(fat_part_find(&tiny, LBA, FAT_PART_AUTO, &p, &why), MIRA_ECORRUPT);
}

/* --- MBR primary partitions --- */

static void test_mbr_primary(void **state)
{
    (void)state;
    mbr_entry(0, 0, 0x00, 0x83, 64, 100);   /* Linux */
    mbr_entry(0, 1, 0x80, 0x0C, 200, 1000); /* FAT32 LBA, active */
    mbr_entry(0, 3, 0x00, 0x06, 2000, 100); /* FAT16 */
    expect_at(FAT_PART_AUTO, 200, 2, "mbr");
    expect_at(1, 64, 1, "mbr");
    expect_at(4, 2000, 4, "mbr");
    expect_refused(3, MIRA_ENOENT, "no such partition");
    expect_refused(5, MIRA_ENOENT, "no such partition");
    mbr_entry(0, 1, 0x00, 0x07, 200, 1000); /* NTFS */
    mbr_entry(0, 3, 0x00, 0x00, 0, 0);
    expect_refused(FAT_PART_AUTO, MIRA_ENOENT, "no FAT partition");
    /* Each FAT type counts. */
    static const uint8_t fat_types[] = { 0x01, 0x04, 0x06, 0x0B, 0x0C, 0x0E, 0xEF };
    for (size_t i = 0; i < sizeof(fat_types); i++) {
        mbr_entry(0, 1, 0x00, fat_types[i], 200, 1000);
        expect_at(FAT_PART_AUTO, 200, 2, "mbr");
    }
}

static void test_mbr_refused(void **state)
{
    (void)state;
    mbr_entry(0, 0, 0x7F, 0x0C, 64, 100);
    expect_refused(FAT_PART_AUTO, MIRA_ECORRUPT, "status");
    mbr_entry(0, 0, 0x00, 0x0C, 0, 100);
    expect_refused(FAT_PART_AUTO, MIRA_ECORRUPT, "over the table");
    mbr_entry(0, 0, 0x00, 0x0C, 64, 0);
    expect_refused(FAT_PART_AUTO, MIRA_ECORRUPT, "empty partition");
    mbr_entry(0, 0, 0x00, 0x0C, 64, SECTORS - 64 + 1);
    expect_refused(FAT_PART_AUTO, MIRA_ECORRUPT, "leaves the disk");
    mbr_entry(0, 0, 0x00, 0x0C, 64, SECTORS - 64); /* exactly to the end */
    expect_at(FAT_PART_AUTO, 64, 1, "mbr");
    mbr_entry(0, 0, 0x00, 0x0C, 64, 100);
    mbr_entry(0, 2, 0x00, 0x0C, 163, 10); /* shares LBA 163 */
    expect_refused(FAT_PART_AUTO, MIRA_ECORRUPT, "overlap");
    mbr_entry(0, 2, 0x00, 0x0C, 164, 10); /* adjacent: fine */
    expect_at(3, 164, 3, "mbr");
}

/* --- logical partitions --- */

/* An extended partition 100..1099 (entry 2) holding three logical ones:
 * 5 (Linux) at 110, 6 (FAT16) at 310, 7 (FAT32) at 505, each behind its
 * EBR at 100, 300, 500. */
static void logical_disk(uint8_t ext_type)
{
    mbr_entry(0, 0, 0x00, 0x83, 40, 50);
    mbr_entry(0, 1, 0x00, ext_type, 100, 1000);
    mbr_entry(100, 0, 0x00, 0x83, 10, 100);
    mbr_entry(100, 1, 0x00, 0x05, 200, 200);
    mbr_entry(300, 0, 0x00, 0x06, 10, 150);
    mbr_entry(300, 1, 0x00, 0x05, 400, 600);
    mbr_entry(500, 0, 0x00, 0x0B, 5, 595);
}

static void test_mbr_logical(void **state)
{
    (void)state;
    static const uint8_t ext_types[] = { 0x05, 0x0F, 0x85 };
    for (size_t i = 0; i < sizeof(ext_types); i++) {
        reset(NULL);
        logical_disk(ext_types[i]);
        expect_at(FAT_PART_AUTO, 310, 6, "mbr");
        expect_at(5, 110, 5, "mbr");
        expect_at(6, 310, 6, "mbr");
        expect_at(7, 505, 7, "mbr");
        expect_at(1, 40, 1, "mbr");
        expect_refused(8, MIRA_ENOENT, "no such partition");
    }
    /* A primary FAT partition comes first. */
    mbr_entry(0, 3, 0x00, 0x0E, 2000, 100);
    expect_at(FAT_PART_AUTO, 2000, 4, "mbr");
    /* An EBR with no logical partition (entry 0 empty) ends nothing. */
    reset(NULL);
    logical_disk(0x05);
    memset(sector(100) + 446, 0, 16);
    expect_at(5, 310, 5, "mbr");
    /* An extended partition with an empty first EBR. */
    reset(NULL);
    mbr_entry(0, 0, 0x00, 0x05, 100, 1000);
    sig(100);
    expect_refused(FAT_PART_AUTO, MIRA_ENOENT, "no FAT partition");
}

static void test_mbr_logical_refused(void **state)
{
    (void)state;
    logical_disk(0x05);
    mbr_entry(500, 1, 0x00, 0x05, 200, 10); /* back to the EBR at 300 */
    expect_refused(FAT_PART_AUTO, MIRA_ECORRUPT, "loops");
    reset(NULL);
    logical_disk(0x05);
    mbr_entry(300, 1, 0x00, 0x05, 0, 10); /* to the extended partition's start */
    expect_refused(FAT_PART_AUTO, MIRA_ECORRUPT, "leaves its extended");
    reset(NULL);
    logical_disk(0x05);
    mbr_entry(300, 1, 0x00, 0x05, 1000, 10); /* one past its end */
    expect_refused(FAT_PART_AUTO, MIRA_ECORRUPT, "leaves its extended");
    reset(NULL);
    logical_disk(0x05);
    mbr_entry(500, 0, 0x00, 0x0B, 5, 596); /* one sector past the end */
    expect_refused(7, MIRA_ECORRUPT, "leaves its extended partition");
    reset(NULL);
    logical_disk(0x05);
    mbr_entry(300, 0, 0x00, 0x06, 10, 250); /* into partition 7 */
    expect_refused(6, MIRA_ECORRUPT, "overlap");
    reset(NULL);
    logical_disk(0x05);
    mbr_entry(300, 0, 0x00, 0x06, 0, 150); /* over its own EBR */
    expect_refused(6, MIRA_ECORRUPT, "over its EBR");
    reset(NULL);
    logical_disk(0x05);
    sector(300)[510] = 0;
    expect_refused(6, MIRA_ECORRUPT, "55 AA");
    reset(NULL);
    logical_disk(0x05);
    mbr_entry(300, 1, 0x00, 0x06, 400, 600); /* a link that is a FAT type */
    expect_refused(6, MIRA_ECORRUPT, "not an extended entry");
    /* The extended partition itself overlapping a primary one. */
    reset(NULL);
    logical_disk(0x05);
    mbr_entry(0, 0, 0x00, 0x83, 40, 61);
    expect_refused(6, MIRA_ECORRUPT, "overlap");
    /* A chain of more EBRs than partitions allowed: one per LBA. */
    reset(NULL);
    mbr_entry(0, 0, 0x00, 0x05, 100, 3000);
    for (uint32_t k = 0; k < 2999; k++)
        mbr_entry(100 + k, 1, 0x00, 0x05, k + 1, 1);
    expect_refused(FAT_PART_AUTO, MIRA_ECORRUPT, "too many");
}

/* --- GPT --- */

static const uint8_t basic_data[16] = {
    0xA2, 0xA0, 0xD0, 0xEB, 0xE5, 0xB9, 0x33, 0x44,
    0x87, 0xC0, 0x68, 0xB6, 0xB7, 0x26, 0x99, 0xC7,
};
static const uint8_t linux_fs[16] = { /* 0FC63DAF-8483-4772-8E79-3D69D8477DE4 */
    0xAF, 0x3D, 0xC6, 0x0F, 0x83, 0x84, 0x72, 0x47,
    0x8E, 0x79, 0x3D, 0x69, 0xD8, 0x47, 0x7D, 0xE4,
};

#define GPT_ENTRIES 128
#define GPT_ESIZE 128
#define GPT_ELBAS (GPT_ENTRIES * GPT_ESIZE / LBA) /* 32 */

static void gpt_entry(uint8_t *ents, int i, const uint8_t *type, uint64_t first, uint64_t last)
{
    uint8_t *e = ents + i * GPT_ESIZE;
    memcpy(e, type, 16);
    memset(e + 16, i + 1, 16);
    fat_put32(e + 32, (uint32_t)first);
    fat_put32(e + 36, (uint32_t)(first >> 32));
    fat_put32(e + 40, (uint32_t)last);
    fat_put32(e + 44, (uint32_t)(last >> 32));
}

static void put64(uint8_t *p, uint64_t v)
{
    fat_put32(p, (uint32_t)v);
    fat_put32(p + 4, (uint32_t)(v >> 32));
}

/* Writes entries at elba and a header at my (alt: the other header),
 * with their CRCs. */
static void gpt_write(uint64_t my, uint64_t alt, uint64_t elba, const uint8_t *ents)
{
    memcpy(sector(elba), ents, GPT_ENTRIES * GPT_ESIZE);
    uint8_t *h = sector(my);
    memset(h, 0, LBA);
    memcpy(h, "EFI PART", 8);
    fat_put32(h + 8, 0x00010000);
    fat_put32(h + 12, 92);
    put64(h + 24, my);
    put64(h + 32, alt);
    put64(h + 40, 34);
    put64(h + 48, SECTORS - 34);
    memset(h + 56, 0x42, 16);
    put64(h + 72, elba);
    fat_put32(h + 80, GPT_ENTRIES);
    fat_put32(h + 84, GPT_ESIZE);
    fat_put32(h + 88, (uint32_t)crc32(0, ents, GPT_ENTRIES * GPT_ESIZE));
    fat_put32(h + 16, (uint32_t)crc32(0, h, 92));
}

static uint8_t ents[GPT_ENTRIES * GPT_ESIZE];

/* A protective MBR, partition 1 Linux at 34..99, 2 basic data at
 * 100..1099, primary and backup. */
static void gpt_disk(void)
{
    mbr_entry(0, 0, 0x00, 0xEE, 1, 0xFFFFFFFF);
    memset(ents, 0, sizeof(ents));
    gpt_entry(ents, 0, linux_fs, 34, 99);
    gpt_entry(ents, 1, basic_data, 100, 1099);
    gpt_write(1, SECTORS - 1, 2, ents);
    gpt_write(SECTORS - 1, 1, SECTORS - 1 - GPT_ELBAS, ents);
}

static void reheader(uint64_t my)
{
    uint8_t *h = sector(my);
    fat_put32(h + 16, 0);
    fat_put32(h + 16, (uint32_t)crc32(0, h, 92));
}

static void test_gpt(void **state)
{
    (void)state;
    gpt_disk();
    expect_at(FAT_PART_AUTO, 100, 2, "gpt");
    expect_at(1, 34, 1, "gpt");
    expect_refused(3, MIRA_ENOENT, "no such partition");
    /* The crc32 part.c exports is zlib's. */
    assert_int_equal(fat_crc32(ents, sizeof(ents)), (uint32_t)crc32(0, ents, sizeof(ents)));
    assert_int_equal(fat_crc32("123456789", 9), 0xCBF43926u);
}

/* A damaged primary: the backup is used. */
static void test_gpt_backup_used(void **state)
{
    (void)state;
    static const int spoils[] = { 0, 1, 2, 3, 4 };
    for (size_t k = 0; k < sizeof(spoils) / sizeof(spoils[0]); k++) {
        reset(NULL);
        gpt_disk();
        switch (spoils[k]) {
        case 0: sector(1)[48] ^= 1; break;                 /* header CRC */
        case 1: sector(2)[40] ^= 1; break;                 /* entries CRC */
        case 2: memset(sector(1), 0, LBA); break;          /* no header */
        case 3: memcpy(sector(1), "EFI PORT", 8); break;   /* signature */
        case 4: put64(sector(1) + 24, 2); reheader(1); break; /* not at LBA 1 */
        }
        expect_at(FAT_PART_AUTO, 100, 2, "gpt");
    }
}

/* A damaged or missing backup: the primary alone. */
static void test_gpt_primary_alone(void **state)
{
    (void)state;
    gpt_disk();
    sector(SECTORS - 1)[48] ^= 1;
    expect_at(FAT_PART_AUTO, 100, 2, "gpt");
    reset(NULL);
    gpt_disk();
    memset(sector(SECTORS - 1), 0, LBA);
    expect_at(FAT_PART_AUTO, 100, 2, "gpt");
    reset(NULL);
    gpt_disk();
    sector(SECTORS - 1 - GPT_ELBAS)[40] ^= 1;
    expect_at(FAT_PART_AUTO, 100, 2, "gpt");
}

static void test_gpt_refused(void **state)
{
    (void)state;
    /* Both damaged. */
    gpt_disk();
    sector(1)[48] ^= 1;
    sector(SECTORS - 1 - GPT_ELBAS)[40] ^= 1;
    expect_refused(FAT_PART_AUTO, MIRA_ECORRUPT, "both");
    /* A damaged primary and no backup: the primary's reason. */
    reset(NULL);
    gpt_disk();
    sector(1)[48] ^= 1;
    memset(sector(SECTORS - 1), 0, LBA);
    expect_refused(FAT_PART_AUTO, MIRA_ECORRUPT, "header CRC");
    reset(NULL);
    gpt_disk();
    sector(2)[40] ^= 1;
    memset(sector(SECTORS - 1), 0, LBA);
    expect_refused(FAT_PART_AUTO, MIRA_ECORRUPT, "entries CRC");
    /* Both good, different partitions. */
    reset(NULL);
    gpt_disk();
    gpt_entry(ents, 1, basic_data, 100, 1199);
    gpt_write(SECTORS - 1, 1, SECTORS - 1 - GPT_ELBAS, ents);
    expect_refused(FAT_PART_AUTO, MIRA_ECORRUPT, "disagree");
    /* Both good, different usable blocks. */
    reset(NULL);
    gpt_disk();
    put64(sector(SECTORS - 1) + 48, SECTORS - 40);
    reheader(SECTORS - 1);
    expect_refused(FAT_PART_AUTO, MIRA_ECORRUPT, "disagree");
    /* Both good, different disk GUIDs. */
    reset(NULL);
    gpt_disk();
    sector(SECTORS - 1)[60] ^= 1;
    reheader(SECTORS - 1);
    expect_refused(FAT_PART_AUTO, MIRA_ECORRUPT, "disagree");
    /* A partition outside the usable blocks, in both. */
    reset(NULL);
    gpt_disk();
    gpt_entry(ents, 1, basic_data, 100, SECTORS - 33);
    gpt_write(1, SECTORS - 1, 2, ents);
    gpt_write(SECTORS - 1, 1, SECTORS - 1 - GPT_ELBAS, ents);
    expect_refused(FAT_PART_AUTO, MIRA_ECORRUPT, "leaves the usable blocks");
    /* Overlapping partitions, in both. */
    reset(NULL);
    gpt_disk();
    gpt_entry(ents, 1, basic_data, 99, 1099);
    gpt_write(1, SECTORS - 1, 2, ents);
    gpt_write(SECTORS - 1, 1, SECTORS - 1 - GPT_ELBAS, ents);
    expect_refused(FAT_PART_AUTO, MIRA_ECORRUPT, "overlap");
    /* A primary header that says it is elsewhere, no backup. */
    reset(NULL);
    gpt_disk();
    put64(sector(1) + 24, 2);
    reheader(1);
    memset(sector(SECTORS - 1), 0, LBA);
    expect_refused(FAT_PART_AUTO, MIRA_ECORRUPT, "not at LBA 1");
    /* A backup header that says it is elsewhere, primary damaged. */
    reset(NULL);
    gpt_disk();
    sector(1)[48] ^= 1;
    put64(sector(SECTORS - 1) + 24, SECTORS - 2);
    reheader(SECTORS - 1);
    expect_refused(FAT_PART_AUTO, MIRA_ECORRUPT, "both");
    /* Usable blocks past the disk, in the primary, no backup. */
    reset(NULL);
    gpt_disk();
    put64(sector(1) + 48, SECTORS);
    reheader(1);
    memset(sector(SECTORS - 1), 0, LBA);
    expect_refused(FAT_PART_AUTO, MIRA_ECORRUPT, "usable blocks leave the disk");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_whole_disk, reset),
        cmocka_unit_test_setup(test_mbr_primary, reset),
        cmocka_unit_test_setup(test_mbr_refused, reset),
        cmocka_unit_test_setup(test_mbr_logical, reset),
        cmocka_unit_test_setup(test_mbr_logical_refused, reset),
        cmocka_unit_test_setup(test_gpt, reset),
        cmocka_unit_test_setup(test_gpt_backup_used, reset),
        cmocka_unit_test_setup(test_gpt_primary_alone, reset),
        cmocka_unit_test_setup(test_gpt_refused, reset),
    };
    return cmocka_run_group_tests_name("fat-part", tests, NULL, NULL);
}
