/* fat_make.c - `mira-fat make DIR IMAGE [--fat=12|16|32]
 * [--table=none|mbr|gpt] [--size=BYTES]`: formats a FAT volume the way
 * mkfs.fat would and writes DIR's tree into it (long names, 8.3 aliases
 * with ~N tails), each file and directory in consecutive clusters; with a
 * partition table written by libfdisk around it.  On any error the image
 * is removed and one line says why. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libfdisk/libfdisk.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../src/fat_wire.h"
#include "../src/le.h"
#include "fat_make.h"

#define SECTOR 512u
#define TABLE_START 2048u   /* the partition's first sector: 1 MiB */
#define GPT_TAIL 2048u      /* sectors kept after it for the backup GPT */

struct node {
    char *name;       /* UTF-8, as in DIR */
    char *path;       /* on the host */
    bool dir;
    uint64_t size;
    time_t mtime;
    struct node **kid;
    size_t nkid;
    uint16_t u16[FAT_LFN_MAX_UNITS];
    int n16;
    uint8_t short_name[11];
    uint8_t ntres;
    bool lfn;
    uint32_t first, nclus; /* clusters */
    uint32_t slots;        /* a directory's entries */
};

static char errbuf[1024];

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
    va_end(ap);
    return -1;
}

static void free_tree(struct node *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < n->nkid; i++)
        free_tree(n->kid[i]);
    free(n->kid);
    free(n->name);
    free(n->path);
    free(n);
}

/* UTF-8 name -> UTF-16 units; refuses what a FAT long name cannot hold. */
static int name_units(struct node *n)
{
    const uint8_t *p = (const uint8_t *)n->name;
    size_t len = strlen(n->name);
    if (len == 0)
        return fail("%s: an empty name", n->path);
    if (n->name[len - 1] == '.' || n->name[len - 1] == ' ')
        return fail("%s: a FAT name cannot end with a dot or a space", n->path);
    n->n16 = 0;
    while (*p) {
        uint32_t cp;
        int extra;
        if (*p < 0x80) {
            cp = *p;
            extra = 0;
        } else if ((*p & 0xE0) == 0xC0) {
            cp = *p & 0x1F;
            extra = 1;
        } else if ((*p & 0xF0) == 0xE0) {
            cp = *p & 0x0F;
            extra = 2;
        } else if ((*p & 0xF8) == 0xF0) {
            cp = *p & 0x07;
            extra = 3;
        } else {
            return fail("%s: the name is not UTF-8", n->path);
        }
        p++;
        for (int i = 0; i < extra; i++, p++) {
            if ((*p & 0xC0) != 0x80)
                return fail("%s: the name is not UTF-8", n->path);
            cp = (cp << 6) | (*p & 0x3F);
        }
        if (cp < 0x20 || (cp < 0x80 && strchr("\"*/:<>?\\|", (int)cp) != NULL))
            return fail("%s: a FAT name cannot contain '%c'", n->path,
                        cp < 0x20 ? '?' : (char)cp);
        if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return fail("%s: the name is not UTF-8", n->path);
        int need = cp >= 0x10000 ? 2 : 1;
        if (n->n16 + need > FAT_LFN_MAX_UNITS)
            return fail("%s: a FAT name holds at most 255 UTF-16 units", n->path);
        if (cp >= 0x10000) {
            cp -= 0x10000;
            n->u16[n->n16++] = (uint16_t)(0xD800 + (cp >> 10));
            n->u16[n->n16++] = (uint16_t)(0xDC00 + (cp & 0x3FF));
        } else {
            n->u16[n->n16++] = (uint16_t)cp;
        }
    }
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(struct node *const *)a)->name, (*(struct node *const *)b)->name);
}

