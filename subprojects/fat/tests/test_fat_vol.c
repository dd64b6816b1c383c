/* test_fat_vol.c - the FAT volume parser's pure logic on small images the
 * test builds byte by byte in memory: boot sector (BPB) checks, FAT12/16/32
 * entry decoding, cluster chains with their loop and range checks,
 * directory entries and long (VFAT) names with their checksum, lookups.
 * The images made by the real tools (mkfs.fat, mcopy) are the integration
 * tests' (tests/integration/fat_images.py); here each rule gets an input
 * that only it decides. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <mira/error.h>

#include "../src/fat_vol.h"
#include "../src/fat_wire.h"
#include "../src/le.h"

/* A disk in memory; past data (up to size) it reads as zeros, so a large
 * volume needs only its first sectors stored. */
struct mem {
    uint8_t *data;
    size_t len;
    unsigned reads;
    const uint64_t *size; /* the device's size: reads past it fail, as a disk's */
};

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct mem *m = ctx;
    m->reads++;
    if (off > *m->size || len > *m->size - off)
        return MIRA_EIO;
    memset(buf, 0, len);
    if (off < m->len)
        memcpy(buf, m->data + off, len < m->len - off ? len : (size_t)(m->len - off));
    return 0;
}

/* A volume the tests shape: geometry, then the bytes. */
struct img {
    struct mem mem;
    struct fat_dev dev;
    int type;
    uint32_t bps, spc, rsvd, nfats, root_ents, fat_sz, total;
    uint64_t fat_off, root_off, data_off;
};

static void put_bpb(struct img *im)
{
    uint8_t *s = im->mem.data;
    memset(s, 0, 512);
    s[0] = 0xEB;
    s[1] = 0x3C;
    s[2] = 0x90;
    memcpy(s + FAT_BS_OEM, "MIRATEST", 8);
    fat_put16(s + FAT_BPB_BYTES_PER_SEC, (uint16_t)im->bps);
    s[FAT_BPB_SEC_PER_CLUS] = (uint8_t)im->spc;
    fat_put16(s + FAT_BPB_RSVD_SECS, (uint16_t)im->rsvd);
    s[FAT_BPB_NUM_FATS] = (uint8_t)im->nfats;
    fat_put16(s + FAT_BPB_ROOT_ENTS, (uint16_t)im->root_ents);
    if (im->total < 65536 && im->type != 32)
        fat_put16(s + FAT_BPB_TOT_SEC16, (uint16_t)im->total);
    else
        fat_put32(s + FAT_BPB_TOT_SEC32, im->total);
    s[FAT_BPB_MEDIA] = 0xF8;
    if (im->type == 32) {
        fat_put32(s + FAT32_BPB_FAT_SZ32, im->fat_sz);
        fat_put32(s + FAT32_BPB_ROOT_CLUS, 2);
    } else {
        fat_put16(s + FAT_BPB_FAT_SZ16, (uint16_t)im->fat_sz);
    }
    s[FAT_BS_SIGNATURE] = 0x55;
    s[FAT_BS_SIGNATURE + 1] = 0xAA;
}

/* type 12: 60 clusters of 512 bytes; 16: 4100; 32: 98 (FAT32 by its BPB).
 * big12: FAT12 with 4000 clusters (its FAT crosses a 4 KiB chunk). */
static struct img *make(int type, bool big12)
{
    struct img *im = calloc(1, sizeof(*im));
    assert_non_null(im);
    im->type = type;
    im->bps = 512;
    im->spc = 1;
    im->rsvd = 1;
    im->nfats = type == 12 ? 2 : 1;
    im->root_ents = type == 32 ? 0 : 16;
    if (type == 12 && !big12) {
        im->fat_sz = 1;
        im->total = 1 + 2 * 1 + 1 + 60;
    } else if (type == 12) {
        im->fat_sz = 12; /* 4002 entries of 1.5 bytes */
        im->total = 1 + 2 * 12 + 1 + 4000;
    } else if (type == 16) {
        im->fat_sz = 17;
        im->total = 1 + 17 + 1 + 4100;
    } else {
        im->fat_sz = 1;
        im->total = 1 + 1 + 98;
    }
    im->mem.len = (size_t)im->total * im->bps;
    im->mem.data = calloc(1, im->mem.len);
    assert_non_null(im->mem.data);
    put_bpb(im);
    im->fat_off = (uint64_t)im->rsvd * im->bps;
    im->root_off = im->fat_off + (uint64_t)im->nfats * im->fat_sz * im->bps;
    im->data_off = im->root_off + (uint64_t)im->root_ents * 32;
    im->dev = (struct fat_dev){ .read = mem_read, .ctx = &im->mem,
                                .size = im->mem.len, .unit = 512 };
    im->mem.size = &im->dev.size;
    return im;
}

static void drop(struct img *im)
{
    free(im->mem.data);
    free(im);
}

