/*
 * mira-crunch - turns a directory into C data for the crunch kv_ro driver.
 * Runs on the build machine (native), with zlib.
 *
 *   mira-crunch [--device NAME] [--depfile FILE] [--blob FILE] DIR OUT.c
 *
 * Writes OUT.c, which defines `const struct mira_crunch_data
 * mira_crunch_<NAME>` (NAME: kv0 by default): the files of DIR, each in
 * blocks of 128 KiB deflated where that saves space, and an index sorted for
 * binary search (layout: mira/crunch_format.h).  The text is meant to be
 * read: every file's path is in a comment above its bytes, and text files
 * stored as they are read as text.  The same DIR gives the same OUT.c byte
 * for byte (names sorted bytewise; no time in it unless SOURCE_DATE_EPOCH
 * is set, and then that time).  --depfile writes the files and directories
 * read, for the build to rerun on a change; --blob writes the image as one
 * binary file as well (u32 index length, index, data: the fuzz corpus's
 * format).  Only regular files and directories are taken: a symbolic link
 * or a special file is an error naming it.  Memory: the names, and one
 * block at a time.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <mira/crunch_format.h>
#include <mira/kv_ro.h>

struct node {
    char *name;  /* one component; "" for the root */
    char *path;  /* the key: components joined by '/' ("" for the root) */
    int dir;
    struct node **kids;
    size_t nkids;
    uint32_t id, first;            /* index entry; directory: first child */
    uint64_t size, offset, stored; /* file */
};

static const char *src_dir;
static FILE *depfile;

static _Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *out_tmp; /* removed on failure */

static _Noreturn void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mira-crunch: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (out_tmp)
        unlink(out_tmp);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        die("out of memory");
    return p;
}

static char *join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = xmalloc(la + lb + 2);
    memcpy(s, a, la);
    size_t n = la;
    if (la && lb)
        s[n++] = '/';
    memcpy(s + n, b, lb + 1);
    return s;
}

/* The host path of a node. */
static char *host_path(const struct node *n)
{
    return join(src_dir, n->path);
}

/* Make's escaping for a depfile path. */
static void dep_path(const char *p)
{
    for (; *p; p++) {
        if (*p == ' ' || *p == '#' || *p == '\\')
            fputc('\\', depfile);
        if (*p == '$')
            fputc('$', depfile);
        fputc(*p, depfile);
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(struct node *const *)a)->name, (*(struct node *const *)b)->name);
}

