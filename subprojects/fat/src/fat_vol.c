/* fat_vol.c - reading a FAT12/16/32 volume (see fat_vol.h). */
#include <string.h>
#include <mira/error.h>

#include "fat_vol.h"
#include "fat_wire.h"
#include "le.h"
#include "utf.h"

static int corrupt(struct fat_vol *v, const char *why)
{
    v->why = why;
    return MIRA_ECORRUPT;
}

static bool pow2(uint32_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

bool fat_bpb_plausible(const uint8_t *s)
{
    uint32_t bps = fat_le16(s + FAT_BPB_BYTES_PER_SEC);
    uint32_t spc = s[FAT_BPB_SEC_PER_CLUS];
    return (s[FAT_BS_JUMP] == 0xEB || s[FAT_BS_JUMP] == 0xE9) &&
           bps >= 512 && bps <= 4096 && pow2(bps) && pow2(spc) &&
           fat_le16(s + FAT_BPB_RSVD_SECS) >= 1 && s[FAT_BPB_NUM_FATS] >= 1 &&
           s[FAT_BS_SIGNATURE] == 0x55 && s[FAT_BS_SIGNATURE + 1] == 0xAA;
}

int fat_vol_mount(struct fat_vol *v, const struct fat_dev *dev, uint64_t base, uint64_t size)
{
    uint8_t bs[512];
    memset(v, 0, sizeof(*v));
    v->dev = *dev;
    v->base = base;
    if (base > dev->size || size > dev->size - base || size < sizeof(bs))
        return corrupt(v, "the volume is smaller than a boot sector (truncated image)");
    int r = fat_dev_read(dev, base, bs, sizeof(bs));
    if (r < 0)
        return r == MIRA_ECORRUPT ? corrupt(v, "truncated image") : r;
    if (bs[FAT_BS_JUMP] != 0xEB && bs[FAT_BS_JUMP] != 0xE9)
        return corrupt(v, "not a FAT boot sector (no jump instruction)");
    if (bs[FAT_BS_SIGNATURE] != 0x55 || bs[FAT_BS_SIGNATURE + 1] != 0xAA)
        return corrupt(v, "not a FAT boot sector (no 55 AA signature)");
    uint32_t bps = fat_le16(bs + FAT_BPB_BYTES_PER_SEC);
    uint32_t spc = bs[FAT_BPB_SEC_PER_CLUS];
    uint32_t rsvd = fat_le16(bs + FAT_BPB_RSVD_SECS);
    uint32_t nfats = bs[FAT_BPB_NUM_FATS];
    uint32_t root_ents = fat_le16(bs + FAT_BPB_ROOT_ENTS);
    uint64_t total = fat_le16(bs + FAT_BPB_TOT_SEC16);
    if (total == 0)
        total = fat_le32(bs + FAT_BPB_TOT_SEC32);
    uint64_t fat_sz = fat_le16(bs + FAT_BPB_FAT_SZ16);
    bool bpb32 = fat_sz == 0;
    if (bpb32)
        fat_sz = fat_le32(bs + FAT32_BPB_FAT_SZ32);

    if (bps < 512 || bps > 4096 || !pow2(bps))
        return corrupt(v, "bad boot sector: bytes per sector is not 512, 1024, 2048 or 4096");
    if (!pow2(spc))
        return corrupt(v, "bad boot sector: sectors per cluster is not a power of two");
    if ((uint64_t)bps * spc > 65536)
        return corrupt(v, "bad boot sector: clusters larger than 64 KiB");
    if (rsvd == 0)
        return corrupt(v, "bad boot sector: no reserved sectors");
    if (nfats == 0)
        return corrupt(v, "bad boot sector: no FAT");
    if (fat_sz == 0)
        return corrupt(v, "bad boot sector: FATs of 0 sectors");
    if (total == 0)
        return corrupt(v, "bad boot sector: 0 sectors in the volume");
    if (bpb32 && root_ents != 0)
        return corrupt(v, "bad boot sector: FAT32 with a fixed root directory");
    if (!bpb32 && root_ents == 0)
        return corrupt(v, "bad boot sector: FAT12/16 without root directory entries");

    uint64_t root_secs = ((uint64_t)root_ents * FAT_DIRENT_SIZE + bps - 1) / bps;
    uint64_t meta = rsvd + nfats * fat_sz + root_secs;
    if (meta >= total)
        return corrupt(v, "bad boot sector: FATs and root directory fill the whole volume");
    uint64_t clusters = (total - meta) / spc;
    if (clusters == 0)
        return corrupt(v, "bad boot sector: no data clusters");
    if (total * bps > size)
        return corrupt(v, "truncated image: the boot sector says the volume is larger than its disk or partition");

    enum fat_type type;
    if (bpb32) {
        /* A FAT32 BPB (FAT size in the 32-bit field) makes FAT32 whatever
         * the count, as Linux and mtools read it. */
        type = FAT_TYPE_32;
        if (clusters > FAT32_MAX_CLUSTERS)
            return corrupt(v, "bad boot sector: too many clusters for FAT32");
    } else if (clusters <= FAT12_MAX_CLUSTERS) {
        type = FAT_TYPE_12;
    } else if (clusters <= FAT16_MAX_CLUSTERS) {
        type = FAT_TYPE_16;
    } else {
        return corrupt(v, "bad boot sector: FAT32's cluster count without FAT32's boot sector");
    }
    if (fat_sz * bps * 8 / type < clusters + 2)
        return corrupt(v, "bad boot sector: the FAT is too small for the clusters");

    v->type = type;
    v->bytes_per_sector = bps;
    v->sectors_per_cluster = spc;
    v->cluster_bytes = bps * spc;
    v->clusters = (uint32_t)clusters;
    v->fat_off = base + (uint64_t)rsvd * bps;
    v->root_off = base + (rsvd + nfats * fat_sz) * bps;
    v->root_entries = root_ents;
    v->data_off = base + meta * bps;
    if (bpb32) {
        v->root_cluster = fat_le32(bs + FAT32_BPB_ROOT_CLUS);
        if (v->root_cluster < FAT_FIRST_CLUSTER || v->root_cluster - FAT_FIRST_CLUSTER >= clusters)
            return corrupt(v, "bad boot sector: the root directory's cluster is off the volume");
    }
    return fat_cache_init(&v->cache, dev);
}

void fat_vol_unmount(struct fat_vol *v)
{
    fat_cache_fini(&v->cache, &v->dev);
    fat_dev_release(&v->dev, v->bounce);
    v->bounce = NULL;
}

/* A file read at off into buf.  Small reads (up to half the window) are
 * served from a window of FAT_BOUNCE_BYTES read at once from where the
 * first of them starts: the bytes after a file on disk are mostly the
 * next clusters of it or the next file (mira-fat make and mcopy write
 * files in consecutive clusters), so a walk reading every file makes one
 * request per window instead of one or more per file.  Larger aligned
 * reads go straight into the caller's buffer, larger unaligned ones
 * through the window's buffer in pieces.  A fiber that finds the buffer
 * lent to another one's read (which waits) reads on its own. */
static int data_read(struct fat_vol *v, uint64_t off, void *buf, size_t len)
{
    uint64_t u = v->dev.unit;
    size_t cap = FAT_BOUNCE_BYTES < u ? (size_t)u : FAT_BOUNCE_BYTES;
    if (u <= 1 || v->bounce_busy)
        return fat_dev_read(&v->dev, off, buf, len);
    if (off > v->dev.size || len > v->dev.size - off)
        return MIRA_ECORRUPT;
    if (v->window_len != 0 && off >= v->window_off &&
        off + len <= v->window_off + v->window_len) {
        memcpy(buf, v->bounce + (off - v->window_off), len);
        return 0;
    }
    bool aligned = off % u == 0 && len % u == 0 && (uintptr_t)buf % u == 0;
    if (len > cap / 2 && aligned)
        return fat_dev_read(&v->dev, off, buf, len);
    if (v->bounce == NULL) {
        v->bounce = fat_dev_alloc(&v->dev, cap);
        if (v->bounce == NULL)
            return MIRA_ENOMEM;
    }
    int r;
    v->bounce_busy = true;
    v->window_len = 0;
    uint64_t start = off - off % u;
    uint64_t n = v->dev.size - start < cap ? v->dev.size - start : cap; /* size: whole units */
    if (len > cap / 2 || off + len > start + n) {
        r = fat_dev_read_via(&v->dev, off, buf, len, v->bounce);
    } else {
        r = v->dev.read(v->dev.ctx, start, v->bounce, (size_t)n);
        if (r == 0) {
            v->window_off = start;
            v->window_len = (uint32_t)n;
            memcpy(buf, v->bounce + (off - start), len);
        }
    }
    v->bounce_busy = false;
    return r;
}

struct fat_node fat_vol_root(const struct fat_vol *v)
{
    struct fat_node n = { .dir = true };
    if (v->type == FAT_TYPE_32)
        n.first = v->root_cluster;
    else
        n.root_fixed = true;
    return n;
}

static bool cluster_ok(const struct fat_vol *v, uint32_t c)
{
    return c >= FAT_FIRST_CLUSTER && c - FAT_FIRST_CLUSTER < v->clusters;
}

static int io(struct fat_vol *v, int r)
{
    return r == MIRA_ECORRUPT ? corrupt(v, "truncated image: metadata past the end of the disk") : r;
}

int fat_vol_next_cluster(struct fat_vol *v, uint32_t c, uint32_t *next)
{
    uint8_t b[4];
    uint32_t val, eoc, bad;
    int r;
    switch (v->type) {
    case FAT_TYPE_12: {
        uint64_t off = v->fat_off + c + c / 2;
        /* 12-bit entries may straddle chunks: one byte at a time. */
        if ((r = fat_cache_bytes(&v->cache, &v->dev, off, b, 1)) < 0 ||
            (r = fat_cache_bytes(&v->cache, &v->dev, off + 1, b + 1, 1)) < 0)
            return io(v, r);
        val = fat_le16(b);
        val = (c & 1) ? val >> 4 : val & 0xFFF;
        eoc = 0xFF8;
        bad = 0xFF7;
        break;
    }
    case FAT_TYPE_16:
        if ((r = fat_cache_bytes(&v->cache, &v->dev, v->fat_off + (uint64_t)c * 2, b, 2)) < 0)
            return io(v, r);
        val = fat_le16(b);
        eoc = 0xFFF8;
        bad = 0xFFF7;
        break;
    default:
        if ((r = fat_cache_bytes(&v->cache, &v->dev, v->fat_off + (uint64_t)c * 4, b, 4)) < 0)
            return io(v, r);
        val = fat_le32(b) & FAT32_ENTRY_MASK;
        eoc = 0x0FFFFFF8;
        bad = 0x0FFFFFF7;
        break;
    }
    if (val >= eoc) {
        *next = 0;
        return 0;
    }
    if (val == bad)
        return corrupt(v, "a cluster chain runs into a bad cluster");
    if (val < FAT_FIRST_CLUSTER)
        return corrupt(v, "a cluster chain runs into a free cluster");
    if (!cluster_ok(v, val))
        return corrupt(v, "a cluster chain leaves the volume");
    *next = val;
    return 0;
}

/* The cluster at position index of the chain from first, into *out (0 if
 * the chain ends before).  Resumes from a hint when one is on the way;
 * never walks more than the volume's cluster count. */
static int walk(struct fat_vol *v, uint32_t first, uint32_t index, uint32_t *out)
{
    uint32_t at = 0, c = first;
    for (int i = 0; i < FAT_HINTS; i++) {
        const struct fat_hint *h = &v->hint[i];
        if (h->first == first && h->cluster != 0 && h->index <= index && h->index >= at) {
            at = h->index;
            c = h->cluster;
        }
    }
    if (index >= v->clusters)
        return corrupt(v, "a cluster chain is longer than the volume (it loops)");
    while (at < index) {
        int r = fat_vol_next_cluster(v, c, &c);
        if (r < 0)
            return r;
        if (c == 0) {
            *out = 0;
            return 0;
        }
        at++;
    }
    struct fat_hint *h = &v->hint[v->next_hint++ % FAT_HINTS];
    *h = (struct fat_hint){ first, index, c };
    *out = c;
    return 0;
}

/* The byte offset of directory slot i of dir into *off (UINT64_MAX: past
 * the directory's end). */
static int dir_slot(struct fat_vol *v, const struct fat_node *dir, uint64_t i, uint64_t *off)
{
    if (dir->root_fixed) {
        *off = i < v->root_entries ? v->root_off + i * FAT_DIRENT_SIZE : UINT64_MAX;
        return 0;
    }
    uint64_t per = v->cluster_bytes / FAT_DIRENT_SIZE;
    uint64_t ci = i / per;
    if (ci >= v->clusters)
        return corrupt(v, "a directory's cluster chain is longer than the volume (it loops)");
    uint32_t c;
    int r = walk(v, dir->first, (uint32_t)ci, &c);
    if (r < 0)
        return r;
    *off = c == 0 ? UINT64_MAX
                  : v->data_off + (uint64_t)(c - FAT_FIRST_CLUSTER) * v->cluster_bytes +
                        (i % per) * FAT_DIRENT_SIZE;
    return 0;
}

static uint8_t short_checksum(const uint8_t *name)
{
    uint8_t sum = 0;
    for (int i = 0; i < 11; i++)
        sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + name[i]);
    return sum;
}