/* Sets FAT entry c to val in every FAT copy. */
static void set_fat(struct img *im, uint32_t c, uint32_t val)
{
    for (uint32_t k = 0; k < im->nfats; k++) {
        uint8_t *f = im->mem.data + im->fat_off + (uint64_t)k * im->fat_sz * im->bps;
        if (im->type == 12) {
            uint8_t *p = f + c + c / 2;
            uint16_t w = fat_le16(p);
            w = (c & 1) ? (uint16_t)((w & 0x000F) | (val << 4))
                        : (uint16_t)((w & 0xF000) | (val & 0xFFF));
            fat_put16(p, w);
        } else if (im->type == 16) {
            fat_put16(f + c * 2, (uint16_t)val);
        } else {
            fat_put32(f + c * 4, val);
        }
    }
}

static uint32_t eoc(const struct img *im)
{
    return im->type == 12 ? 0xFFF : im->type == 16 ? 0xFFFF : 0x0FFFFFFF;
}

static uint8_t *cluster(struct img *im, uint32_t c)
{
    return im->mem.data + im->data_off + (uint64_t)(c - 2) * im->bps * im->spc;
}

/* The root directory's slot i (FAT32: in cluster 2, one cluster long). */
static uint8_t *root_slot(struct img *im, unsigned i)
{
    if (im->type == 32)
        return cluster(im, 2) + i * 32;
    return im->mem.data + im->root_off + i * 32;
}

static void put_short(uint8_t *e, const char *name11, uint8_t attr, uint32_t first,
                      uint32_t size)
{
    memset(e, 0, 32);
    memcpy(e, name11, 11);
    e[FAT_DIR_ATTR] = attr;
    fat_put16(e + FAT_DIR_FST_CLUS_LO, (uint16_t)first);
    fat_put16(e + FAT_DIR_FST_CLUS_HI, (uint16_t)(first >> 16));
    fat_put32(e + FAT_DIR_FILE_SIZE, size);
}

/* The short name checksum as the FAT specification gives it: rotate right,
 * add the next byte. */
static uint8_t spec_checksum(const char *name11)
{
    uint8_t sum = 0;
    for (int i = 0; i < 11; i++)
        sum = (uint8_t)(((sum & 1) ? 0x80 : 0) + (sum >> 1) + (uint8_t)name11[i]);
    return sum;
}

static const int unit_off[13] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30 };

/* Writes the long-name entries of units[0..n) at e (last part first), as
 * Windows does: a 0x0000 after the name, 0xFFFF padding.  Returns the
 * number of entries. */
static int put_lfn(uint8_t *e, const uint16_t *units, int n, uint8_t sum)
{
    int parts = (n + 12) / 13;
    for (int p = parts; p >= 1; p--) {
        uint8_t *x = e + (parts - p) * 32;
        memset(x, 0, 32);
        x[FAT_LDIR_ORD] = (uint8_t)(p | (p == parts ? FAT_LDIR_LAST : 0));
        x[FAT_LDIR_ATTR] = FAT_ATTR_LONG_NAME;
        x[FAT_LDIR_CHKSUM] = sum;
        for (int i = 0; i < 13; i++) {
            int k = (p - 1) * 13 + i;
            fat_put16(x + unit_off[i], k < n ? units[k] : k == n ? 0x0000 : 0xFFFF);
        }
    }
    return parts;
}

static int ascii_units(const char *s, uint16_t *out)
{
    int n = 0;
    while (s[n]) {
        out[n] = (uint8_t)s[n];
        n++;
    }
    return n;
}

static int mount(struct img *im, struct fat_vol *v)
{
    return fat_vol_mount(v, &im->dev, 0, im->dev.size);
}

/* --- boot sector --- */