static struct node *scan(const char *path, const char *name, int depth)
{
    struct stat st;
    if (depth > 64) {
        fail("%s: directories nested deeper than 64", path);
        return NULL;
    }
    if (stat(path, &st) != 0) {
        fail("%s: %s", path, strerror(errno));
        return NULL;
    }
    struct node *n = calloc(1, sizeof(*n));
    if (n == NULL || (n->name = strdup(name)) == NULL || (n->path = strdup(path)) == NULL) {
        free_tree(n);
        fail("out of memory");
        return NULL;
    }
    n->mtime = st.st_mtime;
    if (S_ISREG(st.st_mode)) {
        if ((uint64_t)st.st_size > 0xFFFFFFFFu) {
            fail("%s: larger than 4 GiB - 1, FAT's largest file", path);
            free_tree(n);
            return NULL;
        }
        n->size = (uint64_t)st.st_size;
        return n;
    }
    if (!S_ISDIR(st.st_mode)) {
        fail("%s: neither a file nor a directory", path);
        free_tree(n);
        return NULL;
    }
    n->dir = true;
    DIR *d = opendir(path);
    if (d == NULL) {
        fail("%s: %s", path, strerror(errno));
        free_tree(n);
        return NULL;
    }
    struct dirent *e;
    size_t cap = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (n->nkid == cap) {
            cap = cap ? cap * 2 : 16;
            struct node **k = realloc(n->kid, cap * sizeof(*k));
            if (k == NULL) {
                fail("out of memory");
                goto bad;
            }
            n->kid = k;
        }
        char sub[4096];
        if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) >= sizeof(sub)) {
            fail("%s/%s: path too long", path, e->d_name);
            goto bad;
        }
        struct node *k = scan(sub, e->d_name, depth + 1);
        if (k == NULL)
            goto bad;
        n->kid[n->nkid++] = k;
        if (name_units(k) < 0)
            goto bad;
    }
    closedir(d);
    qsort(n->kid, n->nkid, sizeof(*n->kid), by_name);
    return n;
bad:
    closedir(d);
    free_tree(n);
    return NULL;
}

/* --- 8.3 names --- */

static bool short_char_ok(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c >= 0x21 && c < 0x80 && strchr("$%'-_@~`!(){}^#&", c) != NULL);
}

/* The name as an exact 8.3 name (letters in one case per part, kept with
 * the NT case bits), or false when it needs a long name. */
static bool exact_short(struct node *n)
{
    const char *s = n->name, *dot = strrchr(s, '.');
    size_t blen = dot ? (size_t)(dot - s) : strlen(s), elen = dot ? strlen(dot + 1) : 0;
    if (blen == 0 || blen > 8 || elen > 3 || (dot && elen == 0))
        return false;
    memset(n->short_name, ' ', 11);
    n->ntres = 0;
    for (int part = 0; part < 2; part++) {
        const char *p = part ? dot + 1 : s;
        size_t len = part ? elen : blen;
        int lower = 0, upper = 0;
        for (size_t i = 0; i < len; i++) {
            int c = (unsigned char)p[i];
            if (c >= 'a' && c <= 'z') {
                lower = 1;
                c -= 'a' - 'A';
            } else if (c >= 'A' && c <= 'Z') {
                upper = 1;
            }
            if (!short_char_ok(c))
                return false;
            n->short_name[(part ? 8 : 0) + i] = (uint8_t)c;
        }
        if (lower && upper)
            return false;
        if (lower)
            n->ntres |= part ? FAT_NTRES_LOWER_EXT : FAT_NTRES_LOWER_BASE;
    }
    return true;
}

static bool short_taken(struct node *dir, size_t upto, const uint8_t *sn)
{
    for (size_t i = 0; i < upto; i++)
        if (memcmp(dir->kid[i]->short_name, sn, 11) == 0)
            return true;
    return false;
}

