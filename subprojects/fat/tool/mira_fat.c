/*
 * mira-fat - FAT images on the build machine, as mtools is for users, on
 * the fat driver's own parsers:
 *
 *   mira-fat make DIR IMAGE [--fat=12|16|32] [--table=none|mbr|gpt] [--size=BYTES]
 *   mira-fat ls [-R] IMAGE [PATH]     one path per line, directories end with /
 *   mira-fat cat IMAGE PATH           a file's bytes to stdout
 *   mira-fat get IMAGE [PATH] DEST    copies PATH (default: everything) out into DEST
 *
 * ls, cat and get take --partition=auto|none|N (default auto: the whole
 * image if it is a FAT volume, else its first FAT partition).  Exit status
 * 0 on success, 1 with one line on stderr on any error (a corrupt image
 * included), 2 for a bad command line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <mira/error.h>

#include "fat_make.h"
#include "image.h"

#define COPY_CHUNK (1u << 20)

static int usage(void)
{
    fprintf(stderr, "usage: mira-fat make DIR IMAGE [--fat=12|16|32] [--table=none|mbr|gpt] "
                    "[--size=BYTES]\n"
                    "       mira-fat ls [-R] IMAGE [PATH]\n"
                    "       mira-fat cat IMAGE PATH\n"
                    "       mira-fat get IMAGE [PATH] DEST\n"
                    "  (ls, cat, get: --partition=auto|none|N)\n");
    return 2;
}

/* Directories seen by a walk: each one at most once, so that a directory
 * entry pointing back at an ancestor (or two at one directory) ends the
 * walk with an error instead of looping. */
struct seen {
    uint8_t *bits;
    uint32_t n;
};

static bool seen_add(struct seen *s, uint32_t cluster)
{
    if (cluster >= s->n)
        return false;
    if (s->bits[cluster / 8] & (1u << (cluster % 8)))
        return false;
    s->bits[cluster / 8] |= (uint8_t)(1u << (cluster % 8));
    return true;
}

/* What a walk does with each entry: ls prints it, get copies it. */
struct walk {
    struct image *im;
    const char *image_path;
    bool recursive;
    const char *dest; /* get */
    struct seen seen;
    uint8_t *buf;
};

static int copy_file(struct walk *w, const struct fat_node *n, const char *to)
{
    int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "mira-fat: %s: %s\n", to, strerror(errno));
        return 1;
    }
    for (uint64_t off = 0; off < n->size || off == 0;) {
        long got = fat_vol_read(&w->im->vol, n, off, w->buf, COPY_CHUNK);
        if (got < 0) {
            close(fd);
            return image_fail(w->im, w->image_path, (int)got);
        }
        if (got == 0)
            break;
        for (long done = 0; done < got;) {
            ssize_t k = write(fd, w->buf + done, (size_t)(got - done));
            if (k < 0 && errno == EINTR)
                continue;
            if (k < 0) {
                fprintf(stderr, "mira-fat: %s: %s\n", to, strerror(errno));
                close(fd);
                return 1;
            }
            done += k;
        }
        off += (uint64_t)got;
    }
    if (close(fd) != 0) {
        fprintf(stderr, "mira-fat: %s: %s\n", to, strerror(errno));
        return 1;
    }
    return 0;
}

/* Lists or copies directory dir, whose key is prefix ("" or "a/b/"). */
static int walk_dir(struct walk *w, const struct fat_node *dir, char *prefix, size_t plen)
{
    struct fat_dirent *e = malloc(sizeof(*e));
    if (e == NULL) {
        fprintf(stderr, "mira-fat: out of memory\n");
        return 1;
    }
    uint64_t cur = 0;
    int r, status = 0;
    while (status == 0 && (r = fat_vol_dir_next(&w->im->vol, dir, &cur, e)) == 1) {
        size_t nlen = strlen(e->name);
        if (plen + nlen + 2 > MIRA_KV_KEY_MAX) {
            fprintf(stderr, "mira-fat: %s: a path longer than %d bytes\n", w->image_path,
                    MIRA_KV_KEY_MAX);
            status = 1;
            break;
        }
        memcpy(prefix + plen, e->name, nlen);
        prefix[plen + nlen] = '\0';
        if (w->dest == NULL) {
            printf("%s%s\n", prefix, e->node.dir ? "/" : "");
        } else {
            char to[8192];
            snprintf(to, sizeof(to), "%s/%s", w->dest, prefix);
            if (e->node.dir) {
                if (mkdir(to, 0755) != 0 && errno != EEXIST) {
                    fprintf(stderr, "mira-fat: %s: %s\n", to, strerror(errno));
                    status = 1;
                }
            } else {
                status = copy_file(w, &e->node, to);
            }
        }
        if (status == 0 && e->node.dir && w->recursive) {
            if (!seen_add(&w->seen, e->node.first)) {
                fprintf(stderr, "mira-fat: %s: corrupt image: a directory appears twice "
                        "in the tree (a directory loop)\n", w->image_path);
                status = 1;
                break;
            }
            prefix[plen + nlen] = '/';
            prefix[plen + nlen + 1] = '\0';
            struct fat_node sub = e->node;
            status = walk_dir(w, &sub, prefix, plen + nlen + 1);
        }
        prefix[plen] = '\0';
    }
    free(e);
    if (status == 0 && r < 0)
        status = image_fail(w->im, w->image_path, r);
    return status;
}

