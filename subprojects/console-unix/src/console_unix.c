/* console_unix.c - the console device on a file descriptor (stdout). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <mira/console_unix.h>
#include <mira/driver/console.h>
#include <mira/unix.h>

struct console_unix {
    struct mira_console dev; /* first: the runtime sees only this */
    int fd;
};

static long console_unix_write(struct mira_console *c, const void *buf, size_t len)
{
    struct console_unix *s = (struct console_unix *)c;
    const char *p = buf;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(s->fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* A non-blocking stdout (a pipe the parent made so): only this
             * fiber waits until it drains. */
            mira_unix_wait_fd(s->fd, POLLOUT, MIRA_TIME_NEVER);
            continue;
        }
        if (n <= 0)
            return MIRA_EIO;
        p += n;
        left -= (size_t)n;
    }
    return (long)len;
}

static bool console_unix_is_terminal(const struct mira_console *c)
{
    return isatty(((const struct console_unix *)c)->fd) == 1;
}

static void console_unix_close(struct mira_console *c)
{
    free(c); /* the fd is the process's: it stays open */
}

static const struct mira_console_ops console_unix_ops = {
    .write = console_unix_write,
    .is_terminal = console_unix_is_terminal,
    .close = console_unix_close,
};

int mira_console_unix_connect_fd(struct mira_console **out, const char *name, int fd)
{
    struct console_unix *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return MIRA_ENOMEM;
    s->dev.ops = &console_unix_ops;
    s->dev.name = name;
    s->fd = fd;
    *out = &s->dev;
    return MIRA_OK;
}

int mira_console_unix_connect(struct mira_console **out, const char *name)
{
    return mira_console_unix_connect_fd(out, name, STDOUT_FILENO);
}