static int short_names(struct node *dir)
{
    /* Two names FAT would take for one (it ignores case). */
    for (size_t i = 0; i < dir->nkid; i++)
        for (size_t j = i + 1; j < dir->nkid; j++)
            if (strcasecmp(dir->kid[i]->name, dir->kid[j]->name) == 0)
                return fail("%s and %s differ only in case; FAT cannot hold both",
                            dir->kid[i]->path, dir->kid[j]->name);
    /* Exact 8.3 names first, so that generated ones avoid them. */
    for (size_t i = 0; i < dir->nkid; i++) {
        struct node *k = dir->kid[i];
        k->lfn = !exact_short(k);
        if (k->lfn)
            memset(k->short_name, 0, 11);
    }
    for (size_t i = 0; i < dir->nkid; i++) {
        struct node *k = dir->kid[i];
        if (!k->lfn)
            continue;
        char base[9] = "", ext[4] = "";
        const char *s = k->name, *dot = strrchr(s, '.');
        if (dot == s)
            dot = NULL;
        size_t nb = 0, ne = 0;
        for (const char *p = s; *p && p != dot; p++) {
            int c = (unsigned char)*p;
            if (c == '.' || c == ' ')
                continue;
            if (c >= 'a' && c <= 'z')
                c -= 'a' - 'A';
            if (!short_char_ok(c))
                c = '_';
            if ((unsigned char)*p >= 0x80 && ((unsigned char)*p & 0xC0) == 0x80)
                continue; /* one '_' per non-ASCII character */
            if (nb < 8)
                base[nb++] = (char)c;
        }
        for (const char *p = dot ? dot + 1 : ""; *p; p++) {
            int c = (unsigned char)*p;
            if (c == ' ')
                continue;
            if (c >= 'a' && c <= 'z')
                c -= 'a' - 'A';
            if ((unsigned char)*p >= 0x80 && ((unsigned char)*p & 0xC0) == 0x80)
                continue;
            if (!short_char_ok(c))
                c = '_';
            if (ne < 3)
                ext[ne++] = (char)c;
        }
        base[nb] = ext[ne] = '\0';
        if (nb == 0)
            base[nb++] = '_', base[nb] = '\0';
        uint8_t sn[11];
        for (unsigned tail = 1;; tail++) {
            if (tail > 999999)
                return fail("%s: no free 8.3 alias", k->path);
            char t[8];
            int tl = snprintf(t, sizeof(t), "~%u", tail);
            size_t keep = nb + (size_t)tl > 8 ? 8 - (size_t)tl : nb;
            memset(sn, ' ', 11);
            memcpy(sn, base, keep);
            memcpy(sn + keep, t, (size_t)tl);
            memcpy(sn + 8, ext, ne);
            if (!short_taken(dir, dir->nkid, sn))
                break;
        }
        if (sn[0] == 0xE5)
            sn[0] = FAT_NAME_KANJI_E5;
        memcpy(k->short_name, sn, 11);
    }
    for (size_t i = 0; i < dir->nkid; i++)
        if (dir->kid[i]->dir && short_names(dir->kid[i]) < 0)
            return -1;
    return 0;
}

/* Directory slots: ".", ".." (not the root), then per entry its long-name
 * parts and its 8.3 entry. */
static void count_slots(struct node *dir, bool root)
{
    dir->slots = root ? 0 : 2;
    for (size_t i = 0; i < dir->nkid; i++) {
        struct node *k = dir->kid[i];
        dir->slots += 1 + (k->lfn ? (uint32_t)(k->n16 + FAT_LDIR_UNITS - 1) / FAT_LDIR_UNITS : 0);
        if (k->dir)
            count_slots(k, false);
    }
}

/* Clusters the tree needs with clusters of cb bytes (the root counted only
 * on FAT32, where it lives in clusters). */
static uint64_t tree_clusters(const struct node *n, uint64_t cb, bool root_in_clusters)
{
    uint64_t c;
    if (n->dir) {
        c = root_in_clusters ? ((uint64_t)n->slots * FAT_DIRENT_SIZE + cb - 1) / cb : 0;
        if (c == 0 && root_in_clusters)
            c = 1;
        for (size_t i = 0; i < n->nkid; i++)
            c += tree_clusters(n->kid[i], cb, true);
    } else {
        c = (n->size + cb - 1) / cb;
    }
    return c;
}

struct geom {
    int type;
    uint32_t total, rsvd, fatsz, root_ents, root_secs, spc, clusters;
};

/* FAT layout of a volume of total sectors for type: the smallest cluster
 * that keeps the count under the type's maximum.  Returns 0 or -1 (no
 * cluster size fits: the volume is too small or too large for the type). */
static int geometry(int type, uint64_t total, uint32_t root_slots, struct geom *g)
{
    if (total > 0xFFFFFFFFu)
        return -1;
    g->type = type;
    g->total = (uint32_t)total;
    g->rsvd = type == 32 ? 32 : 1;
    g->root_ents = 0;
    if (type != 32) {
        g->root_ents = root_slots < 512 ? 512 : (root_slots + 15) / 16 * 16;
        if (g->root_ents > 65520)
            return -1;
    }
    g->root_secs = g->root_ents * FAT_DIRENT_SIZE / SECTOR;
    uint64_t min = type == 12 ? 1 : type == 16 ? FAT12_MAX_CLUSTERS + 1 : FAT16_MAX_CLUSTERS + 1;
    uint64_t max = type == 12 ? FAT12_MAX_CLUSTERS : type == 16 ? FAT16_MAX_CLUSTERS
                                                                : FAT32_MAX_CLUSTERS - 16;
    for (uint32_t spc = 1; spc <= 64; spc *= 2) {
        uint64_t fatsz = 1, clusters = 0;
        for (int i = 0; i < 64; i++) {
            uint64_t meta = g->rsvd + 2 * fatsz + g->root_secs;
            if (meta >= total)
                return -1;
            clusters = (total - meta) / spc;
            uint64_t bytes = type == 12 ? ((clusters + 2) * 3 + 1) / 2 : (clusters + 2) * (uint64_t)type / 8;
            uint64_t need = (bytes + SECTOR - 1) / SECTOR;
            if (need <= fatsz)
                break;
            fatsz = need;
        }
        if (clusters < min)
            return -1; /* bigger clusters only make fewer */
        if (clusters <= max) {
            g->spc = spc;
            g->fatsz = (uint32_t)fatsz;
            g->clusters = (uint32_t)clusters;
            return 0;
        }
    }
    return -1;
}

