/* console_xen.c - the console device on the Xen PV console ring (or on
 * port 0xe9 when the guest has no ring: QEMU's direct PVH boot). */
#include <stdlib.h>

#include <mira/console_xen.h>
#include <mira/driver/console.h>
#include <mira/error.h>
#include <mira/fiber.h>
#include <mira/xen/console_ring.h>
#include <mira/xen/debugcon.h>

struct console_xen {
    struct mira_console dev; /* first: the runtime sees only this */
};

static long console_xen_write(struct mira_console *c, const void *buf, size_t len)
{
    (void)c;
    const char *p = buf;
    size_t left = len;
    while (left > 0) {
        long n = mira_xen_console_ring_write(p, left);
        if (n == MIRA_ENOTSUP) { /* no ring: the debug port takes it all */
            mira_xen_debugcon_write(p, left);
            break;
        }
        if (n == 0) {
            /* The ring is full: wait until the backend consumed some. */
            mira_wait(mira_xen_console_ring_waitq());
            continue;
        }
        p += n;
        left -= (size_t)n;
    }
    return (long)len;
}

static void console_xen_close(struct mira_console *c)
{
    free(c);
}

static const struct mira_console_ops console_xen_ops = {
    .write = console_xen_write,
    .close = console_xen_close,
};

int mira_console_xen_connect(struct mira_console **out, const char *name)
{
    struct console_xen *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return MIRA_ENOMEM;
    s->dev.ops = &console_xen_ops;
    s->dev.name = name;
    *out = &s->dev;
    return MIRA_OK;
}
