/*
 * mira-gen - writes the glue between an app and the drivers chosen at
 * meson setup time.  Runs on the build machine (native), never in a guest.
 *
 *   mira-gen --app NAME --target unix|xen --out-dir DIR
 *            [--kernel PATH] [--memory MIB] [--disk DEV=PATH]...
 *            [--data DEV]... [--extra "key=value ..."] DEVICE...
 *
 * DEVICE is NAME:KIND:DRIVER[:LOWER], e.g. console0:console:console-unix
 * or stack0:stack:tcpip:net0 (a driver layered over device net0).  Devices
 * are passed to unikernel_start in the order given, except stacked ones:
 * a NAME of the form USER-KIND (kv0-block) is a lower device the build
 * adds for USER (kv0:kv_ro:fat:kv0-block), C variable kv0_block.
 * --data DEV: DEV's connect takes its build-time data,
 * mira_<driver>_<DEV> (see gen.h).
 *
 * Writes DIR/main.c (connects each device, calls unikernel_start),
 * DIR/mira_app.h (the prototype unikernel_start must match: the build
 * force-includes it into the app, so a mismatch is a compile error) and,
 * for --target xen, DIR/NAME.xl.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

static void usage(void)
{
    fprintf(stderr,
            "usage: mira-gen --app NAME --target unix|xen --out-dir DIR\n"
            "                [--kernel PATH] [--memory MIB] [--disk DEV=PATH]...\n"
            "                [--data DEV]... [--extra \"key=value ...\"] NAME:KIND:DRIVER[:LOWER]...\n");
}

static int write_file(const char *dir, const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "mira-gen: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    fputs(text, f);
    if (fclose(f) != 0) {
        fprintf(stderr, "mira-gen: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct gen_app app = { .memory_mib = 32 };
    const char *out_dir = NULL;
    char err[256];

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strncmp(a, "--", 2) != 0) {
            if (gen_add_device(&app, a, err, sizeof(err)) < 0) {
                fprintf(stderr, "mira-gen: %s\n", err);
                return 2;
            }
            continue;
        }
        if (v == NULL) {
            usage();
            return 2;
        }
        i++;
        if (strcmp(a, "--app") == 0)
            app.name = v;
        else if (strcmp(a, "--target") == 0)
            app.target = v;
        else if (strcmp(a, "--out-dir") == 0)
            out_dir = v;
        else if (strcmp(a, "--kernel") == 0)
            app.kernel = v;
        else if (strcmp(a, "--memory") == 0)
            app.memory_mib = atoi(v);
        else if (strcmp(a, "--extra") == 0)
            app.extra = v;
        else if (strcmp(a, "--disk") == 0) {
            if (gen_add_disk(&app, v, err, sizeof(err)) < 0) {
                fprintf(stderr, "mira-gen: %s\n", err);
                return 2;
            }
        } else if (strcmp(a, "--data") == 0) {
            if (gen_add_data(&app, v, err, sizeof(err)) < 0) {
                fprintf(stderr, "mira-gen: %s\n", err);
                return 2;
            }
        } else {
            usage();
            return 2;
        }
    }
    if (app.name == NULL || app.target == NULL || out_dir == NULL) {
        usage();
        return 2;
    }
    if (gen_check(&app, err, sizeof(err)) < 0) {
        fprintf(stderr, "mira-gen: %s\n", err);
        return 2;
    }

    struct gen_buf main_c = { 0 }, header = { 0 }, xl = { 0 };
    gen_main_c(&app, &main_c);
    gen_header(&app, &header);
    int r = write_file(out_dir, "main.c", main_c.data) |
            write_file(out_dir, "mira_app.h", header.data);
    if (strcmp(app.target, "xen") == 0) {
        char name[512];
        snprintf(name, sizeof(name), "%s.xl", app.name);
        gen_xl(&app, &xl);
        r |= write_file(out_dir, name, xl.data);
    }
    gen_buf_free(&main_c);
    gen_buf_free(&header);
    gen_buf_free(&xl);
    return r ? 1 : 0;
}