/* --- writing --- */

struct out {
    int fd;
    uint64_t base;   /* the volume's byte offset in the image */
    struct geom g;
    uint32_t *fat;   /* cluster -> next (EOC: 0x0FFFFFFF) */
    uint32_t next;   /* next free cluster */
    uint64_t data_off;
    uint8_t *buf;
};

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return fail("writing the image: %s", n < 0 ? strerror(errno) : "short write");
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

static uint32_t alloc_run(struct out *o, uint32_t n)
{
    if (n == 0)
        return 0;
    uint32_t first = o->next;
    for (uint32_t i = 0; i < n; i++)
        o->fat[first + i] = i + 1 < n ? first + i + 1 : 0x0FFFFFFF;
    o->next += n;
    return first;
}

static void assign(struct out *o, struct node *n, bool root)
{
    uint64_t cb = (uint64_t)o->g.spc * SECTOR;
    if (n->dir) {
        if (!root || o->g.type == 32) {
            n->nclus = (uint32_t)(((uint64_t)n->slots * FAT_DIRENT_SIZE + cb - 1) / cb);
            if (n->nclus == 0)
                n->nclus = 1;
            n->first = alloc_run(o, n->nclus);
        }
        for (size_t i = 0; i < n->nkid; i++)
            assign(o, n->kid[i], false);
    } else {
        n->nclus = (uint32_t)((n->size + cb - 1) / cb);
        n->first = alloc_run(o, n->nclus);
    }
}

static void dos_time(time_t t, uint16_t *date, uint16_t *tim)
{
    struct tm tm;
    if (localtime_r(&t, &tm) == NULL || tm.tm_year < 80 || tm.tm_year > 207) {
        *date = (0 << 9) | (1 << 5) | 1; /* 1980-01-01 */
        *tim = 0;
        return;
    }
    *date = (uint16_t)(((tm.tm_year - 80) << 9) | ((tm.tm_mon + 1) << 5) | tm.tm_mday);
    *tim = (uint16_t)((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec / 2));
}

static void put_entry(uint8_t *e, const uint8_t *name, uint8_t attr, uint8_t ntres,
                      uint32_t first, uint32_t size, time_t mtime, int type)
{
    uint16_t date, tim;
    dos_time(mtime, &date, &tim);
    memset(e, 0, FAT_DIRENT_SIZE);
    memcpy(e + FAT_DIR_NAME, name, 11);
    e[FAT_DIR_ATTR] = attr;
    e[FAT_DIR_NTRES] = ntres;
    fat_put16(e + FAT_DIR_CRT_TIME, tim);
    fat_put16(e + FAT_DIR_CRT_DATE, date);
    fat_put16(e + FAT_DIR_LST_ACC_DATE, date);
    fat_put16(e + FAT_DIR_WRT_TIME, tim);
    fat_put16(e + FAT_DIR_WRT_DATE, date);
    fat_put16(e + FAT_DIR_FST_CLUS_LO, (uint16_t)first);
    fat_put16(e + FAT_DIR_FST_CLUS_HI, type == 32 ? (uint16_t)(first >> 16) : 0);
    fat_put32(e + FAT_DIR_FILE_SIZE, size);
}

static uint8_t checksum(const uint8_t *sn)
{
    uint8_t sum = 0;
    for (int i = 0; i < 11; i++)
        sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + sn[i]);
    return sum;
}

static uint64_t cluster_off(const struct out *o, uint32_t c)
{
    return o->data_off + (uint64_t)(c - FAT_FIRST_CLUSTER) * o->g.spc * SECTOR;
}