/* Reads directory n (recursively), its children sorted by name. */
static void scan(struct node *n)
{
    char *hp = host_path(n);
    if (depfile) {
        fputs(" \\\n ", depfile);
        dep_path(hp);
    }
    DIR *d = opendir(hp);
    if (d == NULL)
        die("%s: %s", hp, strerror(errno));
    size_t cap = 0;
    struct dirent *de;
    while ((errno = 0, de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        struct node *k = xmalloc(sizeof(*k));
        *k = (struct node){ .name = strdup(de->d_name) };
        k->path = join(n->path, k->name);
        if (k->name == NULL)
            die("out of memory");
        if (strlen(k->path) > MIRA_KV_KEY_MAX)
            die("%s/%s: the key is longer than %d bytes", src_dir, k->path, MIRA_KV_KEY_MAX);
        char *kp = host_path(k);
        struct stat st;
        if (lstat(kp, &st) != 0)
            die("%s: %s", kp, strerror(errno));
        if (S_ISDIR(st.st_mode))
            k->dir = 1;
        else if (!S_ISREG(st.st_mode))
            die("%s: %s (mira-crunch takes only regular files and directories)", kp,
                S_ISLNK(st.st_mode) ? "a symbolic link" : "a special file");
        free(kp);
        if (n->nkids == cap) {
            cap = cap ? 2 * cap : 16;
            struct node **kids = realloc(n->kids, cap * sizeof(*kids));
            if (kids == NULL)
                die("out of memory");
            n->kids = kids;
        }
        n->kids[n->nkids++] = k;
    }
    if (errno != 0)
        die("%s: %s", hp, strerror(errno));
    closedir(d);
    free(hp);
    if (n->nkids)
        qsort(n->kids, n->nkids, sizeof(*n->kids), by_name);
    for (size_t i = 0; i < n->nkids; i++)
        if (n->kids[i]->dir)
            scan(n->kids[i]);
}

/* --- C text --- */

static FILE *out;
static size_t col; /* characters on the current line of a literal */

/* How each byte is written inside a literal (filled once). */
static char esc[256][5];
static size_t esc_len[256];

static void esc_init(void)
{
    for (int c = 0; c < 256; c++) {
        if (c == '"' || c == '\\' || c == '?') /* '?': no trigraph */
            snprintf(esc[c], sizeof(esc[c]), "\\%c", c);
        else if (c >= 0x20 && c < 0x7f)
            snprintf(esc[c], sizeof(esc[c]), "%c", c);
        else
            snprintf(esc[c], sizeof(esc[c]), "\\%03o", c); /* 3 digits: never runs on */
        esc_len[c] = strlen(esc[c]);
    }
}

/* Writes bytes as the body of C string literals, a new literal after each
 * newline and every 96 columns, so text reads as text. */
static void lit_bytes(const uint8_t *p, size_t n)
{
    char line[128];
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        if (col == 0) {
            line[len++] = '"';
            col = 1;
        }
        uint8_t c = p[i];
        if (c == '\n') {
            memcpy(line + len, "\\n\"\n", 4);
            len += 4;
            col = 0;
        } else {
            memcpy(line + len, esc[c], esc_len[c]);
            len += esc_len[c];
            col += esc_len[c];
            if (col >= 96) {
                memcpy(line + len, "\"\n", 2);
                len += 2;
                col = 0;
            }
        }
        if (col == 0) {
            fwrite(line, 1, len, out);
            len = 0;
        }
    }
    fwrite(line, 1, len, out);
}

static void lit_end(void)
{
    if (col) {
        fputs("\"\n", out);
        col = 0;
    }
}

/* A name or path inside a comment: printable, and no end of comment. */
static void comment_text(const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '*' && s[1] == '/')
            fputs("*\\", out);
        else if (c >= 0x20 && c < 0x7f)
            fputc(c, out);
        else
            fprintf(out, "\\%03o", c);
    }
    fputc('"', out);
}

/* --- the data: each file's blocks, then its block table --- */

static uint64_t data_len, total_raw;
static z_stream zs;
static FILE *blob_data; /* --blob: the data, gathered apart */

static void emit(const uint8_t *p, size_t n)
{
    lit_bytes(p, n);
    data_len += n;
    if (blob_data && fwrite(p, 1, n, blob_data) != n)
        die("cannot write the blob: %s", strerror(errno));
}

