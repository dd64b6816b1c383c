/* gen.h - the generator's pure logic: parse device specs, write texts.
 * Kept apart from mira-gen.c's file handling so cmocka can test it. */
#ifndef MIRA_GEN_H
#define MIRA_GEN_H

#include <stddef.h>

#define GEN_MAX_DEVICES 16

struct gen_device {
    char name[32];   /* device name, e.g. console0, or kv0-block (stacked) */
    char ident[32];  /* its C identifier: the name with '-' as '_' */
    char kind[32];   /* console, block, kv_ro, netif, stack */
    char driver[32]; /* subproject name, e.g. console-unix */
    char lower[32];  /* device it is layered over, or "" */
    const char *disk; /* the disk image backing a block device: the .xl's
                       * disk (xen), the baked-in "<name>-file" (unix) */
    int stacked;     /* a lower device the generator adds for its user
                      * (name "<user>-<kind>"): connected first, closed
                      * last, not a parameter of unikernel_start */
};

struct gen_app {
    const char *name;
    const char *target;  /* "unix" or "xen" */
    const char *kernel;  /* xen: absolute path of the guest kernel */
    const char *extra;   /* xen: runtime parameters for the command line */
    int memory_mib;
    struct gen_device dev[GEN_MAX_DEVICES];
    int ndev;
};

/* A growable NUL-terminated text. */
struct gen_buf {
    char *data;
    size_t len, cap;
};

void gen_buf_free(struct gen_buf *b);

/* Parses "NAME:KIND:DRIVER[:LOWER]" and appends it to app.  NAME is a C
 * identifier (a device of the app), or "USER-KIND" for a stacked device:
 * the lower device of USER, listed before it (BRIEF section 7: kv0 gets
 * kv0-block), whose parameters are "USER-KIND-*".  Returns 0, or -1 with a
 * message in err. */
int gen_add_device(struct gen_app *app, const char *spec, char *err, size_t errlen);

/* Parses "DEV=PATH" (a block device's disk image for the .xl). */
int gen_add_disk(struct gen_app *app, const char *spec, char *err, size_t errlen);

/* Checks the whole app (target, lower devices exist and come first, a
 * stacked device is the lower of the device it is named after, kernel
 * given for xen).  Returns 0, or -1 with a message in err. */
int gen_check(const struct gen_app *app, char *err, size_t errlen);

/* The C type of a device kind ("struct mira_console"), or NULL. */
const char *gen_kind_type(const char *kind);

/* Write the three generated files' texts into out. */
void gen_main_c(const struct gen_app *app, struct gen_buf *out);
void gen_header(const struct gen_app *app, struct gen_buf *out);
void gen_xl(const struct gen_app *app, struct gen_buf *out);

#endif