/* "NAME    EXT" -> "name.ext" as the case bits say; bytes above 0x7F are
 * code page 850 (mtools' default OEM code page), written as UTF-8. */
static void short_to_utf8(const uint8_t *raw, uint8_t ntres, char *out, char *as_stored)
{
    char tmp[13];
    size_t n = 0, k = 0;
    for (int part = 0; part < 2; part++) {
        int from = part ? 8 : 0, to = part ? 11 : 8;
        int end = to;
        while (end > from && raw[end - 1] == ' ')
            end--;
        if (part && end > from) {
            tmp[n++] = '.';
            out[k++] = '.';
        }
        bool lower = ntres & (part ? FAT_NTRES_LOWER_EXT : FAT_NTRES_LOWER_BASE);
        for (int i = from; i < end; i++) {
            uint8_t ch = raw[i];
            if (i == 0 && ch == FAT_NAME_KANJI_E5)
                ch = 0xE5;
            tmp[n++] = (char)ch;
            if (lower && ch >= 'A' && ch <= 'Z')
                ch = (uint8_t)(ch - 'A' + 'a');
            k += fat_utf8_put(ch < 0x80 ? ch : fat_cp850_high[ch - 0x80], out + k);
        }
    }
    tmp[n] = '\0';
    out[k] = '\0';
    memcpy(as_stored, tmp, n + 1);
}