static int write_file(struct out *o, const struct node *n)
{
    if (n->size == 0)
        return 0;
    int fd = open(n->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail("%s: %s", n->path, strerror(errno));
    uint64_t off = cluster_off(o, n->first), left = n->size;
    while (left > 0) {
        size_t want = left > (1u << 20) ? (1u << 20) : (size_t)left;
        ssize_t got = read(fd, o->buf, want);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            close(fd);
            return fail("%s: %s", n->path, got < 0 ? strerror(errno) : "shrank while being read");
        }
        if (pwrite_all(o->fd, o->buf, (size_t)got, off) < 0) {
            close(fd);
            return -1;
        }
        off += (uint64_t)got;
        left -= (uint64_t)got;
    }
    close(fd);
    return 0;
}

static int write_dir(struct out *o, const struct node *dir, const struct node *parent, bool root)
{
    uint64_t cb = (uint64_t)o->g.spc * SECTOR;
    size_t bytes = root && o->g.type != 32 ? (size_t)o->g.root_ents * FAT_DIRENT_SIZE
                                           : (size_t)(dir->nclus * cb);
    uint8_t *d = calloc(1, bytes);
    if (d == NULL)
        return fail("out of memory");
    uint8_t *e = d;
    if (!root) {
        static const uint8_t dot[11] = ".          ", dotdot[11] = "..         ";
        put_entry(e, dot, FAT_ATTR_DIRECTORY, 0, dir->first, 0, dir->mtime, o->g.type);
        e += FAT_DIRENT_SIZE;
        /* ".." of a directory in the root points at cluster 0, even on FAT32. */
        uint32_t up = parent == NULL || parent->first == 0 ? 0 : parent->first;
        put_entry(e, dotdot, FAT_ATTR_DIRECTORY, 0, up, 0, dir->mtime, o->g.type);
        e += FAT_DIRENT_SIZE;
    }
    for (size_t i = 0; i < dir->nkid; i++) {
        const struct node *k = dir->kid[i];
        if (k->lfn) {
            int parts = (k->n16 + FAT_LDIR_UNITS - 1) / FAT_LDIR_UNITS;
            uint8_t sum = checksum(k->short_name);
            for (int p = parts; p >= 1; p--) {
                memset(e, 0, FAT_DIRENT_SIZE);
                e[FAT_LDIR_ORD] = (uint8_t)(p | (p == parts ? FAT_LDIR_LAST : 0));
                e[FAT_LDIR_ATTR] = FAT_ATTR_LONG_NAME;
                e[FAT_LDIR_CHKSUM] = sum;
                for (int u = 0; u < FAT_LDIR_UNITS; u++) {
                    int at = (p - 1) * FAT_LDIR_UNITS + u;
                    uint16_t v = at < k->n16 ? k->u16[at] : at == k->n16 ? 0x0000 : 0xFFFF;
                    fat_put16(e + fat_ldir_unit_off[u], v);
                }
                e += FAT_DIRENT_SIZE;
            }
        }
        put_entry(e, k->short_name, k->dir ? FAT_ATTR_DIRECTORY : FAT_ATTR_ARCHIVE, k->ntres,
                  k->first, k->dir ? 0 : (uint32_t)k->size, k->mtime, o->g.type);
        e += FAT_DIRENT_SIZE;
    }
    uint64_t at = root && o->g.type != 32
                      ? o->base + (uint64_t)(o->g.rsvd + 2 * o->g.fatsz) * SECTOR
                      : cluster_off(o, dir->first);
    int r = pwrite_all(o->fd, d, bytes, at);
    free(d);
    if (r < 0)
        return r;
    /* In a subdirectory, ".." of the children names this one; the root is 0. */
    const struct node *self = root ? NULL : dir;
    for (size_t i = 0; i < dir->nkid; i++) {
        const struct node *k = dir->kid[i];
        r = k->dir ? write_dir(o, k, self, false) : write_file(o, k);
        if (r < 0)
            return r;
    }
    return 0;
}

