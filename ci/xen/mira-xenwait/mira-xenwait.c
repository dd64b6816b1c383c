/*
 * mira-xenwait: dom0-side helper of the Mira Xen test rig.
 *
 * Waits until a domain shuts down (or a deadline passes), then prints its
 * shutdown reason and exit status as key=value lines on stdout:
 *
 *   domid=3
 *   reason=poweroff        poweroff|reboot|suspend|crash|watchdog|soft_reset|
 *                          unknown-N|timeout|vanished
 *   status=0               exit status (see below)
 *   status_source=xenstore xenstore|default|invalid
 *   panic=...              data/mira-panic, if the guest wrote it (escaped)
 *   first_console=12.345   seconds from --start to the first byte in --console
 *   elapsed=13.210         seconds from --start to the verdict
 *
 * Exit status contract (Mira guests): before SCHEDOP_shutdown the guest
 * writes its exit status as a decimal string to
 * /local/domain/<domid>/data/mira-exit-status (and, after a panic, an
 * optional message to data/mira-panic). If the key is absent the status is
 * 0 for poweroff, 124 for timeout and 1 for every other reason.
 *
 * The domain must be created with on_poweroff/on_crash/... = "preserve" so
 * that its xenstore keys survive the shutdown; this tool never destroys it.
 *
 * Usage: mira-xenwait [--timeout SECS] [--start EPOCH] [--console FILE] DOMID|NAME
 * Exit code: 0 when a verdict was printed (whatever it is), 2 on usage or
 * setup errors (no such domain, no access to Xen).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <xenctrl.h>
#include <xenstore.h>

#define POLL_MS 50

static double now_epoch(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: mira-xenwait [--timeout SECS] [--start EPOCH] [--console FILE] DOMID|NAME\n"
            "  --timeout SECS  give up SECS after --start (default: wait forever)\n"
            "  --start EPOCH   time origin (seconds since the epoch, e.g. `date +%%s.%%N`\n"
            "                  taken before `xl create`); default: now\n"
            "  --console FILE  the guest's console log: report when its first byte appears\n");
}

static const char *reason_name(unsigned code, char *buf, size_t len)
{
    static const char *const names[] = {
        [SHUTDOWN_poweroff] = "poweroff", [SHUTDOWN_reboot] = "reboot",
        [SHUTDOWN_suspend] = "suspend",   [SHUTDOWN_crash] = "crash",
        [SHUTDOWN_watchdog] = "watchdog", [SHUTDOWN_soft_reset] = "soft_reset",
    };
    if (code < sizeof(names) / sizeof(names[0]) && names[code])
        return names[code];
    snprintf(buf, len, "unknown-%u", code);
    return buf;
}

/* Resolve a domain name to its id through /local/domain/<id>/name. */
static long lookup_name(struct xs_handle *xs, const char *name)
{
    unsigned n = 0;
    char **ids = xs_directory(xs, XBT_NULL, "/local/domain", &n);
    long found = -1;
    for (unsigned i = 0; ids && i < n && found < 0; i++) {
        char path[96];
        unsigned len;
        snprintf(path, sizeof(path), "/local/domain/%s/name", ids[i]);
        char *v = xs_read(xs, XBT_NULL, path, &len);
        if (v && strcmp(v, name) == 0)
            found = strtol(ids[i], NULL, 10);
        free(v);
    }
    free(ids);
    return found;
}

