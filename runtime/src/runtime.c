/* runtime.c - start-up shared by every platform: run the app's main fiber. */
#include <stdarg.h>
#include <string.h>
#include <mira/format.h>
#include <mira/runtime.h>
#include "param_internal.h"
#include "platform.h"
#include "sched.h"

/* The app's main fiber gets a larger stack than others: application code
 * keeps sector buffers and the like on it. */
#define MAIN_STACK_SIZE ((size_t)256 * 1024)

static int app_status;

MIRA_PARAM_DECLARE(log_level, "log-level", "info",
                   "log threshold: error, warn, info or debug");

MIRA_PARAM_DECLARE(boot_time, "boot-time", "0",
                   "1: print the boot time (to unikernel_start) on the console");

void mira_boot_done(void)
{
    if (strcmp(mira_param("boot-time", "0"), "1") != 0)
        return;
    const char *clock = "";
    long long ns = mira_platform_boot_ns(&clock);
    char line[160];
    int n = ns < 0
        ? mira_snprintf(line, sizeof(line), "mira: boot-time: unknown (%s)\n", clock)
        : mira_snprintf(line, sizeof(line), "mira: boot-time: %lld ns to unikernel_start (%s)\n",
                        ns, clock);
    if (n > (int)sizeof(line) - 1)
        n = (int)sizeof(line) - 1;
    mira_platform_diag_write(line, (size_t)n);
}

static void app_fiber(void *arg)
{
    (void)arg;
    app_status = mira_app_main();
}

static enum mira_log_level parse_level(const char *s)
{
    if (strcmp(s, "error") == 0) return MIRA_LOG_ERROR;
    if (strcmp(s, "warn") == 0) return MIRA_LOG_WARN;
    if (strcmp(s, "debug") == 0) return MIRA_LOG_DEBUG;
    if (strcmp(s, "info") != 0)
        mira_log(MIRA_LOG_WARN, "param", "unknown log-level '%s': using info", s);
    return MIRA_LOG_INFO;
}

/* The device whose failed connect its driver has already explained. */
static const char *connect_explained;

void mira_connect_error(const char *dev, const char *driver, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    mira_vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    mira_log(MIRA_LOG_ERROR, "main", "cannot connect device %s (driver %s): %s",
             dev, driver, why);
    connect_explained = dev;
}

int mira_connect_failed(const char *dev, const char *driver, int err)
{
    if (connect_explained != NULL && strcmp(connect_explained, dev) == 0)
        return 1;
    mira_log(MIRA_LOG_ERROR, "main", "cannot connect device %s (driver %s): %s",
             dev, driver, mira_strerror(err));
    return 1;
}

static void warn_unknown(const char *key, void *ctx)
{
    (void)ctx;
    mira_log(MIRA_LOG_WARN, "param", "unknown parameter '%s' (no driver or the "
             "runtime declares it)", key);
}

int mira_runtime_start(void)
{
    /* The unix platform refused unknown keys already; on xen the command
     * line may carry words meant for Xen or the toolstack. */
    mira_param_each_unknown(warn_unknown, NULL);
    mira_log_set_level(parse_level(mira_param("log-level", "info")));
    struct mira_fiber *main_fiber =
        mira_sched_spawn_main(app_fiber, NULL, MAIN_STACK_SIZE);
    if (main_fiber == NULL)
        mira_panic("out of memory for the main fiber");
    int r = mira_sched_run(main_fiber);
    if (r != MIRA_SCHED_MAIN_DONE)
        return r;
    mira_sched_collect(main_fiber);
    mira_param_warn_unused();
    if (app_status < 0) {
        mira_log(MIRA_LOG_ERROR, "main", "unikernel_start failed: %s",
                 mira_strerror(app_status));
        return 1;
    }
    if (app_status > 255) {
        mira_log(MIRA_LOG_WARN, "main", "exit status %d truncated to 255", app_status);
        return 255;
    }
    return app_status;
}