/* Long-name parts gathered so far, last part first as on disk. */
struct lfn {
    uint16_t unit[20 * FAT_LDIR_UNITS];
    int expect;   /* the ord of the next part wanted; 0: complete; -1: none */
    int parts;
    uint8_t sum;
};

static void lfn_part(struct lfn *l, const uint8_t *e)
{
    int ord = e[FAT_LDIR_ORD] & FAT_LDIR_ORD_MASK;
    if (e[FAT_LDIR_ORD] & FAT_LDIR_LAST) {
        if (ord == 0 || ord > 20) {
            l->expect = -1;
            return;
        }
        l->parts = ord;
        l->sum = e[FAT_LDIR_CHKSUM];
    } else if (l->expect <= 0 || ord != l->expect || e[FAT_LDIR_CHKSUM] != l->sum) {
        l->expect = -1; /* an orphan part: the name falls back to 8.3 */
        return;
    }
    for (int i = 0; i < FAT_LDIR_UNITS; i++)
        l->unit[(ord - 1) * FAT_LDIR_UNITS + i] = fat_le16(e + fat_ldir_unit_off[i]);
    l->expect = ord - 1;
}

/* The long name as UTF-8 into out; 0 if there is none usable, 1 if there
 * is, MIRA_ECORRUPT (a '/' in it). */
