/* part_wire.h - the on-disk layout of partition tables: the MBR (DOS)
 * table in sector 0 and the GUID partition table (GPT) in LBA 1 onwards.
 * Byte offsets only; part.c reads them. */
#ifndef FAT_PART_WIRE_H
#define FAT_PART_WIRE_H

/* --- MBR --- */
#define MBR_TABLE            446 /* four 16-byte entries */
#define MBR_ENTRY_SIZE       16
#define MBR_ENTRIES          4
#define MBR_SIGNATURE        510 /* 0x55 0xAA */
#define MBR_E_STATUS         0   /* 0x00 or 0x80 (active) */
#define MBR_E_TYPE           4
#define MBR_E_LBA_START      8   /* u32 */
#define MBR_E_LBA_COUNT      12  /* u32 */

#define MBR_TYPE_EMPTY       0x00
#define MBR_TYPE_FAT12       0x01
#define MBR_TYPE_FAT16_SMALL 0x04
#define MBR_TYPE_EXTENDED    0x05
#define MBR_TYPE_FAT16       0x06
#define MBR_TYPE_FAT32       0x0B
#define MBR_TYPE_FAT32_LBA   0x0C
#define MBR_TYPE_FAT16_LBA   0x0E
#define MBR_TYPE_EXTENDED_LBA 0x0F
#define MBR_TYPE_EXTENDED_LINUX 0x85
#define MBR_TYPE_GPT_PROTECTIVE 0xEE
#define MBR_TYPE_EFI_SYSTEM  0xEF

/* --- GPT header (LBA 1) --- */
#define GPT_H_SIGNATURE      0   /* "EFI PART" */
#define GPT_H_REVISION       8   /* u32 0x00010000 */
#define GPT_H_SIZE           12  /* u32: 92 up to a sector */
#define GPT_H_CRC            16  /* u32: CRC32 of SIZE bytes, this field 0 */
#define GPT_H_RESERVED       20
#define GPT_H_MY_LBA         24  /* u64: 1 */
#define GPT_H_ALT_LBA        32  /* u64: the backup header */
#define GPT_H_FIRST_USABLE   40  /* u64 */
#define GPT_H_LAST_USABLE    48  /* u64 */
#define GPT_H_DISK_GUID      56
#define GPT_H_ENTRIES_LBA    72  /* u64 */
#define GPT_H_NUM_ENTRIES    80  /* u32 */
#define GPT_H_ENTRY_SIZE     84  /* u32: 128 * 2^n */
#define GPT_H_ENTRIES_CRC    88  /* u32 */
#define GPT_H_MIN_SIZE       92

/* --- GPT entry --- */
#define GPT_E_TYPE           0   /* GUID; all zero: unused */
#define GPT_E_UNIQUE         16
#define GPT_E_FIRST_LBA      32  /* u64 */
#define GPT_E_LAST_LBA       40  /* u64, inclusive */
#define GPT_E_ATTRS          48
#define GPT_E_NAME           56  /* 36 UTF-16LE units */
#define GPT_E_MIN_SIZE       128

/* The partition types that hold FAT, as stored (mixed-endian GUIDs):
 * Microsoft basic data EBD0A0A2-B9E5-4433-87C0-68B6B72699C7 and EFI
 * system C12A7328-F81F-11D2-BA4B-00A0C93EC93B. */
static const unsigned char gpt_type_basic_data[16] = {
    0xA2, 0xA0, 0xD0, 0xEB, 0xE5, 0xB9, 0x33, 0x44,
    0x87, 0xC0, 0x68, 0xB6, 0xB7, 0x26, 0x99, 0xC7,
};
static const unsigned char gpt_type_efi_system[16] = {
    0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11,
    0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E, 0xC9, 0x3B,
};

#endif
