/* log.c - the diagnostic log and panics (see mira/log.h). */
#include <stdarg.h>
#include <mira/format.h>
#include <mira/log.h>
#include "platform.h"

#define LOG_LINE_MAX 512

static enum mira_log_level threshold = MIRA_LOG_INFO;
static int panicking;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

int mira_log_enabled(enum mira_log_level level)
{
    return level <= threshold;
}

void mira_log_set_level(enum mira_log_level level)
{
    threshold = level;
}

/* Writes "mira: <what>: " + the formatted text + "\n" as one diag write. */
static void diag_line(const char *what, const char *src, const char *fmt,
                      va_list ap)
{
    char line[LOG_LINE_MAX];
    int n = src ? mira_snprintf(line, sizeof(line), "mira: %s: [%s] ", what, src)
                : mira_snprintf(line, sizeof(line), "mira: %s: ", what);
    if (n < (int)sizeof(line) - 1)
        n += mira_vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    mira_platform_diag_write(line, (size_t)n);
}

void mira_log(enum mira_log_level level, const char *src, const char *fmt, ...)
{
    if (!mira_log_enabled(level))
        return;
    va_list ap;
    va_start(ap, fmt);
    diag_line(level_names[level], src, fmt, ap);
    va_end(ap);
}

_Noreturn void mira_panic(const char *fmt, ...)
{
    if (!panicking) { /* a panic inside a panic: skip straight to the end */
        panicking = 1;
        va_list ap;
        va_start(ap, fmt);
        diag_line("panic", NULL, fmt, ap);
        va_end(ap);
    }
    mira_platform_crash();
}