static int write_volume(struct out *o, struct node *root, uint32_t hidden)
{
    const struct geom *g = &o->g;
    uint8_t bs[SECTOR];
    memset(bs, 0, sizeof(bs));
    bs[0] = 0xEB;
    bs[1] = g->type == 32 ? 0x58 : 0x3C;
    bs[2] = 0x90;
    memcpy(bs + FAT_BS_OEM, "MIRA-FAT", 8);
    fat_put16(bs + FAT_BPB_BYTES_PER_SEC, SECTOR);
    bs[FAT_BPB_SEC_PER_CLUS] = (uint8_t)g->spc;
    fat_put16(bs + FAT_BPB_RSVD_SECS, (uint16_t)g->rsvd);
    bs[FAT_BPB_NUM_FATS] = 2;
    fat_put16(bs + FAT_BPB_ROOT_ENTS, (uint16_t)g->root_ents);
    if (g->total < 65536 && g->type != 32)
        fat_put16(bs + FAT_BPB_TOT_SEC16, (uint16_t)g->total);
    else
        fat_put32(bs + FAT_BPB_TOT_SEC32, g->total);
    bs[FAT_BPB_MEDIA] = 0xF8;
    fat_put16(bs + FAT_BPB_SEC_PER_TRK, 32);
    fat_put16(bs + FAT_BPB_NUM_HEADS, 64);
    fat_put32(bs + FAT_BPB_HIDDEN_SECS, hidden);
    uint32_t serial = (uint32_t)time(NULL) ^ 0x4D495241u;
    int ext;
    if (g->type == 32) {
        fat_put32(bs + FAT32_BPB_FAT_SZ32, g->fatsz);
        fat_put32(bs + FAT32_BPB_ROOT_CLUS, root->first);
        fat_put16(bs + FAT32_BPB_FS_INFO, 1);
        fat_put16(bs + FAT32_BPB_BK_BOOT, 6);
        ext = FAT32_BS_DRV_NUM;
    } else {
        fat_put16(bs + FAT_BPB_FAT_SZ16, (uint16_t)g->fatsz);
        ext = FAT16_BS_DRV_NUM;
    }
    bs[ext] = 0x80;
    bs[ext + 2] = 0x29;
    fat_put32(bs + ext + 3, serial);
    memcpy(bs + ext + 7, "NO NAME    ", 11);
    memcpy(bs + ext + 18, g->type == 12 ? "FAT12   " : g->type == 16 ? "FAT16   " : "FAT32   ", 8);
    /* Boot code: halt forever, should anything ever jump here. */
    bs[ext + 26] = 0xF4;
    bs[ext + 27] = 0xEB;
    bs[ext + 28] = 0xFD;
    bs[FAT_BS_SIGNATURE] = 0x55;
    bs[FAT_BS_SIGNATURE + 1] = 0xAA;
    if (pwrite_all(o->fd, bs, SECTOR, o->base) < 0)
        return -1;
    if (g->type == 32) {
        uint8_t fsi[SECTOR];
        memset(fsi, 0, sizeof(fsi));
        fat_put32(fsi + FAT_FSI_LEAD_SIG, FAT_FSI_LEAD_VALUE);
        fat_put32(fsi + FAT_FSI_STRUC_SIG, FAT_FSI_STRUC_VALUE);
        fat_put32(fsi + FAT_FSI_FREE_COUNT, g->clusters - (o->next - FAT_FIRST_CLUSTER));
        fat_put32(fsi + FAT_FSI_NXT_FREE, o->next);
        fat_put32(fsi + FAT_FSI_TRAIL_SIG, FAT_FSI_TRAIL_VALUE);
        if (pwrite_all(o->fd, fsi, SECTOR, o->base + SECTOR) < 0 ||
            pwrite_all(o->fd, bs, SECTOR, o->base + 6 * SECTOR) < 0 ||
            pwrite_all(o->fd, fsi, SECTOR, o->base + 7 * SECTOR) < 0)
            return -1;
    }
    /* The FAT, twice. */
    size_t fbytes = (size_t)g->fatsz * SECTOR;
    uint8_t *f = calloc(1, fbytes);
    if (f == NULL)
        return fail("out of memory");
    o->fat[0] = 0x0FFFFF00u | 0xF8;
    o->fat[1] = 0x0FFFFFFF;
    for (uint32_t c = 0; c < o->next; c++) {
        uint32_t v = o->fat[c];
        if (g->type == 32) {
            fat_put32(f + 4 * (size_t)c, v & FAT32_ENTRY_MASK);
        } else if (g->type == 16) {
            fat_put16(f + 2 * (size_t)c, (uint16_t)(v & 0xFFFF));
        } else {
            size_t at = c + c / 2;
            v &= 0xFFF;
            if (c & 1) {
                f[at] = (uint8_t)((f[at] & 0x0F) | (v << 4));
                f[at + 1] = (uint8_t)(v >> 4);
            } else {
                f[at] = (uint8_t)v;
                f[at + 1] = (uint8_t)((f[at + 1] & 0xF0) | (v >> 8));
            }
        }
    }
    int r = 0;
    for (int i = 0; i < 2 && r == 0; i++)
        r = pwrite_all(o->fd, f, fbytes, o->base + (uint64_t)(g->rsvd + i * g->fatsz) * SECTOR);
    free(f);
    if (r < 0)
        return r;
    return write_dir(o, root, NULL, true);
}