static void crunch_file(struct node *f)
{
    char *hp = host_path(f);
    if (depfile) {
        fputs(" \\\n ", depfile);
        dep_path(hp);
    }
    FILE *in = fopen(hp, "rb");
    if (in == NULL)
        die("%s: %s", hp, strerror(errno));
    static uint8_t raw[MIRA_CRUNCH_BLOCK_SIZE];
    static uint8_t packed[MIRA_CRUNCH_BLOCK_SIZE + 1024];
    uint32_t *table = NULL;
    size_t nblocks = 0, cap = 0, deflated = 0;
    f->offset = data_len;
    f->size = 0;
    fputs("/* ", out);
    comment_text(f->path);
    fputs(" */\n", out);
    for (;;) {
        size_t n = fread(raw, 1, sizeof(raw), in);
        if (n == 0)
            break;
        if (nblocks == cap) {
            cap = cap ? 2 * cap : 4;
            table = realloc(table, cap * sizeof(*table));
            if (table == NULL)
                die("out of memory");
        }
        /* Deflated only if that is shorter. */
        if (deflateReset(&zs) != Z_OK)
            die("zlib: deflateReset failed");
        zs.next_in = raw;
        zs.avail_in = (uInt)n;
        zs.next_out = packed;
        zs.avail_out = sizeof(packed);
        int zr = deflate(&zs, Z_FINISH);
        size_t plen = sizeof(packed) - zs.avail_out;
        if (zr == Z_STREAM_END && plen < n) {
            emit(packed, plen);
            table[nblocks++] = (uint32_t)plen | MIRA_CRUNCH_DEFLATED;
            deflated++;
        } else {
            emit(raw, n);
            table[nblocks++] = (uint32_t)n;
        }
        f->size += n;
        if (n < sizeof(raw))
            break;
    }
    if (ferror(in))
        die("%s: %s", hp, strerror(errno));
    fclose(in);
    for (size_t k = 0; k < nblocks; k++) {
        uint8_t w[4] = { (uint8_t)table[k], (uint8_t)(table[k] >> 8),
                         (uint8_t)(table[k] >> 16), (uint8_t)(table[k] >> 24) };
        lit_end();
        if (k == 0)
            fputs("/* its block table */\n", out);
        emit(w, 4);
    }
    lit_end();
    f->stored = data_len - f->offset;
    fprintf(out, "/* (%llu bytes, %zu block%s, %zu deflated: %llu bytes in the image) */\n",
            (unsigned long long)f->size, nblocks, nblocks == 1 ? "" : "s", deflated,
            (unsigned long long)f->stored);
    total_raw += f->size;
    free(table);
    free(hp);
}

