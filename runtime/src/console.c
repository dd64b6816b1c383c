/* console.c - the console device's public functions, dispatched to drivers. */
#include <stdarg.h>
#include <mira/driver/console.h>
#include <mira/format.h>
#include <mira/log.h>

#define CONSOLE_LINE_MAX 1024

long mira_console_write(struct mira_console *c, const void *buf, size_t len)
{
    if (c == NULL)
        mira_panic("mira_console_write: NULL console");
    return c->ops->write(c, buf, len);
}

long mira_console_log(struct mira_console *c, const char *fmt, ...)
{
    char line[CONSOLE_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = mira_vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    return mira_console_write(c, line, (size_t)n);
}

bool mira_console_is_terminal(const struct mira_console *c)
{
    if (c == NULL)
        mira_panic("mira_console_is_terminal: NULL console");
    return c->ops->is_terminal != NULL && c->ops->is_terminal(c);
}

void mira_console_close(struct mira_console *c)
{
    if (c == NULL)
        mira_panic("mira_console_close: NULL console");
    c->ops->close(c);
}

const char *mira_console_name(const struct mira_console *c)
{
    return c->name;
}