/* The partition table, by libfdisk, on the image file (already sized). */
static int write_table(const char *image, const char *table, int type, uint64_t vol_sectors)
{
    struct fdisk_context *cxt = fdisk_new_context();
    struct fdisk_partition *pa = fdisk_new_partition();
    struct fdisk_parttype *pt = NULL;
    int r = -1;
    if (cxt == NULL || pa == NULL) {
        fail("out of memory");
        goto out;
    }
    if (fdisk_assign_device(cxt, image, 0) != 0) {
        fail("%s: libfdisk cannot open it", image);
        goto out;
    }
    bool gpt = strcmp(table, "gpt") == 0;
    if (fdisk_create_disklabel(cxt, gpt ? "gpt" : "dos") != 0) {
        fail("%s: libfdisk cannot create a %s label", image, table);
        goto close;
    }
    struct fdisk_label *lb = fdisk_get_label(cxt, NULL);
    if (gpt)
        pt = fdisk_label_get_parttype_from_string(lb, "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7");
    else
        pt = fdisk_label_get_parttype_from_code(lb, type == 12 ? 0x01 : type == 16 ? 0x0E : 0x0C);
    if (pt == NULL || fdisk_partition_set_type(pa, pt) != 0 ||
        fdisk_partition_set_start(pa, TABLE_START) != 0 ||
        fdisk_partition_set_size(pa, vol_sectors) != 0 ||
        fdisk_partition_size_explicit(pa, 1) != 0 ||
        fdisk_partition_set_partno(pa, 0) != 0 ||
        fdisk_add_partition(cxt, pa, NULL) != 0) {
        fail("%s: libfdisk refused the partition", image);
        goto close;
    }
    if (fdisk_write_disklabel(cxt) != 0) {
        fail("%s: libfdisk cannot write the table", image);
        goto close;
    }
    r = 0;
close:
    if (fdisk_deassign_device(cxt, 0) != 0 && r == 0)
        r = fail("%s: libfdisk cannot sync the table", image);
out:
    fdisk_unref_parttype(pt);
    fdisk_unref_partition(pa);
    fdisk_unref_context(cxt);
    return r;
}

static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    uint64_t mul = 1;
    if (*end == 'K' || *end == 'k')
        mul = 1024, end++;
    else if (*end == 'M' || *end == 'm')
        mul = 1024 * 1024, end++;
    else if (*end == 'G' || *end == 'g')
        mul = 1024 * 1024 * 1024, end++;
    if (errno || end == s || *end != '\0' || s[0] == '-' || v > UINT64_MAX / mul)
        return -1;
    *out = v * mul;
    return 0;
}