static int lfn_name(struct fat_vol *v, const struct lfn *l, char *out)
{
    int n = 0, max = l->parts * FAT_LDIR_UNITS;
    while (n < max && l->unit[n] != 0)
        n++;
    if (n == 0 || n > FAT_LFN_MAX_UNITS)
        return 0;
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        uint32_t cp = l->unit[i];
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < n && l->unit[i + 1] >= 0xDC00 &&
            l->unit[i + 1] <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (l->unit[i + 1] - 0xDC00);
            i++;
        } else if (cp >= 0xD800 && cp <= 0xDFFF) {
            cp = 0xFFFD; /* a lone surrogate */
        }
        if (cp == '/')
            return corrupt(v, "a long name contains '/'");
        k += fat_utf8_put(cp, out + k);
    }
    out[k] = '\0';
    return 1;
}

int fat_vol_dir_next(struct fat_vol *v, const struct fat_node *dir, uint64_t *cursor,
                     struct fat_dirent *e)
{
    struct lfn l;
    l.expect = -1;
    l.parts = 0;
    l.sum = 0;
    for (uint64_t i = *cursor;; i++) {
        uint64_t off;
        uint8_t d[FAT_DIRENT_SIZE];
        int r = dir_slot(v, dir, i, &off);
        if (r < 0)
            return r;
        if (off == UINT64_MAX) {
            *cursor = i;
            return 0;
        }
        if ((r = fat_cache_bytes(&v->cache, &v->dev, off, d, sizeof(d))) < 0)
            return io(v, r);
        if (d[FAT_DIR_NAME] == FAT_NAME_END) {
            *cursor = i; /* stays at the end */
            return 0;
        }
        if (d[FAT_DIR_NAME] == FAT_NAME_FREE) {
            l.expect = -1;
            continue;
        }
        uint8_t attr = d[FAT_DIR_ATTR];
        if ((attr & FAT_ATTR_LONG_MASK) == FAT_ATTR_LONG_NAME) {
            lfn_part(&l, d);
            continue;
        }
        bool use_lfn = l.expect == 0 && l.sum == short_checksum(d);
        l.expect = -1;
        if (attr & FAT_ATTR_VOLUME_ID)
            continue;
        if (d[0] == '.' && (memcmp(d, ".          ", 11) == 0 || memcmp(d, "..         ", 11) == 0))
            continue;
        short_to_utf8(d, d[FAT_DIR_NTRES], e->name, e->short_name);
        if (use_lfn) {
            r = lfn_name(v, &l, e->name);
            if (r < 0)
                return r;
        }
        if (strcmp(e->name, ".") == 0 || strcmp(e->name, "..") == 0 || e->name[0] == '\0')
            continue;
        uint32_t first = fat_le16(d + FAT_DIR_FST_CLUS_LO);
        if (v->type == FAT_TYPE_32)
            first |= (uint32_t)fat_le16(d + FAT_DIR_FST_CLUS_HI) << 16;
        e->node = (struct fat_node){ .dir = (attr & FAT_ATTR_DIRECTORY) != 0, .first = first };
        if (first != 0 && !cluster_ok(v, first))
            return corrupt(v, "a directory entry points past the end of the volume");
        if (e->node.dir) {
            if (first == 0)
                return corrupt(v, "a subdirectory has no cluster");
        } else {
            e->node.size = fat_le32(d + FAT_DIR_FILE_SIZE);
            if (first == 0 && e->node.size != 0)
                return corrupt(v, "a non-empty file has no cluster");
            if (e->node.size > (uint64_t)v->clusters * v->cluster_bytes)
                return corrupt(v, "a file is larger than the volume");
        }
        *cursor = i + 1;
        return 1;
    }
}

