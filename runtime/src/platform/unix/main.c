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

#include "../../platform.h"
#include "../../sched.h"
#include "unix_internal.h"

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [--key=value ...]\n"
            "Runtime parameters: --log-level=error|warn|info|debug and the\n"
            "ones the app's drivers read (see docs/).\n", argv0);
}

/* Turns "--key=value" and "--key" arguments into runtime parameters. */
static int parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(argv[0]);
            exit(0);
        }
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0' || a[2] == '=') {
            fprintf(stderr, "%s: unexpected argument '%s' (parameters are --key=value)\n",
                    argv[0], a);
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