static int parse_partition(const char *v, int *out)
{
    if (strcmp(v, "auto") == 0)
        return *out = FAT_PART_AUTO, 0;
    if (strcmp(v, "none") == 0)
        return *out = FAT_PART_WHOLE, 0;
    char *end;
    long n = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || n < 0 || n > 128)
        return -1;
    *out = (int)n;
    return 0;
}

/* ls, cat, get: a walk or a read of the mounted image. */
static int run_read(const char *cmd, int argc, char **argv)
{
    bool recursive = false;
    int partition = FAT_PART_AUTO;
    const char *pos[3];
    int npos = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-R") == 0 && strcmp(cmd, "ls") == 0)
            recursive = true;
        else if (strncmp(argv[i], "--partition=", 12) == 0) {
            if (parse_partition(argv[i] + 12, &partition) < 0) {
                fprintf(stderr, "mira-fat: --partition=%s is not auto, none or a number\n",
                        argv[i] + 12);
                return 2;
            }
        } else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return usage();
        else if (npos < 3)
            pos[npos++] = argv[i];
        else
            return usage();
    }
    bool get = strcmp(cmd, "get") == 0;
    if (npos < 1 || (strcmp(cmd, "ls") == 0 && npos > 2) ||
        (strcmp(cmd, "cat") == 0 && npos != 2) || (get && npos < 2))
        return usage();
    const char *image = pos[0];
    const char *path = npos >= 2 && !(get && npos == 2) ? pos[1] : "";
    char *key = malloc(MIRA_KV_KEY_MAX + 2);
    uint8_t *buf = malloc(COPY_CHUNK);
    if (key == NULL || buf == NULL) {
        fprintf(stderr, "mira-fat: out of memory\n");
        return 1;
    }
    /* The key's normal form, as the runtime gives drivers (mira/kv_ro.h). */
    size_t k = 0;
    for (const char *p = path; *p;) {
        while (*p == '/')
            p++;
        const char *end = p + strcspn(p, "/");
        size_t len = (size_t)(end - p);
        if (len == 0 || (len == 1 && *p == '.')) {
            p = end;
            continue;
        }
        if ((len == 2 && p[0] == '.' && p[1] == '.') || k + len + 2 > MIRA_KV_KEY_MAX) {
            fprintf(stderr, "mira-fat: %s: no such path %s\n", image, path);
            free(key);
            free(buf);
            return 1;
        }
        if (k)
            key[k++] = '/';
        memcpy(key + k, p, len);
        k += len;
        p = end;
    }
    key[k] = '\0';

    struct image im;
    if (image_open(&im, image, partition) < 0) {
        free(key);
        free(buf);
        return 1;
    }
    struct fat_node n;
    int status = 0;
    int r = fat_vol_lookup(&im.vol, key, &n);
    if (r < 0) {
        if (r == MIRA_ENOENT)
            fprintf(stderr, "mira-fat: %s: no such path %s\n", image, path);
        else
            image_fail(&im, image, r);
        status = 1;
    } else if (strcmp(cmd, "cat") == 0) {
        if (n.dir) {
            fprintf(stderr, "mira-fat: %s: %s is a directory\n", image, path);
            status = 1;
        }
        for (uint64_t off = 0; status == 0 && off < n.size;) {
            long got = fat_vol_read(&im.vol, &n, off, buf, COPY_CHUNK);
            if (got <= 0) {
                status = got < 0 ? image_fail(&im, image, (int)got) : 1;
                break;
            }
            if (fwrite(buf, 1, (size_t)got, stdout) != (size_t)got) {
                fprintf(stderr, "mira-fat: stdout: %s\n", strerror(errno));
                status = 1;
            }
            off += (uint64_t)got;
        }
    } else {
        struct walk w = { .im = &im, .image_path = image, .recursive = recursive || get,
                          .dest = get ? pos[npos - 1] : NULL, .buf = buf };
        w.seen.n = im.vol.clusters + 2;
        w.seen.bits = calloc(w.seen.n / 8 + 1, 1);
        if (w.seen.bits == NULL) {
            fprintf(stderr, "mira-fat: out of memory\n");
            status = 1;
        } else if (!n.dir) {
            if (get) {
                char to[8192];
                const char *base = strrchr(key, '/');
                snprintf(to, sizeof(to), "%s/%s", w.dest, base ? base + 1 : key);
                status = copy_file(&w, &n, to);
            } else {
                printf("%s\n", key);
            }
        } else {
            if (!n.root_fixed)
                seen_add(&w.seen, n.first);
            /* ls prints keys from the root; get copies below DEST. */
            if (get)
                k = 0;
            else if (k)
                key[k++] = '/';
            key[k] = '\0';
            status = walk_dir(&w, &n, key, k);
        }
        free(w.seen.bits);
    }
    if (fflush(stdout) != 0 && status == 0) {
        fprintf(stderr, "mira-fat: stdout: %s\n", strerror(errno));
        status = 1;
    }
    image_close(&im);
    free(key);
    free(buf);
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *cmd = argv[1];
    if (strcmp(cmd, "make") == 0)
        return fat_make_main(argc - 2, argv + 2);
    if (strcmp(cmd, "ls") == 0 || strcmp(cmd, "cat") == 0 || strcmp(cmd, "get") == 0)
        return run_read(cmd, argc - 2, argv + 2);
    return usage();
}