int main(int argc, char **argv)
{
    const char *device = "kv0", *dep = NULL, *blob = NULL, *out_path = NULL;
    int i = 1;
    for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (strcmp(argv[i], "--device") == 0)
            device = argv[i + 1];
        else if (strcmp(argv[i], "--depfile") == 0)
            dep = argv[i + 1];
        else if (strcmp(argv[i], "--blob") == 0)
            blob = argv[i + 1];
        else
            break;
    }
    if (argc - i != 2) {
        fprintf(stderr, "usage: mira-crunch [--device NAME] [--depfile FILE] [--blob FILE] DIR OUT.c\n");
        return 2;
    }
    src_dir = argv[i];
    out_path = argv[i + 1];
    for (const char *p = device; *p; p++)
        if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (p != device && *p >= '0' && *p <= '9')))
            die("device name '%s' is not a C identifier", device);

    if (dep) {
        depfile = fopen(dep, "w");
        if (depfile == NULL)
            die("%s: %s", dep, strerror(errno));
        fputs(out_path, depfile);
        fputc(':', depfile);
    }
    struct node root = { .name = "", .path = "", .dir = 1 };
    struct stat st;
    if (stat(src_dir, &st) != 0 || !S_ISDIR(st.st_mode))
        die("%s: %s", src_dir, errno ? strerror(errno) : "not a directory");
    scan(&root);

    /* Breadth-first order: a directory's children are consecutive. */
    size_t count = 1, files = 0;
    struct node **order = NULL;
    size_t cap = 0;
    order = xmalloc(sizeof(*order) * (cap = 64));
    order[0] = &root;
    for (size_t k = 0; k < count; k++) {
        struct node *n = order[k];
        n->id = (uint32_t)k;
        if (!n->dir) {
            files++;
            continue;
        }
        n->first = (uint32_t)count;
        for (size_t c = 0; c < n->nkids; c++) {
            if (count == cap) {
                order = realloc(order, sizeof(*order) * (cap *= 2));
                if (order == NULL)
                    die("out of memory");
            }
            order[count++] = n->kids[c];
        }
    }
    if (count > (UINT32_MAX - MIRA_CRUNCH_HEADER_SIZE) / MIRA_CRUNCH_ENTRY_SIZE)
        die("%s: too many entries", src_dir);

    size_t tmp_len = strlen(out_path) + 5;
    out_tmp = xmalloc(tmp_len);
    snprintf(out_tmp, tmp_len, "%s.tmp", out_path);
    out = fopen(out_tmp, "w");
    if (out == NULL)
        die("%s: %s", out_tmp, strerror(errno));
    if (blob && (blob_data = tmpfile()) == NULL)
        die("cannot make a temporary file: %s", strerror(errno));
    esc_init();
    if (deflateInit2(&zs, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        die("zlib: deflateInit2 failed");

    const char *base = strrchr(src_dir, '/');
    char *dir_label = strdup(base && base[1] ? base + 1 : src_dir);
    if (dir_label == NULL)
        die("out of memory");
    fprintf(out, "/* Generated by mira-crunch from the directory ");
    comment_text(dir_label);
    fprintf(out, " for the device %s.  Do not edit:\n"
                 " * change the directory and rebuild.\n", device);
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde) {
        char *end;
        long long t = strtoll(sde, &end, 10);
        if (*end != '\0' || t < 0)
            die("SOURCE_DATE_EPOCH='%s' is not a number of seconds", sde);
        time_t tt = (time_t)t;
        struct tm tm;
        char when[64];
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime_r(&tt, &tm));
        fprintf(out, " * Built %s (SOURCE_DATE_EPOCH).\n", when);
    }
    fprintf(out, " *\n"
                 " * Each file is in blocks of %u KiB, stored as they are or deflated\n"
                 " * (RFC 1951) where that is shorter, followed by a table of the blocks'\n"
                 " * lengths; the index at the end finds them (mira/crunch_format.h). */\n"
                 "#include <mira/crunch.h>\n\n"
                 "/* The files' bytes (a string literal: the compiler adds one NUL, which\n"
                 " * data_len below leaves out). */\n"
                 "static const unsigned char data[] =\n", MIRA_CRUNCH_BLOCK_SIZE / 1024);
    for (size_t k = 0; k < count; k++)
        if (!order[k]->dir)
            crunch_file(order[k]);
    lit_end();
    fprintf(out, "\"\";\n\n");
    deflateEnd(&zs);

    /* The index. */
    uint64_t names_len = 0;
    for (size_t k = 1; k < count; k++)
        names_len += strlen(order[k]->name);
    uint64_t names_off = MIRA_CRUNCH_HEADER_SIZE + (uint64_t)count * MIRA_CRUNCH_ENTRY_SIZE;
    if (names_off + names_len > UINT32_MAX)
        die("%s: the names do not fit the index", src_dir);
    uint8_t *index = xmalloc((size_t)(names_off + names_len));
    uint8_t *h = index;
    memcpy(h, MIRA_CRUNCH_MAGIC, 8);
    uint32_t hv[6] = { MIRA_CRUNCH_VERSION, (uint32_t)count, (uint32_t)names_off,
                       (uint32_t)names_len, MIRA_CRUNCH_BLOCK_SIZE, 0 };
    for (int k = 0; k < 6; k++)
        for (int b = 0; b < 4; b++)
            h[8 + 4 * k + b] = (uint8_t)(hv[k] >> (8 * b));
    uint64_t name_off = 0;
    for (size_t k = 0; k < count; k++) {
        const struct node *n = order[k];
        uint8_t *e = index + MIRA_CRUNCH_HEADER_SIZE + k * MIRA_CRUNCH_ENTRY_SIZE;
        memset(e, 0, MIRA_CRUNCH_ENTRY_SIZE);
        size_t nl = strlen(n->name);
        for (int b = 0; b < 4; b++)
            e[MIRA_CRUNCH_E_NAME_OFF + b] = (uint8_t)(name_off >> (8 * b));
        e[MIRA_CRUNCH_E_NAME_LEN] = (uint8_t)nl;
        e[MIRA_CRUNCH_E_NAME_LEN + 1] = (uint8_t)(nl >> 8);
        e[MIRA_CRUNCH_E_TYPE] = n->dir ? MIRA_CRUNCH_DIRECTORY : MIRA_CRUNCH_FILE;
        uint64_t a = n->dir ? (uint64_t)n->first | (uint64_t)n->nkids << 32 : n->offset;
        uint64_t f[3] = { a, n->dir ? 0 : n->size, n->dir ? 0 : n->stored };
        for (int w = 0; w < 3; w++)
            for (int b = 0; b < 8; b++)
                e[8 + 8 * w + b] = (uint8_t)(f[w] >> (8 * b));
        memcpy(index + names_off + name_off, n->name, nl);
        name_off += nl;
    }
    fprintf(out, "/* The index: a header, one entry of %u bytes per file and directory\n"
                 " * (breadth-first: each directory's children together, sorted by\n"
                 " * name), then the names. */\n"
                 "static const unsigned char index_[] =\n"
                 "/* header: %zu entries, names at %llu, %llu bytes of names */\n",
            MIRA_CRUNCH_ENTRY_SIZE, count, (unsigned long long)names_off,
            (unsigned long long)names_len);
    lit_bytes(index, MIRA_CRUNCH_HEADER_SIZE);
    lit_end();
    for (size_t k = 0; k < count; k++) {
        const struct node *n = order[k];
        fprintf(out, "/* %zu: ", k);
        if (k == 0)
            fputs("the root", out);
        else
            comment_text(n->path);
        if (n->dir)
            fprintf(out, ", directory of %zu, entries %u.. */\n", n->nkids, n->first);
        else
            fprintf(out, ", file of %llu bytes at %llu */\n", (unsigned long long)n->size,
                    (unsigned long long)n->offset);
        lit_bytes(index + MIRA_CRUNCH_HEADER_SIZE + k * MIRA_CRUNCH_ENTRY_SIZE,
                  MIRA_CRUNCH_ENTRY_SIZE);
        lit_end();
    }
    fputs("/* names */\n", out);
    lit_bytes(index + names_off, (size_t)names_len);
    lit_end();
    fprintf(out, "\"\";\n\n"
                 "/* %zu file%s and %zu director%s: %llu bytes, %llu in the image. */\n"
                 "const struct mira_crunch_data mira_crunch_%s = {\n"
                 "    .index = index_,\n"
                 "    .index_len = sizeof(index_) - 1,\n"
                 "    .data = data,\n"
                 "    .data_len = sizeof(data) - 1,\n"
                 "};\n",
            files, files == 1 ? "" : "s", count - files, count - files == 1 ? "y" : "ies",
            (unsigned long long)total_raw,
            (unsigned long long)(data_len + names_off + names_len), device);
    if (fflush(out) != 0 || ferror(out) || fclose(out) != 0)
        die("%s: %s", out_tmp, strerror(errno));
    if (rename(out_tmp, out_path) != 0)
        die("%s: %s", out_path, strerror(errno));
    free(out_tmp);
    out_tmp = NULL;

    if (blob) {
        FILE *b = fopen(blob, "wb");
        if (b == NULL)
            die("%s: %s", blob, strerror(errno));
        uint64_t il = names_off + names_len;
        uint8_t w[4] = { (uint8_t)il, (uint8_t)(il >> 8), (uint8_t)(il >> 16), (uint8_t)(il >> 24) };
        rewind(blob_data);
        fwrite(w, 1, 4, b);
        fwrite(index, 1, (size_t)il, b);
        char buf[65536];
        size_t n;
        while ((n = fread(buf, 1, sizeof(buf), blob_data)) > 0)
            fwrite(buf, 1, n, b);
        if (fclose(b) != 0)
            die("%s: %s", blob, strerror(errno));
    }
    if (depfile) {
        fputc('\n', depfile);
        if (fclose(depfile) != 0)
            die("%s: %s", dep, strerror(errno));
    }
    /* The tree: order lists every node; all but the root (on the stack,
     * with literal names) were allocated by scan. */
    for (size_t k = 0; k < count; k++) {
        free(order[k]->kids);
        if (k > 0) {
            free(order[k]->name);
            free(order[k]->path);
            free(order[k]);
        }
    }
    free(index);
    free(order);
    free(dir_label);
    return 0;
}
