/*
 * platform/unix/main.c - the process entry: arguments become runtime
 * parameters, then the app runs and its status becomes the exit status.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mira/fiber.h>

#include "../../param_internal.h"
#include "../../platform.h"
#include "../../sched.h"
#include "unix_internal.h"

static void help_line(const char *text, void *ctx)
{
    (void)ctx;
    printf("%s\n", text);
}

/* --help: every parameter the runtime and the linked drivers declare. */
static void help(const char *argv0)
{
    printf("usage: %s [--key=value ...]\n"
           "Runtime parameters (device parameters are <device>-<key>, e.g. "
           "block0-file):\n", argv0);
    mira_param_each_help("  --", help_line, NULL);
}

static void report_unknown(const char *key, void *ctx)
{
    fprintf(stderr, "%s: unknown parameter --%s (see --help)\n", (const char *)ctx, key);
}

/* Turns "--key=value" and "--key" arguments into runtime parameters. */
static int parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            help(argv[0]);
            exit(0);
        }
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0' || a[2] == '=') {
            fprintf(stderr, "%s: unexpected argument '%s' (parameters are --key=value; "
                    "see --help)\n", argv[0], a);
            return -1;
        }
        const char *eq = strchr(a, '=');
        if (eq == NULL) {
            mira_param_add(a + 2, "");
            continue;
        }
        size_t klen = (size_t)(eq - (a + 2));
        char *key = strndup(a + 2, klen);
        if (key == NULL)
            return -1;
        mira_param_add(key, eq + 1);
        free(key);
    }
    /* Refused here, before anything runs, not noticed at exit. */
    if (mira_param_each_unknown(report_unknown, argv[0]) > 0)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    mira_unix_boot_ns = mira_unix_clock_ns(CLOCK_MONOTONIC);
    /* A closed connection must be an error code from write, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    if (parse_args(argc, argv) < 0)
        return 2;
    int status = mira_runtime_start();
    if (status == MIRA_EXIT_DEADLOCK && mira_sched_live() > 0) {
        /* Deadlocked fibers still hold what they allocated and will never
         * release it: end at once, as abort would, without exit-time leak
         * checks that would blame the app for it. */
        fflush(NULL);
        _exit(status);
    }
    mira_platform_exit(status);
}