static void test_bpb_each_type(void **state)
{
    (void)state;
    static const struct { int type; bool big; uint32_t clusters; } cases[] = {
        { 12, false, 60 }, { 12, true, 4000 }, { 16, false, 4100 }, { 32, false, 98 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct img *im = make(cases[i].type, cases[i].big);
        struct fat_vol v;
        assert_true(fat_bpb_plausible(im->mem.data));
        assert_int_equal(mount(im, &v), 0);
        assert_int_equal(v.type, cases[i].type);
        assert_int_equal(v.clusters, cases[i].clusters);
        assert_int_equal(v.cluster_bytes, 512);
        assert_int_equal(v.fat_off, im->fat_off);
        assert_int_equal(v.data_off, im->data_off);
        if (cases[i].type != 32) {
            assert_int_equal(v.root_off, im->root_off);
            assert_int_equal(v.root_entries, 16);
            assert_true(fat_vol_root(&v).root_fixed);
        } else {
            assert_int_equal(fat_vol_root(&v).first, 2);
        }
        fat_vol_unmount(&v);
        drop(im);
    }
}

/* FAT12/16 against the cluster count alone: 4084 clusters is FAT12, 4085
 * is FAT16 (the specification's boundary, which mkfs.fat and Linux use). */
static void test_bpb_type_boundary(void **state)
{
    (void)state;
    for (uint32_t n = 4083; n <= 4086; n++) {
        struct img *im = make(16, false);
        im->total = 1 + 17 + 1 + n;
        put_bpb(im);
        struct fat_vol v;
        assert_int_equal(mount(im, &v), 0);
        assert_int_equal(v.clusters, n);
        assert_int_equal(v.type, n <= 4084 ? 12 : 16);
        fat_vol_unmount(&v);
        drop(im);
    }
}

struct bpb_case {
    const char *what;   /* the reason's words that must appear */
    int type;
    void (*spoil)(struct img *im);
};

static void no_jump(struct img *im) { im->mem.data[0] = 0x00; }
static void no_sig(struct img *im) { im->mem.data[511] = 0x00; }
static void bps_256(struct img *im) { fat_put16(im->mem.data + FAT_BPB_BYTES_PER_SEC, 256); }
static void bps_513(struct img *im) { fat_put16(im->mem.data + FAT_BPB_BYTES_PER_SEC, 513); }
static void bps_8192(struct img *im) { fat_put16(im->mem.data + FAT_BPB_BYTES_PER_SEC, 8192); }
static void spc_3(struct img *im) { im->mem.data[FAT_BPB_SEC_PER_CLUS] = 3; }
static void spc_0(struct img *im) { im->mem.data[FAT_BPB_SEC_PER_CLUS] = 0; }
static void clus_128k(struct img *im)
{
    fat_put16(im->mem.data + FAT_BPB_BYTES_PER_SEC, 4096);
    im->mem.data[FAT_BPB_SEC_PER_CLUS] = 32;
}
static void rsvd_0(struct img *im) { fat_put16(im->mem.data + FAT_BPB_RSVD_SECS, 0); }
static void nfats_0(struct img *im) { im->mem.data[FAT_BPB_NUM_FATS] = 0; }
static void fatsz_0(struct img *im) { fat_put32(im->mem.data + FAT32_BPB_FAT_SZ32, 0); }
static void total_0(struct img *im)
{
    fat_put16(im->mem.data + FAT_BPB_TOT_SEC16, 0);
    fat_put32(im->mem.data + FAT_BPB_TOT_SEC32, 0);
}
static void fat32_root_ents(struct img *im) { fat_put16(im->mem.data + FAT_BPB_ROOT_ENTS, 16); }
static void fat16_no_root(struct img *im) { fat_put16(im->mem.data + FAT_BPB_ROOT_ENTS, 0); }
static void meta_fills(struct img *im) { fat_put16(im->mem.data + FAT_BPB_TOT_SEC16, 19); }
static void too_big(struct img *im) { fat_put16(im->mem.data + FAT_BPB_TOT_SEC16, 65000); }
static void fat_small(struct img *im) { fat_put16(im->mem.data + FAT_BPB_FAT_SZ16, 15); }
/* 4351 clusters need 4353 FAT16 entries; 17 sectors hold 4352. */
static void fat_one_short(struct img *im)
{
    fat_put16(im->mem.data + FAT_BPB_TOT_SEC16, 1 + 17 + 1 + 4351);
    im->dev.size = (uint64_t)(1 + 17 + 1 + 4351) * 512;
}
static void root_off(struct img *im) { fat_put32(im->mem.data + FAT32_BPB_ROOT_CLUS, 100); }
static void root_1(struct img *im) { fat_put32(im->mem.data + FAT32_BPB_ROOT_CLUS, 1); }
/* 70000 clusters with a FAT16 BPB: FAT32's count without FAT32's BPB. */
static void fat16_huge(struct img *im)
{
    fat_put16(im->mem.data + FAT_BPB_TOT_SEC16, 0);
    fat_put32(im->mem.data + FAT_BPB_TOT_SEC32, 1 + 280 + 1 + 70000);
    fat_put16(im->mem.data + FAT_BPB_FAT_SZ16, 280);
    im->dev.size = (uint64_t)(1 + 280 + 1 + 70000) * 512;
}

static void test_bpb_refused(void **state)
{
    (void)state;
    static const struct bpb_case cases[] = {
        { "no jump instruction", 16, no_jump },
        { "no 55 AA signature", 16, no_sig },
        { "bytes per sector", 16, bps_256 },
        { "bytes per sector", 16, bps_513 },
        { "bytes per sector", 16, bps_8192 },
        { "sectors per cluster", 16, spc_3 },
        { "sectors per cluster", 16, spc_0 },
        { "larger than 64 KiB", 16, clus_128k },
        { "no reserved sectors", 16, rsvd_0 },
        { "no FAT", 16, nfats_0 },
        { "FATs of 0 sectors", 32, fatsz_0 },
        { "0 sectors in the volume", 16, total_0 },
        { "FAT32 with a fixed root", 32, fat32_root_ents },
        { "without root directory entries", 16, fat16_no_root },
        { "fill the whole volume", 16, meta_fills },
        { "larger than its disk", 16, too_big },
        { "FAT is too small", 16, fat_small },
        { "FAT is too small", 16, fat_one_short },
        { "root directory's cluster is off", 32, root_off },
        { "root directory's cluster is off", 32, root_1 },
        { "without FAT32's boot sector", 16, fat16_huge },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct img *im = make(cases[i].type, false);
        cases[i].spoil(im);
        struct fat_vol v;
        int r = mount(im, &v);
        if (r != MIRA_ECORRUPT || v.why == NULL || strstr(v.why, cases[i].what) == NULL)
            fail_msg("case %zu (%s): got %d, why '%s'", i, cases[i].what, r,
                     r == MIRA_ECORRUPT && v.why ? v.why : "");
        drop(im);
    }
    /* A volume larger than what holds it, and a disk shorter than a boot
     * sector. */
    struct img *im = make(16, false);
    struct fat_vol v;
    assert_int_equal(fat_vol_mount(&v, &im->dev, 0, im->dev.size - 512), MIRA_ECORRUPT);
    assert_non_null(strstr(v.why, "truncated"));
    assert_int_equal(fat_vol_mount(&v, &im->dev, im->dev.size - 256, 256), MIRA_ECORRUPT);
    assert_int_equal(fat_vol_mount(&v, &im->dev, im->dev.size + 512, 512), MIRA_ECORRUPT);
    drop(im);
}

static void test_bpb_plausible(void **state)
{
    (void)state;
    struct img *im = make(12, false);
    uint8_t *s = im->mem.data;
    assert_true(fat_bpb_plausible(s));
    s[0] = 0xE9;
    assert_true(fat_bpb_plausible(s));
    void (*spoil[])(struct img *) = { no_jump, no_sig, bps_256, bps_8192, spc_3, rsvd_0,
                                      nfats_0 };
    for (size_t i = 0; i < sizeof(spoil) / sizeof(spoil[0]); i++) {
        put_bpb(im);
        spoil[i](im);
        if (fat_bpb_plausible(s))
            fail_msg("spoil %zu still plausible", i);
    }
    drop(im);
}

/* --- FAT entries --- */

static void test_fat_entries(void **state)
{
    (void)state;
    int types[] = { 12, 16, 32 };
    for (int t = 0; t < 3; t++) {
        struct img *im = make(types[t], false);
        uint32_t last = types[t] == 12 ? 61 : types[t] == 16 ? 4101 : 99;
        set_fat(im, 2, 3);           /* even and odd neighbours (FAT12) */
        set_fat(im, 3, last);
        set_fat(im, last, eoc(im));
        set_fat(im, 4, eoc(im) - 7); /* the lowest end-of-chain value */
        set_fat(im, 5, eoc(im) - 8); /* bad cluster */
        set_fat(im, 6, 0);           /* free */
        set_fat(im, 7, 1);           /* reserved: as free */
        set_fat(im, 8, last + 1);    /* one past the last cluster */
        set_fat(im, 9, 10);
        if (types[t] == 32)
            fat_put32(im->mem.data + im->fat_off + 9 * 4, 0xF000000A); /* top 4 bits ignored */
        struct fat_vol v;
        assert_int_equal(mount(im, &v), 0);
        uint32_t n = 99999;
        assert_int_equal(fat_vol_next_cluster(&v, 2, &n), 0);
        assert_int_equal(n, 3);
        assert_int_equal(fat_vol_next_cluster(&v, 3, &n), 0);
        assert_int_equal(n, last);
        assert_int_equal(fat_vol_next_cluster(&v, last, &n), 0);
        assert_int_equal(n, 0);
        assert_int_equal(fat_vol_next_cluster(&v, 4, &n), 0);
        assert_int_equal(n, 0);
        assert_int_equal(fat_vol_next_cluster(&v, 5, &n), MIRA_ECORRUPT);
        assert_non_null(strstr(v.why, "bad cluster"));
        assert_int_equal(fat_vol_next_cluster(&v, 6, &n), MIRA_ECORRUPT);
        assert_non_null(strstr(v.why, "free cluster"));
        assert_int_equal(fat_vol_next_cluster(&v, 7, &n), MIRA_ECORRUPT);
        assert_non_null(strstr(v.why, "free cluster"));
        assert_int_equal(fat_vol_next_cluster(&v, 8, &n), MIRA_ECORRUPT);
        assert_non_null(strstr(v.why, "leaves the volume"));
        assert_int_equal(fat_vol_next_cluster(&v, 9, &n), 0);
        assert_int_equal(n, 10);
        fat_vol_unmount(&v);
        drop(im);
    }
}

/* FAT12's 12-bit entries at every parity, one straddling the FAT's 4 KiB
 * cache chunks (entry 2730 sits at bytes 4095-4096). */
static void test_fat12_packing(void **state)
{
    (void)state;
    struct img *im = make(12, true);
    for (uint32_t c = 2; c < 4001; c++)
        set_fat(im, c, c + 1);
    set_fat(im, 4001, 0xFFF);
    struct fat_vol v;
    assert_int_equal(mount(im, &v), 0);
    assert_int_equal(v.type, 12);
    for (uint32_t c = 2; c < 4001; c++) {
        uint32_t n;
        assert_int_equal(fat_vol_next_cluster(&v, c, &n), 0);
        if (n != c + 1)
            fail_msg("entry %u: %u", c, n);
    }
    uint32_t n;
    assert_int_equal(fat_vol_next_cluster(&v, 4001, &n), 0);
    assert_int_equal(n, 0);
    fat_vol_unmount(&v);
    drop(im);
}

/* --- chains through fat_vol_read --- */

static void fill_cluster(struct img *im, uint32_t c, uint8_t byte)
{
    memset(cluster(im, c), byte, 512);
}

static void test_chain_read(void **state)
{
    (void)state;
    struct img *im = make(16, false);
    /* 2 -> 3 -> 7 -> 4: contiguous, a jump, a jump back. */
    uint32_t chain[] = { 2, 3, 7, 4 };
    for (int i = 0; i < 4; i++) {
        set_fat(im, chain[i], i < 3 ? chain[i + 1] : eoc(im));
        fill_cluster(im, chain[i], (uint8_t)('a' + i));
    }
    struct fat_vol v;
    assert_int_equal(mount(im, &v), 0);
    struct fat_node f = { .first = 2, .size = 3 * 512 + 10 };
    uint8_t buf[6 * 512];
    assert_int_equal(fat_vol_read(&v, &f, 0, buf, sizeof(buf)), 3 * 512 + 10);
    for (int i = 0; i < 3 * 512 + 10; i++)
        if (buf[i] != 'a' + i / 512)
            fail_msg("byte %d: %c", i, buf[i]);
    /* Ranged reads across cluster borders, and from a resumed hint. */
    assert_int_equal(fat_vol_read(&v, &f, 500, buf, 30), 30);
    assert_int_equal(buf[0], 'a');
    assert_int_equal(buf[29], 'b');
    assert_int_equal(fat_vol_read(&v, &f, 1030, buf, 600), 516);
    assert_int_equal(buf[0], 'c');
    assert_int_equal(buf[515], 'd');
    assert_int_equal(fat_vol_read(&v, &f, 3 * 512 + 10, buf, 1), 0);
    assert_int_equal(fat_vol_read(&v, &f, 1u << 30, buf, 1), 0);
    /* A size beyond the chain. */
    struct fat_node longer = { .first = 2, .size = 5 * 512 };
    assert_int_equal(fat_vol_read(&v, &longer, 0, buf, sizeof(buf)), MIRA_ECORRUPT);
    assert_non_null(strstr(v.why, "larger than its cluster chain"));
    /* A chain beyond the size. */
    struct fat_node shorter = { .first = 2, .size = 2 * 512 };
    assert_int_equal(fat_vol_read(&v, &shorter, 0, buf, sizeof(buf)), MIRA_ECORRUPT);
    assert_non_null(strstr(v.why, "longer than its file"));
    /* A directory is not read as a file. */
    struct fat_node d = { .dir = true, .first = 2 };
    assert_int_equal(fat_vol_read(&v, &d, 0, buf, 1), MIRA_EINVAL);
    fat_vol_unmount(&v);
    drop(im);
}

static void test_chain_loops(void **state)
{
    (void)state;
    struct img *im = make(12, false);
    set_fat(im, 2, 3);
    set_fat(im, 3, 2); /* 2 -> 3 -> 2 ... */
    set_fat(im, 10, 10); /* a cluster pointing at itself */
    struct fat_vol v;
    assert_int_equal(mount(im, &v), 0);
    uint8_t buf[512];
    /* The largest size a directory entry allows: the read ends. */
    struct fat_node f = { .first = 2, .size = 60 * 512 };
    long r = 0;
    uint64_t off = 0;
    unsigned steps = 0;
    while ((r = fat_vol_read(&v, &f, off, buf, sizeof(buf))) > 0 && steps++ < 1000)
        off += (uint64_t)r;
    assert_int_equal(r, MIRA_ECORRUPT);
    assert_true(steps < 1000);
    struct fat_node self = { .first = 10, .size = 60 * 512 };
    uint8_t *all = malloc(60 * 512);
    assert_int_equal(fat_vol_read(&v, &self, 0, all, 60 * 512), MIRA_ECORRUPT);
    /* Asking for a position past the volume's cluster count. */
    assert_int_equal(fat_vol_read(&v, &self, 61 * 512, buf, 1), 0); /* past its size */
    struct fat_node huge = { .first = 10, .size = 1ull << 40 };
    assert_int_equal(fat_vol_read(&v, &huge, 100 * 512, buf, 1), MIRA_ECORRUPT);
    assert_non_null(strstr(v.why, "longer than the volume"));
    free(all);
    fat_vol_unmount(&v);
    drop(im);
}

/* Small reads of a file come from one window read: reading 40 clusters
 * in 700-byte pieces takes one device read for the data (and one for the
 * FAT), not one or more per piece; the bytes are right, up to the last
 * clusters of the device, where the window is cut short. */
static void test_read_window(void **state)
{
    (void)state;
    struct img *im = make(16, false);
    uint32_t last = 4101, first_tail = last - 3;
    for (uint32_t c = 2; c < 42; c++) {
        set_fat(im, c, c == 41 ? eoc(im) : c + 1);
        for (int i = 0; i < 512; i++)
            cluster(im, c)[i] = (uint8_t)(c * 7 + i);
    }
    for (uint32_t c = first_tail; c <= last; c++) {
        set_fat(im, c, c == last ? eoc(im) : c + 1);
        memset(cluster(im, c), (int)(c & 0xFF), 512);
    }
    struct fat_vol v;
    assert_int_equal(mount(im, &v), 0);
    struct fat_node f = { .first = 2, .size = 40 * 512 };
    uint8_t piece[700];
    unsigned before = im->mem.reads;
    for (uint64_t off = 0; off < f.size; off += sizeof(piece)) {
        long n = fat_vol_read(&v, &f, off, piece, sizeof(piece));
        assert_true(n > 0);
        for (long i = 0; i < n; i++) {
            uint64_t at = off + (uint64_t)i;
            if (piece[i] != (uint8_t)((2 + at / 512) * 7 + at % 512))
                fail_msg("byte %llu", (unsigned long long)at);
        }
    }
    assert_true(im->mem.reads - before <= 2);
    struct fat_node tail = { .first = first_tail, .size = 4 * 512 };
    uint8_t buf[4 * 512];
    assert_int_equal(fat_vol_read(&v, &tail, 0, buf, 100), 100);
    assert_int_equal(fat_vol_read(&v, &tail, 100, buf, sizeof(buf)), 4 * 512 - 100);
    assert_int_equal(buf[4 * 512 - 101], last & 0xFF);
    fat_vol_unmount(&v);
    drop(im);
}

/* --- directories --- */

static int list(struct fat_vol *v, const struct fat_node *dir, struct fat_dirent *out, int max)
{
    uint64_t cur = 0;
    int n = 0, r = 0;
    while (n < max && (r = fat_vol_dir_next(v, dir, &cur, &out[n])) == 1)
        n++;
    return n < max && r < 0 ? r : n;
}

static void test_dir_short_names(void **state)
{
    (void)state;
    struct img *im = make(16, false);
    put_short(root_slot(im, 0), "LABEL      ", FAT_ATTR_VOLUME_ID, 0, 0);
    put_short(root_slot(im, 1), "README  TXT", FAT_ATTR_ARCHIVE, 2, 5);
    put_short(root_slot(im, 2), "GONE    TXT", 0, 3, 5);
    root_slot(im, 2)[0] = FAT_NAME_FREE;
    put_short(root_slot(im, 3), "LOWER   TXT", 0, 0, 0);
    root_slot(im, 3)[FAT_DIR_NTRES] = FAT_NTRES_LOWER_BASE;
    put_short(root_slot(im, 4), "MIXED   TXT", 0, 0, 0);
    root_slot(im, 4)[FAT_DIR_NTRES] = FAT_NTRES_LOWER_EXT;
    put_short(root_slot(im, 5), "\x05" "E5     BIN", 0, 0, 0); /* first byte 0xE5 */
    put_short(root_slot(im, 6), "SUB        ", FAT_ATTR_DIRECTORY, 4, 0);
    put_short(root_slot(im, 7), "NOEXT      ", 0, 0, 0);
    /* slot 8 is 00: the end, though slot 9 holds an entry */
    put_short(root_slot(im, 9), "HIDDEN  TXT", 0, 0, 0);
    set_fat(im, 2, eoc(im));
    set_fat(im, 4, eoc(im));
    put_short(cluster(im, 4), ".          ", FAT_ATTR_DIRECTORY, 4, 0);
    put_short(cluster(im, 4) + 32, "..         ", FAT_ATTR_DIRECTORY, 0, 0);
    put_short(cluster(im, 4) + 64, "IN      SUB", 0, 0, 0);
    struct fat_vol v;
    assert_int_equal(mount(im, &v), 0);
    struct fat_dirent e[10];
    struct fat_node root = fat_vol_root(&v);
    assert_int_equal(list(&v, &root, e, 10), 6);
    assert_string_equal(e[0].name, "README.TXT");
    assert_int_equal(e[0].node.first, 2);
    assert_int_equal(e[0].node.size, 5);
    assert_false(e[0].node.dir);
    assert_string_equal(e[1].name, "lower.TXT");
    assert_string_equal(e[1].short_name, "LOWER.TXT");
    assert_string_equal(e[2].name, "MIXED.txt");
    assert_string_equal(e[3].name, "\xC3\x95" "E5.BIN"); /* CP850 0xE5: U+00D5 */
    assert_string_equal(e[4].name, "SUB");
    assert_true(e[4].node.dir);
    assert_string_equal(e[5].name, "NOEXT");
    assert_int_equal(list(&v, &e[4].node, e, 10), 1); /* "." and ".." skipped */
    assert_string_equal(e[0].name, "IN.SUB");
    fat_vol_unmount(&v);
    drop(im);
}

static void test_dir_long_names(void **state)
{
    (void)state;
    struct img *im = make(32, false);
    set_fat(im, 2, 3); /* a root of two clusters: 32 slots */
    set_fat(im, 3, eoc(im));
    uint16_t u[300];
    unsigned slot = 0;
    /* 1: a two-part long name, checksum right. */
    int n = ascii_units("A long name with spaces.txt", u);
    const char *s1 = "ALONGN~1TXT";
    slot += (unsigned)put_lfn(root_slot(im, slot), u, n, spec_checksum(s1));
    put_short(root_slot(im, slot++), s1, 0, 0, 0);
    /* 2: checksum off by one: the short name. */
    n = ascii_units("wrong checksum.txt", u);
    const char *s2 = "WRONGC~1TXT";
    slot += (unsigned)put_lfn(root_slot(im, slot), u, n, (uint8_t)(spec_checksum(s2) + 1));
    put_short(root_slot(im, slot++), s2, 0, 0, 0);
    /* 3: a part of four deleted (the second on disk): the short name. */
    n = ascii_units("three parts of a long name, the middle gone", u);
    const char *s3 = "THREEP~1   ";
    unsigned at = slot;
    slot += (unsigned)put_lfn(root_slot(im, slot), u, n, spec_checksum(s3));
    root_slot(im, at + 1)[0] = FAT_NAME_FREE;
    put_short(root_slot(im, slot++), s3, 0, 0, 0);
    /* 4: UTF-16 with a surrogate pair and a lone surrogate. */
    uint16_t w[] = { 'x', 0x00E9, 0xD83D, 0xDE00, 0xDC00, 'y' };
    const char *s4 = "X_~1       ";
    slot += (unsigned)put_lfn(root_slot(im, slot), w, 6, spec_checksum(s4));
    put_short(root_slot(im, slot++), s4, 0, 0, 0);
    /* 5: a long name of exactly 13 units: one part, no terminator. */
    n = ascii_units("thirteen.txt!", u);
    const char *s5 = "THIRTE~1TXT";
    slot += (unsigned)put_lfn(root_slot(im, slot), u, n, spec_checksum(s5));
    put_short(root_slot(im, slot++), s5, 0, 0, 0);
    /* 6: a part repeated (3, 2, 2, 1): out of sequence, the short name. */
    n = ascii_units("a name in three parts, one repeated", u);
    const char *s6 = "ANAMEI~1   ";
    at = slot;
    put_lfn(root_slot(im, slot), u, n, spec_checksum(s6));
    memmove(root_slot(im, at + 3), root_slot(im, at + 2), 32);
    memcpy(root_slot(im, at + 2), root_slot(im, at + 1), 32);
    slot += 4;
    put_short(root_slot(im, slot++), s6, 0, 0, 0);
    /* 7: an orphan long-name part before a plain short name. */
    n = ascii_units("orphan", u);
    put_lfn(root_slot(im, slot++), u, n, 0x12);
    root_slot(im, slot - 1)[FAT_LDIR_ORD] = 1; /* not marked last */
    put_short(root_slot(im, slot++), "PLAIN      ", 0, 0, 0);

    struct fat_vol v;
    assert_int_equal(mount(im, &v), 0);
    struct fat_dirent e[8];
    struct fat_node root = fat_vol_root(&v);
    assert_int_equal(list(&v, &root, e, 8), 7);
    assert_string_equal(e[0].name, "A long name with spaces.txt");
    assert_string_equal(e[0].short_name, "ALONGN~1.TXT");
    assert_string_equal(e[1].name, "WRONGC~1.TXT");
    assert_string_equal(e[2].name, "THREEP~1");
    assert_string_equal(e[3].name, "x\xC3\xA9\xF0\x9F\x98\x80\xEF\xBF\xBDy");
    assert_string_equal(e[4].name, "thirteen.txt!");
    assert_string_equal(e[5].name, "ANAMEI~1");
    assert_string_equal(e[6].name, "PLAIN");
    /* Lookups: long name, short name, either case, a path. */
    struct fat_node f;
    assert_int_equal(fat_vol_lookup(&v, "A long name with spaces.txt", &f), 0);
    assert_int_equal(fat_vol_lookup(&v, "a LONG name with SPACES.TXT", &f), 0);
    assert_int_equal(fat_vol_lookup(&v, "alongn~1.txt", &f), 0);
    assert_int_equal(fat_vol_lookup(&v, "A long name", &f), MIRA_ENOENT);
    assert_int_equal(fat_vol_lookup(&v, "wrong checksum.txt", &f), MIRA_ENOENT);
    assert_int_equal(fat_vol_lookup(&v, "PLAIN/x", &f), MIRA_EINVAL);
    assert_int_equal(fat_vol_lookup(&v, "", &f), 0);
    assert_true(f.dir);
    fat_vol_unmount(&v);

    /* A '/' in a long name is refused. */
    n = ascii_units("a/b", u);
    put_lfn(root_slot(im, 0), u, n, spec_checksum(s1));
    put_short(root_slot(im, 1), s1, 0, 0, 0);
    memset(root_slot(im, 2), 0, 32);
    assert_int_equal(mount(im, &v), 0);
    assert_int_equal(list(&v, &root, e, 8), MIRA_ECORRUPT);
    assert_non_null(strstr(v.why, "'/'"));
    fat_vol_unmount(&v);
    drop(im);
}

struct entry_case {
    const char *what;
    uint8_t attr;
    uint32_t first, size;
};

static void test_dir_entries_refused(void **state)
{
    (void)state;
    static const struct entry_case cases[] = {
        { "points past the end", 0, 62, 1 },             /* clusters 2..61 */
        { "points past the end", FAT_ATTR_DIRECTORY, 1, 0 },
        { "subdirectory has no cluster", FAT_ATTR_DIRECTORY, 0, 0 },
        { "non-empty file has no cluster", 0, 0, 1 },
        { "larger than the volume", 0, 2, 60 * 512 + 1 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct img *im = make(12, false);
        put_short(root_slot(im, 0), "X          ", cases[i].attr, cases[i].first, cases[i].size);
        struct fat_vol v;
        assert_int_equal(mount(im, &v), 0);
        struct fat_dirent e;
        uint64_t cur = 0;
        struct fat_node root = fat_vol_root(&v);
        int r = fat_vol_dir_next(&v, &root, &cur, &e);
        if (r != MIRA_ECORRUPT || strstr(v.why, cases[i].what) == NULL)
            fail_msg("case %zu (%s): %d", i, cases[i].what, r);
        fat_vol_unmount(&v);
        drop(im);
    }
    /* The largest size that fits is accepted. */
    struct img *im = make(12, false);
    put_short(root_slot(im, 0), "X          ", 0, 2, 60 * 512);
    struct fat_vol v;
    assert_int_equal(mount(im, &v), 0);
    struct fat_dirent e;
    uint64_t cur = 0;
    struct fat_node root = fat_vol_root(&v);
    assert_int_equal(fat_vol_dir_next(&v, &root, &cur, &e), 1);
    fat_vol_unmount(&v);
    drop(im);
}

/* A directory whose chain loops, every slot a live entry: the walk ends
 * with MIRA_ECORRUPT after at most the volume's clusters of slots. */
static void test_dir_loop(void **state)
{
    (void)state;
    struct img *im = make(12, false);
    put_short(root_slot(im, 0), "LOOP       ", FAT_ATTR_DIRECTORY, 2, 0);
    set_fat(im, 2, 3);
    set_fat(im, 3, 2);
    for (uint32_t c = 2; c <= 3; c++)
        for (int i = 0; i < 16; i++)
            put_short(cluster(im, c) + i * 32, "F          ", 0, 0, 0);
    struct fat_vol v;
    assert_int_equal(mount(im, &v), 0);
    struct fat_node d;
    assert_int_equal(fat_vol_lookup(&v, "LOOP", &d), 0);
    struct fat_dirent e;
    uint64_t cur = 0;
    int r;
    unsigned n = 0;
    while ((r = fat_vol_dir_next(&v, &d, &cur, &e)) == 1)
        n++;
    assert_int_equal(r, MIRA_ECORRUPT);
    assert_non_null(strstr(v.why, "loops"));
    assert_true(n <= 60 * 16);
    fat_vol_unmount(&v);
    drop(im);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bpb_each_type),
        cmocka_unit_test(test_bpb_type_boundary),
        cmocka_unit_test(test_bpb_refused),
        cmocka_unit_test(test_bpb_plausible),
        cmocka_unit_test(test_fat_entries),
        cmocka_unit_test(test_fat12_packing),
        cmocka_unit_test(test_chain_read),
        cmocka_unit_test(test_chain_loops),
        cmocka_unit_test(test_read_window),
        cmocka_unit_test(test_dir_short_names),
        cmocka_unit_test(test_dir_long_names),
        cmocka_unit_test(test_dir_entries_refused),
        cmocka_unit_test(test_dir_loop),
    };
    return cmocka_run_group_tests_name("fat-vol", tests, NULL, NULL);
}
