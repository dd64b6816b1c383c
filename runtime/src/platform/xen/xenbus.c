/*
 * xenbus.c - the frontend side of the xenbus handshake (mira/xen/xenbus.h)
 * over the xenstore client; the decisions and parsing are in the pure
 * xenbus_proto.c.
 */
#include <stdint.h>
#include <string.h>
#include <mira/error.h>
#include <mira/format.h>
#include <mira/log.h>
#include <mira/xen/xenbus.h>
#include <mira/xen/xenstore.h>

#define TX_TRIES 16

int mira_xenbus_open(struct mira_xenbus_dev *d, const char *type, int id)
{
    memset(d, 0, sizeof(*d));
    char path[192], v[32];
    if (mira_xenbus_frontend_path(d->node, sizeof(d->node), type, id))
        return MIRA_EINVAL;
    if (mira_xenbus_join(path, sizeof(path), d->node, "backend"))
        return MIRA_EINVAL;
    long n = mira_xs_read(path, d->backend, sizeof(d->backend));
    if (n < 0)
        return (int)n;
    if ((size_t)n >= sizeof(d->backend) || n == 0)
        return MIRA_ECORRUPT;
    if (mira_xenbus_join(path, sizeof(path), d->node, "backend-id"))
        return MIRA_EINVAL;
    n = mira_xs_read(path, v, sizeof(v));
    if (n < 0)
        return (int)n;
    if ((size_t)n >= sizeof(v) || mira_xenbus_parse_domid(v, &d->backend_id))
        return MIRA_ECORRUPT;
    mira_snprintf(d->token, sizeof(d->token), "xenbus:%s", d->node);
    if (mira_xenbus_join(path, sizeof(path), d->backend, "state"))
        return MIRA_EINVAL;
    int r = mira_xs_watch(path, d->token);
    if (r < 0)
        return r;
    /* The watch fires once at once; that first event is harmless (every
     * wait re-reads the state before it waits). */
    d->state = XenbusStateInitialising;
    d->backend_state = XenbusStateUnknown;
    d->open = 1;
    mira_log(MIRA_LOG_DEBUG, "xenbus", "%s: backend %s (domain %u)", d->node,
             d->backend, d->backend_id);
    return 0;
}

long mira_xenbus_read_backend(struct mira_xenbus_dev *d, const char *key,
                              char *buf, size_t size)
{
    char path[192];
    if (mira_xenbus_join(path, sizeof(path), d->backend, key))
        return MIRA_EINVAL;
    return mira_xs_read(path, buf, size);
}

int mira_xenbus_read_backend_u64(struct mira_xenbus_dev *d, const char *key,
                                 uint64_t *v)
{
    char buf[32];
    long n = mira_xenbus_read_backend(d, key, buf, sizeof(buf));
    if (n < 0)
        return (int)n;
    if ((size_t)n >= sizeof(buf) || mira_xenbus_parse_u64(buf, v))
        return MIRA_ECORRUPT;
    return 0;
}

int mira_xenbus_write(struct mira_xenbus_dev *d, mira_xs_tx tx,
                      const char *key, const char *value)
{
    char path[192];
    if (mira_xenbus_join(path, sizeof(path), d->node, key))
        return MIRA_EINVAL;
    int r = mira_xs_write_tx(tx, path, value);
    return r < 0 ? r : 0;
}

int mira_xenbus_write_u64(struct mira_xenbus_dev *d, mira_xs_tx tx,
                          const char *key, uint64_t value)
{
    char v[24];
    mira_snprintf(v, sizeof(v), "%llu", (unsigned long long)value);
    return mira_xenbus_write(d, tx, key, v);
}

int mira_xenbus_write_frontend_tx(struct mira_xenbus_dev *d,
                                  mira_xenbus_tx_fn fn, void *arg)
{
    for (int tries = 0; tries < TX_TRIES; tries++) {
        mira_xs_tx tx;
        int r = mira_xs_transaction_start(&tx);
        if (r < 0)
            return r;
        r = fn(d, tx, arg);
        if (r < 0) {
            mira_xs_transaction_end(tx, true);
            return r;
        }
        r = mira_xs_transaction_end(tx, false);
        if (r != MIRA_EAGAIN)
            return r < 0 ? r : 0;
        mira_log(MIRA_LOG_DEBUG, "xenbus", "%s: transaction conflicted, retrying",
                 d->node);
    }
    return MIRA_EAGAIN;
}

int mira_xenbus_switch_state(struct mira_xenbus_dev *d, XenbusState state)
{
    char v[4];
    mira_snprintf(v, sizeof(v), "%u", (unsigned)state);
    int r = mira_xenbus_write(d, MIRA_XS_NO_TX, "state", v);
    if (r == 0) {
        d->state = state;
        mira_log(MIRA_LOG_DEBUG, "xenbus", "%s: frontend %s", d->node,
                 mira_xenbus_state_name(state));
    }
    return r;
}

/* Reads the backend's state; a vanished node reads as Closed. */
static int read_backend_state(struct mira_xenbus_dev *d, XenbusState *s)
{
    char v[16];
    long n = mira_xenbus_read_backend(d, "state", v, sizeof(v));
    if (n == MIRA_ENOENT) {
        *s = XenbusStateClosed;
        return 0;
    }
    if (n < 0)
        return (int)n;
    if ((size_t)n >= sizeof(v) || mira_xenbus_parse_state(v, s))
        return MIRA_ECORRUPT;
    return 0;
}

int mira_xenbus_wait_backend_state(struct mira_xenbus_dev *d, unsigned want,
                                   mira_time_t deadline)
{
    char changed[192];
    for (;;) {
        XenbusState s;
        int r = read_backend_state(d, &s);
        if (r < 0)
            return r;
        if (s != d->backend_state)
            mira_log(MIRA_LOG_DEBUG, "xenbus", "%s: backend %s", d->node,
                     mira_xenbus_state_name(s));
        d->backend_state = s;
        switch (mira_xenbus_verdict(s, want)) {
        case MIRA_XENBUS_REACHED:
            return (int)s;
        case MIRA_XENBUS_GONE:
            return MIRA_ECLOSED;
        case MIRA_XENBUS_WAIT:
            break;
        }
        r = mira_xs_wait_watch(d->token, changed, sizeof(changed), deadline);
        if (r < 0)
            return r;
    }
}

int mira_xenbus_close(struct mira_xenbus_dev *d, mira_time_t deadline)
{
    if (!d->open)
        return 0;
    unsigned closing = MIRA_XENBUS_BIT(XenbusStateClosing) |
                       MIRA_XENBUS_BIT(XenbusStateClosed);
    int r = mira_xenbus_switch_state(d, XenbusStateClosing);
    int w = r < 0 ? r : mira_xenbus_wait_backend_state(d, closing, deadline);
    r = mira_xenbus_switch_state(d, XenbusStateClosed);
    if (w >= 0 && r == 0)
        w = mira_xenbus_wait_backend_state(d, MIRA_XENBUS_BIT(XenbusStateClosed),
                                           deadline);
    char path[192];
    if (mira_xenbus_join(path, sizeof(path), d->backend, "state") == 0)
        mira_xs_unwatch(path, d->token);
    d->open = 0;
    if (w < 0)
        return w;
    return r;
}