static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool name_eq(const char *a, const char *b, size_t blen)
{
    size_t i = 0;
    for (; i < blen && a[i]; i++)
        if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
            return false;
    return i == blen && a[i] == '\0';
}

int fat_vol_lookup(struct fat_vol *v, const char *key, struct fat_node *out)
{
    struct fat_node n = fat_vol_root(v);
    struct fat_dirent e;
    const char *p = key;
    while (*p) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (!n.dir)
            return MIRA_EINVAL; /* a file used as a directory */
        uint64_t cur = 0;
        int r;
        for (;;) {
            r = fat_vol_dir_next(v, &n, &cur, &e);
            if (r <= 0)
                break;
            if (name_eq(e.name, p, len) || name_eq(e.short_name, p, len))
                break;
        }
        if (r < 0)
            return r;
        if (r == 0)
            return MIRA_ENOENT;
        n = e.node;
        p += len;
        if (*p == '/')
            p++;
    }
    *out = n;
    return 0;
}

long fat_vol_read(struct fat_vol *v, const struct fat_node *f, uint64_t offset,
                  void *buf, size_t len)
{
    if (f->dir)
        return MIRA_EINVAL;
    if (offset >= f->size)
        return 0;
    if (len > f->size - offset)
        len = (size_t)(f->size - offset);
    uint64_t cb = v->cluster_bytes;
    uint64_t last_index = (f->size - 1) / cb;
    uint32_t index = (uint32_t)(offset / cb), c;
    int r = walk(v, f->first, index, &c);
    if (r < 0)
        return r;
    uint8_t *out = buf;
    size_t done = 0;
    uint32_t last = c;
    while (done < len) {
        if (c == 0)
            return corrupt(v, "a file is larger than its cluster chain");
        /* Gather clusters that follow each other on disk into one read. */
        uint64_t in = (offset + done) % cb;
        uint64_t want = len - done;
        uint32_t run = 1, next = 0;
        for (;;) {
            if ((r = fat_vol_next_cluster(v, c + run - 1, &next)) < 0)
                return r;
            if (run * cb - in >= want || next != c + run)
                break;
            run++;
        }
        uint64_t n = run * cb - in;
        if (n > want)
            n = want;
        r = data_read(v, v->data_off + (uint64_t)(c - FAT_FIRST_CLUSTER) * cb + in,
                      out + done, (size_t)n);
        if (r < 0)
            return io(v, r);
        done += (size_t)n;
        index += run - 1;
        last = c + run - 1;
        if (index == last_index && next != 0)
            return corrupt(v, "a cluster chain is longer than its file's size (or loops)");
        if (done < len) {
            index++;
            if (index > last_index || index >= v->clusters)
                return corrupt(v, "a cluster chain is longer than the volume (it loops)");
        }
        c = next;
    }
    /* The next sequential read resumes from the last cluster read. */
    struct fat_hint *h = &v->hint[v->next_hint++ % FAT_HINTS];
    *h = (struct fat_hint){ f->first, index, last };
    return (long)len;
}