/* Returns 1 and fills *info if the domain exists, 0 if it does not, -1 on error. */
static int get_info(xc_interface *xc, uint32_t domid, xc_domaininfo_t *info)
{
    /* The hypercall failed once in the rig (EACCES) for a domain that had
     * just powered off and was still there: retry a failure for up to 2 s
     * before believing it, rather than fail a guest that passed. */
    for (int tries = 0;; tries++) {
        int n = xc_domain_getinfolist(xc, domid, 1, info);
        if (n >= 0)
            return n == 1 && info->domain == domid;
        if (tries == 20)
            return -1;
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}

/* Print a string on one line, escaping backslash, newlines and control bytes. */
static void print_escaped(const char *key, const char *s)
{
    printf("%s=", key);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\\')
            fputs("\\\\", stdout);
        else if (c == '\n')
            fputs("\\n", stdout);
        else if (c < 0x20 || c == 0x7f)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    putchar('\n');
}

static char *read_dom_key(struct xs_handle *xs, uint32_t domid, const char *key)
{
    char path[128];
    unsigned len;
    snprintf(path, sizeof(path), "/local/domain/%u/data/%s", domid, key);
    return xs_read(xs, XBT_NULL, path, &len);
}

int main(int argc, char **argv)
{
    double timeout = -1, start = -1;
    const char *console = NULL, *target = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--timeout") && i + 1 < argc)
            timeout = strtod(argv[++i], NULL);
        else if (!strcmp(a, "--start") && i + 1 < argc)
            start = strtod(argv[++i], NULL);
        else if (!strcmp(a, "--console") && i + 1 < argc)
            console = argv[++i];
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage();
            return 0;
        } else if (a[0] != '-' && !target)
            target = a;
        else {
            usage();
            return 2;
        }
    }
    if (!target) {
        usage();
        return 2;
    }
    if (start < 0)
        start = now_epoch();

    xc_interface *xc = xc_interface_open(NULL, NULL, 0);
    if (!xc) {
        fprintf(stderr, "mira-xenwait: cannot open libxenctrl: %s\n", strerror(errno));
        return 2;
    }
    struct xs_handle *xs = xs_open(0);
    if (!xs) {
        fprintf(stderr, "mira-xenwait: cannot connect to xenstore: %s\n", strerror(errno));
        return 2;
    }

    char *end;
    long id = strtol(target, &end, 10);
    if (*end != '\0' || end == target)
        id = lookup_name(xs, target);
    if (id < 0 || id >= DOMID_FIRST_RESERVED) {
        fprintf(stderr, "mira-xenwait: no domain '%s'\n", target);
        return 2;
    }
    uint32_t domid = (uint32_t)id;

    xc_domaininfo_t info;
    int r = get_info(xc, domid, &info);
    if (r <= 0) {
        fprintf(stderr, "mira-xenwait: no domain %u%s%s\n", domid, r < 0 ? ": " : "",
                r < 0 ? strerror(errno) : "");
        return 2;
    }

    /* @releaseDomain fires when any domain shuts down or dies: wake up on it,
     * and poll anyway (cheap) to watch the console log and the deadline. */
    bool watching = xs_watch(xs, "@releaseDomain", "mira-xenwait");
    struct pollfd pfd = {.fd = watching ? xs_fileno(xs) : -1, .events = POLLIN};

    double first_console = -1;
    const char *reason = NULL;
    char rbuf[32];
    unsigned code = 0;

    for (;;) {
        if (console && first_console < 0) {
            struct stat st;
            if (stat(console, &st) == 0 && st.st_size > 0)
                first_console = now_epoch() - start;
        }
        r = get_info(xc, domid, &info);
        if (r < 0) {
            fprintf(stderr, "mira-xenwait: getinfo %u: %s\n", domid, strerror(errno));
            return 2;
        }
        if (r == 0 || ((info.flags & XEN_DOMINF_dying) && !(info.flags & XEN_DOMINF_shutdown))) {
            reason = "vanished";
            break;
        }
        if (info.flags & XEN_DOMINF_shutdown) {
            code = (info.flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask;
            reason = reason_name(code, rbuf, sizeof(rbuf));
            break;
        }
        if (timeout >= 0 && now_epoch() - start >= timeout) {
            reason = "timeout";
            break;
        }
        if (poll(&pfd, 1, POLL_MS) > 0 && watching) {
            char **w;
            while ((w = xs_check_watch(xs)) != NULL)
                free(w);
        }
    }
    /* A guest may print its last line and shut down within one poll period. */
    if (console && first_console < 0) {
        struct stat st;
        if (stat(console, &st) == 0 && st.st_size > 0)
            first_console = now_epoch() - start;
    }

    int status = !strcmp(reason, "poweroff") ? 0 : !strcmp(reason, "timeout") ? 124 : 1;
    const char *source = "default";
    char *v = read_dom_key(xs, domid, "mira-exit-status");
    if (v) {
        char *p = v;
        while (isspace((unsigned char)*p))
            p++;
        errno = 0;
        long s = strtol(p, &end, 10);
        while (isspace((unsigned char)*end))
            end++;
        if (end != p && *end == '\0' && errno == 0 && s >= INT32_MIN && s <= INT32_MAX) {
            status = (int)s;
            source = "xenstore";
        } else {
            source = "invalid";
            if (status == 0)
                status = 1;
            print_escaped("status_raw", v);
        }
        free(v);
    }
    char *panic = read_dom_key(xs, domid, "mira-panic");

    printf("domid=%u\n", domid);
    printf("reason=%s\n", reason);
    printf("status=%d\n", status);
    printf("status_source=%s\n", source);
    if (panic)
        print_escaped("panic", panic);
    if (first_console >= 0)
        printf("first_console=%.3f\n", first_console);
    printf("elapsed=%.3f\n", now_epoch() - start);
    free(panic);
    xs_close(xs);
    xc_interface_close(xc);
    return 0;
}
