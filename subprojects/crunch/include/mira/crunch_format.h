/*
 * mira/crunch_format.h - the layout of a crunch image: the bytes mira-crunch
 * writes into the generated C file and the crunch driver reads.  Layout
 * only; the checks are in the driver (src/index.c).
 *
 * An image is two byte arrays: the index and the data.  All integers are
 * little-endian, at any byte offset (the arrays are char arrays).
 *
 * Index:
 *   header   MIRA_CRUNCH_HEADER_SIZE bytes (offsets below)
 *   entries  `entries` records of MIRA_CRUNCH_ENTRY_SIZE bytes; entry 0 is
 *            the root directory.  Entries are in breadth-first order: the
 *            children of a directory are consecutive entries, sorted by name
 *            (bytewise, a prefix first), and directories hand out their
 *            child ranges in entry order, so entry 1.. are the root's
 *            children, then the first subdirectory's, and so on.  A lookup
 *            binary-searches one directory's children per key component.
 *   names    `names_len` bytes: every entry's name, without separators.
 *
 * Data: each file's region, at the entry's offset: its blocks one after
 * the other (a block is MIRA_CRUNCH_BLOCK_SIZE bytes of the file, the last
 * one shorter), then a table of one little-endian u32 per block, which ends
 * the region.  A table word is the block's stored length, with
 * MIRA_CRUNCH_DEFLATED set when the block is a raw deflate stream (RFC
 * 1951) rather than the bytes themselves.  Blocks let a ranged read inflate
 * only what it needs; the table comes last so that mira-crunch writes a
 * file as it reads it, one block in memory.
 */
#ifndef MIRA_CRUNCH_FORMAT_H
#define MIRA_CRUNCH_FORMAT_H

#define MIRA_CRUNCH_MAGIC "MIRACRN1" /* 8 bytes, no NUL */
#define MIRA_CRUNCH_VERSION 1u

#define MIRA_CRUNCH_HEADER_SIZE 32u
#define MIRA_CRUNCH_H_MAGIC 0       /* 8 bytes */
#define MIRA_CRUNCH_H_VERSION 8     /* u32 */
#define MIRA_CRUNCH_H_ENTRIES 12    /* u32, at least 1 (the root) */
#define MIRA_CRUNCH_H_NAMES_OFF 16  /* u32: right after the entries */
#define MIRA_CRUNCH_H_NAMES_LEN 20  /* u32: the names end the index */
#define MIRA_CRUNCH_H_BLOCK_SIZE 24 /* u32: MIRA_CRUNCH_BLOCK_SIZE */
#define MIRA_CRUNCH_H_RESERVED 28   /* u32: 0 */

#define MIRA_CRUNCH_ENTRY_SIZE 32u
#define MIRA_CRUNCH_E_NAME_OFF 0    /* u32, into the names */
#define MIRA_CRUNCH_E_NAME_LEN 4    /* u16: 0 for the root only */
#define MIRA_CRUNCH_E_TYPE 6        /* u8: MIRA_CRUNCH_FILE or _DIRECTORY */
#define MIRA_CRUNCH_E_RESERVED 7    /* u8: 0 */
#define MIRA_CRUNCH_E_FIRST 8       /* directory: u32 first child entry */
#define MIRA_CRUNCH_E_COUNT 12      /* directory: u32 number of children */
#define MIRA_CRUNCH_E_OFFSET 8      /* file: u64 offset of its region in the data */
#define MIRA_CRUNCH_E_SIZE 16       /* file: u64 length; directory: 0 */
#define MIRA_CRUNCH_E_STORED 24     /* file: u64 length of its region; directory: 0 */

#define MIRA_CRUNCH_FILE 1
#define MIRA_CRUNCH_DIRECTORY 2

/* 128 KiB: a partial read inflates at most this much, and restarting the
 * deflate stream this rarely costs little (0.6 % over deflating each file
 * whole, on the benchmark's tree; 64 KiB cost 1 %). */
#define MIRA_CRUNCH_BLOCK_SIZE 131072u
#define MIRA_CRUNCH_DEFLATED 0x80000000u

#endif