static int make(const char *dir, const char *image, int want_type, const char *table,
                uint64_t size)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return fail("%s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return fail("%s: not a directory", dir);
    struct node *root = scan(dir, "", 0);
    if (root == NULL)
        return -1;
    int r = -1;
    struct out o = { .fd = -1 };
    if (short_names(root) < 0)
        goto done;
    count_slots(root, true);

    uint64_t overhead = strcmp(table, "none") == 0 ? 0
                        : (uint64_t)(TABLE_START + (strcmp(table, "gpt") == 0 ? GPT_TAIL : 0));
    uint64_t vol;   /* sectors */
    struct geom g;
    if (size) {
        if (size % SECTOR != 0 || size / SECTOR <= overhead)
            { fail("--size=%llu is not a whole number of 512-byte sectors big enough for the table",
                   (unsigned long long)size); goto done; }
        vol = size / SECTOR - overhead;
    } else {
        /* Enough for DIR with 4 KiB clusters plus a quarter, at least 1 MiB. */
        vol = tree_clusters(root, 4096, true) * 8 + root->slots / 16 + 64;
        vol += vol / 4 + 2048;
    }
    for (int tries = 0;; tries++) {
        /* In a table the volume fills whole MiB, as partitioners align. */
        if (overhead && !size)
            vol = (vol + TABLE_START - 1) / TABLE_START * TABLE_START;
        int type = want_type;
        if (type == 0)
            type = vol * SECTOR >= (512ull << 20) ? 32 : vol * SECTOR <= (16ull << 20) ? 12 : 16;
        int gr = geometry(type, vol, root->slots, &g);
        uint64_t need = gr == 0 ? tree_clusters(root, (uint64_t)g.spc * SECTOR, type == 32) : 0;
        if (gr == 0 && need <= g.clusters)
            break;
        if (size) {
            if (gr < 0)
                fail("--size=%llu does not fit a FAT%d volume", (unsigned long long)size, type);
            else
                fail("%s needs %llu clusters of %u bytes; --size=%llu holds %u", dir,
                     (unsigned long long)need, g.spc * SECTOR, (unsigned long long)size,
                     g.clusters);
            goto done;
        }
        if (tries > 200 || vol > 0xFFFFFFFFull) {
            fail("%s does not fit a FAT%d volume", dir, type);
            goto done;
        }
        vol += vol / 8 + 2048;
    }

    uint64_t total = vol + overhead;
    o.fd = open(image, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (o.fd < 0) {
        fail("%s: %s", image, strerror(errno));
        goto done;
    }
    if (ftruncate(o.fd, (off_t)(total * SECTOR)) != 0) {
        fail("%s: %s", image, strerror(errno));
        goto fail_image;
    }
    if (overhead && write_table(image, table, g.type, vol) < 0)
        goto fail_image;
    o.g = g;
    o.base = overhead ? (uint64_t)TABLE_START * SECTOR : 0;
    o.data_off = o.base + ((uint64_t)g.rsvd + 2ull * g.fatsz + g.root_secs) * SECTOR;
    o.next = FAT_FIRST_CLUSTER;
    o.fat = calloc((size_t)g.clusters + 2, sizeof(*o.fat));
    o.buf = malloc(1u << 20);
    if (o.fat == NULL || o.buf == NULL) {
        fail("out of memory");
        goto fail_image;
    }
    assign(&o, root, true);
    if (write_volume(&o, root, overhead ? TABLE_START : 0) < 0)
        goto fail_image;
    if (close(o.fd) != 0) {
        o.fd = -1;
        fail("%s: %s", image, strerror(errno));
        goto fail_image;
    }
    o.fd = -1;
    r = 0;
    goto done;
fail_image:
    /* Never leave a half-written image behind. */
    unlink(image);
done:
    if (o.fd >= 0)
        close(o.fd);
    free(o.fat);
    free(o.buf);
    free_tree(root);
    return r;
}

int fat_make_main(int argc, char **argv)
{
    const char *pos[2];
    int npos = 0, type = 0;
    const char *table = "none";
    uint64_t size = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--fat=", 6) == 0) {
            type = atoi(a + 6);
            if (strcmp(a + 6, "12") && strcmp(a + 6, "16") && strcmp(a + 6, "32")) {
                fprintf(stderr, "mira-fat: --fat=%s is not 12, 16 or 32\n", a + 6);
                return 2;
            }
        } else if (strncmp(a, "--table=", 8) == 0) {
            table = a + 8;
            if (strcmp(table, "none") && strcmp(table, "mbr") && strcmp(table, "gpt")) {
                fprintf(stderr, "mira-fat: --table=%s is not none, mbr or gpt\n", table);
                return 2;
            }
        } else if (strncmp(a, "--size=", 7) == 0) {
            if (parse_size(a + 7, &size) < 0 || size == 0) {
                fprintf(stderr, "mira-fat: --size=%s is not a size in bytes\n", a + 7);
                return 2;
            }
        } else if (a[0] == '-' || npos == 2) {
            fprintf(stderr, "usage: mira-fat make DIR IMAGE [--fat=12|16|32] "
                            "[--table=none|mbr|gpt] [--size=BYTES]\n");
            return 2;
        } else {
            pos[npos++] = a;
        }
    }
    if (npos != 2) {
        fprintf(stderr, "usage: mira-fat make DIR IMAGE [--fat=12|16|32] "
                        "[--table=none|mbr|gpt] [--size=BYTES]\n");
        return 2;
    }
    if (make(pos[0], pos[1], type, table, size) < 0) {
        fprintf(stderr, "mira-fat: %s\n", errbuf);
        return 1;
    }
    return 0;
}
