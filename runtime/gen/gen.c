/* gen.c - the generator's pure logic (see gen.h). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

struct kind_info {
    const char *kind, *type, *header;
};

/* Every device kind an app can take, with its public type and header. */
static const struct kind_info kinds[] = {
    { "console", "struct mira_console", "mira/console.h" },
    { "block", "struct mira_block", "mira/block.h" },
    { "kv_ro", "struct mira_kv_ro", "mira/kv_ro.h" },
    { "netif", "struct mira_netif", "mira/netif.h" },
    { "stack", "struct mira_stack", "mira/stack.h" },
};

static const struct kind_info *find_kind(const char *kind)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kinds[i].kind, kind) == 0)
            return &kinds[i];
    return NULL;
}

const char *gen_kind_type(const char *kind)
{
    const struct kind_info *k = find_kind(kind);
    return k ? k->type : NULL;
}

static void bprintf(struct gen_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void bprintf(struct gen_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (d == NULL)
            abort();
        b->data = d;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void gen_buf_free(struct gen_buf *b)
{
    free(b->data);
    *b = (struct gen_buf){ 0 };
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int is_identifier(const char *s)
{
    if (!(isalpha((unsigned char)*s) || *s == '_'))
        return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_'))
            return 0;
    return 1;
}

static int is_driver_name(const char *s)
{
    if (!islower((unsigned char)*s))
        return 0;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-'))
            return 0;
    return 1;
}

/* Copies field i (0-based) of a ':'-separated spec into out. Returns 1 if
 * the field exists, 0 if not, -1 if too long. */
static int field(const char *spec, int i, char *out, size_t outlen)
{
    const char *p = spec;
    for (int k = 0; k < i; k++) {
        p = strchr(p, ':');
        if (p == NULL)
            return 0;
        p++;
    }
    size_t n = strcspn(p, ":");
    if (n >= outlen)
        return -1;
    memcpy(out, p, n);
    out[n] = '\0';
    return 1;
}

static int count_colons(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == ':';
    return n;
}

static const struct gen_device *find_device(const struct gen_app *app, const char *name, int before)
{
    for (int i = 0; i < before; i++)
        if (strcmp(app->dev[i].name, name) == 0)
            return &app->dev[i];
    return NULL;
}

/* "kv0-block": USER "kv0" (a C identifier), then "-" and its kind. */
static int stacked_name_ok(const char *name, const char *kind)
{
    const char *dash = strchr(name, '-');
    size_t ulen = dash ? (size_t)(dash - name) : 0;
    char user[32];
    if (dash == NULL || ulen == 0 || ulen >= sizeof(user) || strcmp(dash + 1, kind) != 0)
        return 0;
    memcpy(user, name, ulen);
    user[ulen] = '\0';
    return is_identifier(user);
}

int gen_add_device(struct gen_app *app, const char *spec, char *err, size_t errlen)
{
    if (app->ndev == GEN_MAX_DEVICES)
        return fail(err, errlen, "more than %d devices", GEN_MAX_DEVICES);
    struct gen_device d = { 0 };
    if (field(spec, 0, d.name, sizeof(d.name)) != 1 ||
        field(spec, 1, d.kind, sizeof(d.kind)) != 1 ||
        field(spec, 2, d.driver, sizeof(d.driver)) != 1 ||
        field(spec, 3, d.lower, sizeof(d.lower)) < 0 || count_colons(spec) > 3)
        return fail(err, errlen, "device '%s' is not NAME:KIND:DRIVER[:LOWER]", spec);
    if (find_kind(d.kind) == NULL)
        return fail(err, errlen, "device '%s' has unknown kind '%s' "
                    "(known: console, block, kv_ro, netif, stack)", d.name, d.kind);
    d.stacked = strchr(d.name, '-') != NULL;
    if (d.stacked ? !stacked_name_ok(d.name, d.kind) : !is_identifier(d.name))
        return fail(err, errlen, "device name '%s' is not a C identifier (or USER-KIND for "
                    "a stacked device)", d.name);
    for (size_t i = 0; i <= strlen(d.name); i++)
        d.ident[i] = d.name[i] == '-' ? '_' : d.name[i];
    if (!is_driver_name(d.driver))
        return fail(err, errlen, "device '%s' has a bad driver name '%s'", d.name, d.driver);
    if (find_device(app, d.name, app->ndev))
        return fail(err, errlen, "device name '%s' is used twice", d.name);
    for (int i = 0; i < app->ndev; i++)
        if (strcmp(app->dev[i].ident, d.ident) == 0)
            return fail(err, errlen, "devices '%s' and '%s' have one C name", app->dev[i].name,
                        d.name);
    app->dev[app->ndev++] = d;
    return 0;
}

int gen_add_disk(struct gen_app *app, const char *spec, char *err, size_t errlen)
{
    const char *eq = strchr(spec, '=');
    if (eq == NULL || eq[1] == '\0')
        return fail(err, errlen, "disk '%s' is not DEV=PATH", spec);
    /* The path goes into a C string (main.c) and a quoted .xl value. */
    for (const char *p = eq + 1; *p; p++)
        if (*p == '"' || *p == '\'' || *p == '\\' || (unsigned char)*p < 0x20)
            return fail(err, errlen, "disk path '%s' has a quote, backslash or control "
                        "character", eq + 1);
    for (int i = 0; i < app->ndev; i++) {
        if (strlen(app->dev[i].name) == (size_t)(eq - spec) &&
            strncmp(app->dev[i].name, spec, (size_t)(eq - spec)) == 0) {
            if (strcmp(app->dev[i].kind, "block") != 0)
                return fail(err, errlen, "disk given for '%s', which is not a block device",
                            app->dev[i].name);
            app->dev[i].disk = eq + 1;
            return 0;
        }
    }
    return fail(err, errlen, "disk given for unknown device in '%s' (devices come first)", spec);
}

int gen_add_data(struct gen_app *app, const char *dev, char *err, size_t errlen)
{
    for (int i = 0; i < app->ndev; i++) {
        if (strcmp(app->dev[i].name, dev) == 0) {
            app->dev[i].data = 1;
            return 0;
        }
    }
    return fail(err, errlen, "data given for unknown device '%s' (devices come first)", dev);
}

int gen_check(const struct gen_app *app, char *err, size_t errlen)
{
    if (!is_identifier(app->name))
        return fail(err, errlen, "app name '%s' is not a C identifier", app->name);
    int xen = strcmp(app->target, "xen") == 0;
    if (!xen && strcmp(app->target, "unix") != 0)
        return fail(err, errlen, "unknown target '%s' (unix or xen)", app->target);
    if (xen && (app->kernel == NULL || app->kernel[0] != '/'))
        return fail(err, errlen, "--target xen needs --kernel with an absolute path");
    if (app->memory_mib < 2)
        return fail(err, errlen, "memory of %d MiB is too small (the guest's image "
                    "loads at 1 MiB; 2 MiB is the least it runs in)", app->memory_mib);
    for (int i = 0; i < app->ndev; i++) {
        const struct gen_device *d = &app->dev[i];
        if (d->lower[0] && find_device(app, d->lower, i) == NULL)
            return fail(err, errlen, "device '%s' is layered over '%s', which is not "
                        "listed before it", d->name, d->lower);
        if (!d->stacked)
            continue;
        /* kv0-block must be the lower of kv0, and of nothing else. */
        size_t ulen = (size_t)(strchr(d->name, '-') - d->name);
        int users = 0, named = 0;
        for (int j = i + 1; j < app->ndev; j++) {
            if (strcmp(app->dev[j].lower, d->name) != 0)
                continue;
            users++;
            named |= strlen(app->dev[j].name) == ulen &&
                     strncmp(app->dev[j].name, d->name, ulen) == 0;
        }
        if (users != 1 || !named)
            return fail(err, errlen, "stacked device '%s' must be the lower device of "
                        "'%.*s' alone", d->name, (int)ulen, d->name);
    }
    return 0;
}

/* console-unix -> console_unix */
static void c_name(const char *driver, char *out, size_t outlen)
{
    size_t i = 0;
    for (; driver[i] && i + 1 < outlen; i++)
        out[i] = driver[i] == '-' ? '_' : driver[i];
    out[i] = '\0';
}

void gen_header(const struct gen_app *app, struct gen_buf *out)
{
    bprintf(out, "/* Generated by mira-gen for the app \"%s\" (target %s). Do not edit.\n"
                 " * The build includes this file first in the app's sources, so a\n"
                 " * unikernel_start whose parameters differ is a compile error. */\n"
                 "#ifndef MIRA_APP_H\n#define MIRA_APP_H\n\n",
            app->name, app->target);
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        for (int i = 0; i < app->ndev; i++) {
            if (strcmp(app->dev[i].kind, kinds[k].kind) == 0 && !app->dev[i].stacked) {
                bprintf(out, "#include <%s>\n", kinds[k].header);
                break;
            }
        }
    }
    bprintf(out, "\nint unikernel_start(");
    int k = 0;
    for (int i = 0; i < app->ndev; i++)
        if (!app->dev[i].stacked)
            bprintf(out, "%s%s *%s", k++ ? ", " : "", gen_kind_type(app->dev[i].kind),
                    app->dev[i].ident);
    bprintf(out, "%s);\n\n#endif\n", k ? "" : "void");
}

/* The C identifier of device name (a lower device's name as given). */
static const char *ident_of(const struct gen_app *app, const char *name)
{
    const struct gen_device *d = find_device(app, name, app->ndev);
    return d ? d->ident : name;
}

void gen_main_c(const struct gen_app *app, struct gen_buf *out)
{
    char cname[40];
    int xen = strcmp(app->target, "xen") == 0;
    bprintf(out, "/* Generated by mira-gen for the app \"%s\" (target %s). Do not edit:\n"
                 " * change the app's devices in its meson.build or the drivers with\n"
                 " * meson setup options. */\n"
                 "#include <mira/runtime.h>\n",
            app->name, app->target);
    for (int i = 0; i < app->ndev; i++) {
        int seen = 0;
        for (int j = 0; j < i; j++)
            seen |= strcmp(app->dev[j].driver, app->dev[i].driver) == 0;
        if (!seen) {
            c_name(app->dev[i].driver, cname, sizeof(cname));
            bprintf(out, "#include <mira/%s.h>\n", cname);
        }
    }
    /* Stacked devices are not in mira_app.h: their kinds' headers here. */
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
        for (int i = 0; i < app->ndev; i++)
            if (app->dev[i].stacked && strcmp(app->dev[i].kind, kinds[k].kind) == 0) {
                bprintf(out, "#include <%s>\n", kinds[k].header);
                break;
            }
    bprintf(out, "#include \"mira_app.h\"\n\n");
    /* On unix the image built for a stacked block device is the default of
     * its file parameter, so the executable finds it from any directory. */
    int baked = 0;
    for (int i = 0; i < app->ndev; i++) {
        const struct gen_device *d = &app->dev[i];
        if (xen || d->disk == NULL || strcmp(d->driver, "block-file") != 0)
            continue;
        if (!baked++)
            bprintf(out, "#include <mira/param.h>\n\n");
        bprintf(out, "MIRA_PARAM_DECLARE(%s_file, \"%s-file\", \"%s\",\n"
                     "                   \"the disk image the build made for %s\");\n",
                d->ident, d->name, d->disk, d->name);
    }
    if (baked)
        bprintf(out, "\n");
    int ndata = 0;
    for (int i = 0; i < app->ndev; i++) {
        if (!app->dev[i].data)
            continue;
        if (ndata++ == 0)
            bprintf(out, "/* Built with the app (see the driver's header). */\n");
        c_name(app->dev[i].driver, cname, sizeof(cname));
        bprintf(out, "extern const struct mira_%s_data mira_%s_%s;\n", cname, cname,
                app->dev[i].ident);
    }
    if (ndata)
        bprintf(out, "\n");
    /* Closing in reverse order: a layered device goes before its lower one. */
    bprintf(out, "/* Closes the first n devices, last connected first. */\n"
                 "static void close_devices(int n");
    for (int i = 0; i < app->ndev; i++)
        bprintf(out, ", %s *%s", gen_kind_type(app->dev[i].kind), app->dev[i].ident);
    bprintf(out, ")\n{\n");
    for (int i = app->ndev - 1; i >= 0; i--)
        bprintf(out, "    if (n > %d)\n        mira_%s_close(%s);\n", i, app->dev[i].kind,
                app->dev[i].ident);
    if (app->ndev == 0)
        bprintf(out, "    (void)n;\n");
    bprintf(out, "}\n\nint mira_app_main(void)\n{\n");
    for (int i = 0; i < app->ndev; i++)
        bprintf(out, "    %s *%s = NULL;\n", gen_kind_type(app->dev[i].kind), app->dev[i].ident);
    bprintf(out, app->ndev ? "    int err, status;\n" : "    int status;\n");
    for (int i = 0; i < app->ndev; i++) {
        const struct gen_device *d = &app->dev[i];
        c_name(d->driver, cname, sizeof(cname));
        bprintf(out, "\n    err = mira_%s_connect(&%s, \"%s\"", cname, d->ident, d->name);
        if (d->data)
            bprintf(out, ", &mira_%s_%s", cname, d->ident);
        bprintf(out, "%s%s);\n"
                     "    if (err < 0) {\n"
                     "        close_devices(%d",
                d->lower[0] ? ", " : "", d->lower[0] ? ident_of(app, d->lower) : "", i);
        for (int j = 0; j < app->ndev; j++)
            bprintf(out, ", %s", app->dev[j].ident);
        bprintf(out, ");\n"
                     "        return mira_connect_failed(\"%s\", \"%s\", err);\n"
                     "    }\n", d->name, d->driver);
    }
    bprintf(out, "\n    mira_boot_done();\n    status = unikernel_start(");
    int k = 0;
    for (int i = 0; i < app->ndev; i++)
        if (!app->dev[i].stacked)
            bprintf(out, "%s%s", k++ ? ", " : "", app->dev[i].ident);
    bprintf(out, ");\n    close_devices(%d", app->ndev);
    for (int j = 0; j < app->ndev; j++)
        bprintf(out, ", %s", app->dev[j].ident);
    bprintf(out, ");\n    return status;\n}\n");
}

void gen_disk_name(int disk, char *buf, size_t size)
{
    /* Xen's names: xvda..xvdz, then xvdaa.. (bijective base 26). */
    char tmp[8];
    int k = 0;
    for (unsigned long n = (unsigned long)disk + 1; n > 0 && k < 7; n = (n - 1) / 26)
        tmp[k++] = (char)('a' + (n - 1) % 26);
    size_t i = 0;
    for (const char *p = "xvd"; *p && i + 1 < size; p++)
        buf[i++] = *p;
    while (k > 0 && i + 1 < size)
        buf[i++] = tmp[--k];
    buf[i] = '\0';
}

void gen_xl(const struct gen_app *app, struct gen_buf *out)
{
    bprintf(out, "# Generated by mira-gen for the unikernel \"%s\".\n"
                 "# Start it with: xl create -c %s.xl\n"
                 "name = \"%s\"\n"
                 "type = \"pvh\"\n"
                 "kernel = \"%s\"\n"
                 "memory = %d\n"
                 "# Xen's paging pool for the guest's page tables (MiB): libxl's\n"
                 "# default, 4 KiB per MiB of memory, fails a guest of a few MiB;\n"
                 "# 1 MiB is what Xen gives a new domain anyway.\n"
                 "shadow_memory = 1\n"
                 "on_crash = \"preserve\"\n",
            app->name, app->name, app->name, app->kernel, app->memory_mib);
    if (app->extra && app->extra[0])
        bprintf(out, "extra = \"%s\"\n", app->extra);
    int nblock = 0, nnet = 0;
    for (int i = 0; i < app->ndev; i++) {
        nblock += strcmp(app->dev[i].kind, "block") == 0;
        nnet += strcmp(app->dev[i].kind, "netif") == 0;
    }
    if (nblock) {
        bprintf(out, "disk = [");
        int k = 0;
        for (int i = 0; i < app->ndev; i++) {
            const struct gen_device *d = &app->dev[i];
            if (strcmp(d->kind, "block") != 0)
                continue;
            /* From xvdb: xvda is left for a boot disk, as Linux guests and
             * the tutorial expect; blkfront maps the k-th block device to
             * the k-th disk from xvdb the same way (mira/block_blkfront.h). */
            char vdev[8];
            gen_disk_name(GEN_FIRST_DISK + k, vdev, sizeof(vdev));
            bprintf(out, "%s'format=raw, vdev=%s, access=rw, target=%s'",
                    k ? ", " : " ", vdev, d->disk ? d->disk : "/dev/null");
            k++;
        }
        bprintf(out, " ]\n");
    }
    if (nnet) {
        bprintf(out, "vif = [");
        for (int k = 0; k < nnet; k++)
            bprintf(out, "%s'bridge=xenbr0'", k ? ", " : " ");
        bprintf(out, " ]\n");
    }
}
