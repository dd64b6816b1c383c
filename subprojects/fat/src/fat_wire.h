/* fat_wire.h - the on-disk layout of a FAT file system: boot sector with
 * its BIOS parameter block (BPB), FSInfo sector, directory entries and
 * long-name (VFAT) entries.  Byte offsets only; the logic is elsewhere
 * (fat_vol.c reads them, tool/fat_make.c writes them). */
#ifndef FAT_WIRE_H
#define FAT_WIRE_H

/* --- boot sector: common BPB --- */
#define FAT_BS_JUMP          0   /* EB xx 90 or E9 xx xx */
#define FAT_BS_OEM           3   /* 8 bytes */
#define FAT_BPB_BYTES_PER_SEC 11 /* u16: 512, 1024, 2048 or 4096 */
#define FAT_BPB_SEC_PER_CLUS 13  /* u8: a power of two, 1 to 128 */
#define FAT_BPB_RSVD_SECS    14  /* u16: sectors before the first FAT, >= 1 */
#define FAT_BPB_NUM_FATS     16  /* u8 */
#define FAT_BPB_ROOT_ENTS    17  /* u16: root directory entries (0 on FAT32) */
#define FAT_BPB_TOT_SEC16    19  /* u16: total sectors, or 0 (then TOT_SEC32) */
#define FAT_BPB_MEDIA        21  /* u8: 0xF0, 0xF8 to 0xFF */
#define FAT_BPB_FAT_SZ16     22  /* u16: sectors per FAT, 0 on FAT32 */
#define FAT_BPB_SEC_PER_TRK  24  /* u16 */
#define FAT_BPB_NUM_HEADS    26  /* u16 */
#define FAT_BPB_HIDDEN_SECS  28  /* u32: sectors before the volume */
#define FAT_BPB_TOT_SEC32    32  /* u32 */

/* --- FAT12/16 extended BPB --- */
#define FAT16_BS_DRV_NUM     36
#define FAT16_BS_BOOT_SIG    38  /* 0x29: the next three fields are valid */
#define FAT16_BS_VOL_ID      39
#define FAT16_BS_VOL_LAB     43  /* 11 bytes */
#define FAT16_BS_FS_TYPE     54  /* 8 bytes, "FAT12   " (informative only) */
#define FAT16_BS_CODE        62

/* --- FAT32 extended BPB --- */
#define FAT32_BPB_FAT_SZ32   36  /* u32: sectors per FAT */
#define FAT32_BPB_EXT_FLAGS  40  /* u16 */
#define FAT32_BPB_FS_VER     42  /* u16: 0 */
#define FAT32_BPB_ROOT_CLUS  44  /* u32: first cluster of the root directory */
#define FAT32_BPB_FS_INFO    48  /* u16: sector of FSInfo */
#define FAT32_BPB_BK_BOOT    50  /* u16: sector of the boot sector's copy */
#define FAT32_BS_DRV_NUM     64
#define FAT32_BS_BOOT_SIG    66
#define FAT32_BS_VOL_ID      67
#define FAT32_BS_VOL_LAB     71
#define FAT32_BS_FS_TYPE     82
#define FAT32_BS_CODE        90

#define FAT_BS_SIGNATURE     510 /* 0x55 0xAA */

/* --- FSInfo sector (FAT32) --- */
#define FAT_FSI_LEAD_SIG     0   /* u32 0x41615252 */
#define FAT_FSI_STRUC_SIG    484 /* u32 0x61417272 */
#define FAT_FSI_FREE_COUNT   488 /* u32, 0xFFFFFFFF: unknown */
#define FAT_FSI_NXT_FREE     492 /* u32 */
#define FAT_FSI_TRAIL_SIG    508 /* u32 0xAA550000 */
#define FAT_FSI_LEAD_VALUE   0x41615252u
#define FAT_FSI_STRUC_VALUE  0x61417272u
#define FAT_FSI_TRAIL_VALUE  0xAA550000u

/* --- a directory entry: 32 bytes --- */
#define FAT_DIRENT_SIZE      32
#define FAT_DIR_NAME         0   /* 11 bytes: 8.3, space padded */
#define FAT_DIR_ATTR         11
#define FAT_DIR_NTRES        12  /* case of the short name (bits below) */
#define FAT_DIR_CRT_TIME_TENTH 13
#define FAT_DIR_CRT_TIME     14
#define FAT_DIR_CRT_DATE     16
#define FAT_DIR_LST_ACC_DATE 18
#define FAT_DIR_FST_CLUS_HI  20  /* u16 (FAT32 only) */
#define FAT_DIR_WRT_TIME     22
#define FAT_DIR_WRT_DATE     24
#define FAT_DIR_FST_CLUS_LO  26  /* u16 */
#define FAT_DIR_FILE_SIZE    28  /* u32 */

#define FAT_NAME_FREE        0xE5 /* first name byte: a deleted entry */
#define FAT_NAME_END         0x00 /* first name byte: no entry from here on */
#define FAT_NAME_KANJI_E5    0x05 /* first name byte standing for 0xE5 */

#define FAT_ATTR_READ_ONLY   0x01
#define FAT_ATTR_HIDDEN      0x02
#define FAT_ATTR_SYSTEM      0x04
#define FAT_ATTR_VOLUME_ID   0x08
#define FAT_ATTR_DIRECTORY   0x10
#define FAT_ATTR_ARCHIVE     0x20
#define FAT_ATTR_LONG_NAME   0x0F /* the low six bits of a long-name entry */
#define FAT_ATTR_LONG_MASK   0x3F

#define FAT_NTRES_LOWER_BASE 0x08
#define FAT_NTRES_LOWER_EXT  0x10

/* --- a long-name entry: 32 bytes, 13 UTF-16 units, last part first --- */
#define FAT_LDIR_ORD         0   /* sequence 1..20, 0x40 on the last part */
#define FAT_LDIR_NAME1       1   /* 5 units */
#define FAT_LDIR_ATTR        11  /* FAT_ATTR_LONG_NAME */
#define FAT_LDIR_TYPE        12  /* 0 */
#define FAT_LDIR_CHKSUM      13  /* checksum of the short name */
#define FAT_LDIR_NAME2       14  /* 6 units */
#define FAT_LDIR_FST_CLUS_LO 26  /* 0 */
#define FAT_LDIR_NAME3       28  /* 2 units */
#define FAT_LDIR_LAST        0x40
#define FAT_LDIR_ORD_MASK    0x3F
#define FAT_LDIR_UNITS       13
#define FAT_LFN_MAX_UNITS    255

/* Where each of the 13 UTF-16 units of a long-name entry lies. */
static const unsigned char fat_ldir_unit_off[FAT_LDIR_UNITS] = {
    1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30,
};

/* --- cluster numbers and FAT entry values --- */
#define FAT_FIRST_CLUSTER    2
#define FAT12_MAX_CLUSTERS   4084   /* fewer than 4085 clusters: FAT12 */
#define FAT16_MAX_CLUSTERS   65524  /* fewer than 65525: FAT16, else FAT32 */
#define FAT32_MAX_CLUSTERS   0x0FFFFFF5u
#define FAT32_ENTRY_MASK     0x0FFFFFFFu

#endif
