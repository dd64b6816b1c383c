/*
 * mira/xen/xenbus.h - the frontend half of the xenbus handshake that every
 * PV device (vbd, vif, ...) does, written once for all frontends.
 *
 * A driver:
 *   1. mira_xenbus_open(&d, "vbd", 51712): finds the backend (its path and
 *      domain id) under device/vbd/51712 and watches <backend>/state;
 *   2. reads what the backend offers (mira_xenbus_read_backend[_u64]);
 *   3. sets up its rings and event channel, then writes its keys (ring-ref,
 *      event-channel, protocol, ...) in one transaction with
 *      mira_xenbus_write_frontend_tx (retried whole on a conflict) and
 *      mira_xenbus_switch_state(&d, XenbusStateInitialised);
 *   4. mira_xenbus_wait_backend_state(&d, MIRA_XENBUS_BIT(Connected), t),
 *      then mira_xenbus_switch_state(&d, XenbusStateConnected);
 *   5. at the end, or when a wait reports MIRA_ECLOSED (the backend is
 *      Closing/Closed), mira_xenbus_close(&d, t): our state Closing, wait
 *      for the backend to close, our state Closed.  Only then does the
 *      backend no longer map the driver's pages: the driver ends its grants
 *      (mira_gnttab_end_deferred covers a backend slow to let go) and
 *      closes its event channel.
 *
 * Errors: those of mira/xen/xenstore.h, plus MIRA_ECORRUPT (a backend
 * value the protocol does not allow), MIRA_ETIMEDOUT (a deadline passed),
 * MIRA_ECLOSED (the backend closed while we waited for something else),
 * MIRA_ENOENT (no such device).
 */
#ifndef MIRA_XEN_XENBUS_H
#define MIRA_XEN_XENBUS_H

#include <stdint.h>
#include <mira/time.h>
#include <mira/xen/xenbus_proto.h>
#include <mira/xen/xenstore.h>

/* A PV device's xenbus connection.  Owned by the driver, the fields are
 * read-only for it. */
struct mira_xenbus_dev {
    char node[64];       /* the frontend's node: device/<type>/<id> */
    char backend[128];   /* the backend's node (absolute) */
    char token[72];      /* the watch token on <backend>/state */
    uint16_t backend_id; /* the backend's domain */
    XenbusState state;   /* ours, as last written */
    XenbusState backend_state; /* the backend's, as last read */
    int open;
};

/* Opens device <type>/<id>: reads backend and backend-id from its node,
 * watches the backend's state.  0, MIRA_ENOENT (no such device),
 * MIRA_ECORRUPT (a bad backend-id) or a xenstore error. */
int mira_xenbus_open(struct mira_xenbus_dev *d, const char *type, int id);

/* Reads <backend>/<key> into buf (as mira_xs_read: the value's length). */
long mira_xenbus_read_backend(struct mira_xenbus_dev *d, const char *key,
                              char *buf, size_t size);

/* Reads <backend>/<key> as a decimal number.  0 or a negative code
 * (MIRA_ECORRUPT: not a number). */
int mira_xenbus_read_backend_u64(struct mira_xenbus_dev *d, const char *key,
                                 uint64_t *v);

/* What mira_xenbus_write_frontend_tx calls inside the transaction: writes
 * the frontend's keys with mira_xenbus_write (or mira_xs_*_tx), returns 0
 * or a negative code (which aborts the transaction). */
typedef int (*mira_xenbus_tx_fn)(struct mira_xenbus_dev *d, mira_xs_tx tx,
                                 void *arg);

/* Runs fn in a transaction and commits it, retrying the whole transaction
 * (up to 16 times) when xenstored reports a conflict.  0 or a negative
 * code (fn's, or MIRA_EAGAIN when every try conflicted). */
int mira_xenbus_write_frontend_tx(struct mira_xenbus_dev *d,
                                  mira_xenbus_tx_fn fn, void *arg);

/* Writes <frontend node>/<key> = value inside tx (MIRA_XS_NO_TX: now). */
int mira_xenbus_write(struct mira_xenbus_dev *d, mira_xs_tx tx,
                      const char *key, const char *value);

/* As mira_xenbus_write with a decimal value. */
int mira_xenbus_write_u64(struct mira_xenbus_dev *d, mira_xs_tx tx,
                          const char *key, uint64_t value);

/* Writes our state.  0 or a xenstore error. */
int mira_xenbus_switch_state(struct mira_xenbus_dev *d, XenbusState state);

/* Waits until the backend's state is one of want (MIRA_XENBUS_BIT set) or
 * deadline passes.  Returns that state (>= 0), MIRA_ECLOSED if the backend
 * is Closing or Closed and want has neither, MIRA_ETIMEDOUT, MIRA_ECORRUPT
 * (a state value out of range), or a xenstore error. */
int mira_xenbus_wait_backend_state(struct mira_xenbus_dev *d, unsigned want,
                                   mira_time_t deadline);

/* Closes the connection: our state Closing, wait for the backend to reach
 * Closing or Closed, our state Closed, wait for the backend's Closed (a
 * backend node that vanished counts as closed), unwatch.  Returns 0 or
 * MIRA_ETIMEDOUT (our state is Closed either way) or a xenstore error.
 * Closing a closed device does nothing. */
int mira_xenbus_close(struct mira_xenbus_dev *d, mira_time_t deadline);

#endif
