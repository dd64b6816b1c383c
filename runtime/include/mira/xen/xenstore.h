/*
 * mira/xen/xenstore.h - a xenstore client for Mira's Xen drivers.
 *
 * Paths without a leading '/' are relative to the guest's home,
 * /local/domain/<domid>.  Calls made by a fiber wait on that fiber only
 * (several fibers may have requests in flight at once); calls made before
 * the scheduler runs, or while the guest shuts down, poll the ring.
 *
 * Every message xenstored sends is read off the ring by whoever gets there
 * first (the event channel handler, or any fiber waiting in one of these
 * calls) and dispatched: a reply to the request that waits for its req_id,
 * a watch event to its token's queue.  Nothing stays unread on the ring.
 *
 * Errors (every call that can fail returns 0 or a count on success and one
 * of these on failure):
 *   MIRA_ENOENT    no such node (or, for a watch call, no such watch)
 *   MIRA_EAGAIN    a transaction conflicted (retry it whole); no event yet
 *                  (mira_xs_poll_watch)
 *   MIRA_EINVAL    a path or value too long, or refused by xenstored
 *   MIRA_ENOMEM    out of memory here, or xenstored's quota
 *   MIRA_EROFS     xenstored is read-only
 *   MIRA_ETIMEDOUT no reply before the call's deadline (the runtime
 *                  parameter xenstore-timeout-ms, 5000 by default); the
 *                  late reply, if it ever comes, is dropped
 *   MIRA_ECORRUPT  a malformed reply (wrong type, bad transaction id)
 *   MIRA_EIO       xenstored refused (EACCES, EEXIST, ...), or the
 *                  connection is broken: xenstored sent something that
 *                  cannot be framed (a length above XENSTORE_PAYLOAD_MAX, an
 *                  unknown message type, a message cut short at a deadline,
 *                  corrupt ring indices).  Broken is final: the reason is
 *                  logged once and every later call fails with MIRA_EIO.
 *   MIRA_ENOTSUP   no xenstore (not on Xen)
 */
#ifndef MIRA_XEN_XENSTORE_H
#define MIRA_XEN_XENSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mira/time.h>

struct mira_waitq;

/* A transaction id; MIRA_XS_NO_TX (0) = none. */
typedef uint32_t mira_xs_tx;
#define MIRA_XS_NO_TX 0u

/* Reads path into buf (NUL-terminated; cut to size - 1 bytes).  Returns
 * the value's full length or a negative code. */
long mira_xs_read(const char *path, char *buf, size_t size);

/* Writes value at path (creating it). 0 or a negative code. */
int mira_xs_write(const char *path, const char *value);

/* Lists the children of path into buf as consecutive NUL-terminated names;
 * returns their number or a negative code (MIRA_ERANGE: buf too small). */
long mira_xs_directory(const char *path, char *buf, size_t size);

/* Removes path and everything below it. 0 or a negative code. */
int mira_xs_rm(const char *path);

/* Starts a transaction: 0 with *tx set, or a negative code.  Reads and
 * writes made with *tx see a snapshot and become visible together at
 * mira_xs_transaction_end(*tx, false). */
int mira_xs_transaction_start(mira_xs_tx *tx);

/* Commits (abort = false) or aborts tx; either way tx is finished.
 * MIRA_EAGAIN when xenstored reports a conflict (another writer changed
 * the store meanwhile): nothing was written, the caller retries the whole
 * transaction. */
int mira_xs_transaction_end(mira_xs_tx tx, bool abort);

/* mira_xs_read and mira_xs_write inside transaction tx (MIRA_XS_NO_TX:
 * outside any, as mira_xs_read and mira_xs_write). */
long mira_xs_read_tx(mira_xs_tx tx, const char *path, char *buf, size_t size);
int mira_xs_write_tx(mira_xs_tx tx, const char *path, const char *value);

/* Registers a watch on path with token (a token may watch several paths).
 * xenstored fires it once at once, then at each change at or below path;
 * each event is queued under its token (at most 64 distinct paths are
 * queued per token: a path already queued is not queued twice, and events
 * beyond the bound are dropped and counted).  Events for tokens that no
 * watch registered are dropped and counted.  0 or a negative code
 * (MIRA_ENOMEM: no memory for the token). */
int mira_xs_watch(const char *path, const char *token);

/* Removes the watch on path with token and drops the token's queued events
 * at or below path (all of them when it was the token's last watch).
 * 0 or a negative code (MIRA_ENOENT: this process has no such watch). */
int mira_xs_unwatch(const char *path, const char *token);

/* Waits (the calling fiber; polling before the scheduler runs) for the
 * next event of token until the monotonic clock reaches deadline
 * (MIRA_TIME_NEVER: no deadline), and writes the path that changed into
 * path_buf (NUL-terminated, cut to size - 1 bytes).  0, MIRA_ETIMEDOUT,
 * MIRA_ENOENT (no watch has token), MIRA_EIO (broken) or MIRA_ENOTSUP. */
int mira_xs_wait_watch(const char *token, char *path_buf, size_t size,
                       mira_time_t deadline);

/* Takes the next queued event of token without waiting (after reading
 * whatever is on the ring): 0, or MIRA_EAGAIN if none; MIRA_ENOENT,
 * MIRA_EIO, MIRA_ENOTSUP as mira_xs_wait_watch. */
int mira_xs_poll_watch(const char *token, char *path_buf, size_t size);

/* A wait queue woken whenever any watch event is queued, so that a driver
 * can wait for "a ring event or a watch event" at once (then it calls
 * mira_xs_poll_watch).  Never NULL. */
struct mira_waitq *mira_xs_watch_waitq(void);

/* This domain's id, read at boot (0 if unknown). */
unsigned mira_xs_domid(void);

/* What the client dropped or gave up on since boot, for diagnostics and
 * tests; each also gets a log line (the first of each kind a warning). */
struct mira_xs_stats {
    unsigned long events_unknown;   /* watch events for unregistered tokens */
    unsigned long events_dropped;   /* events lost: queue bound, no memory */
    unsigned long events_malformed; /* WATCH_EVENT payloads without NULs */
    unsigned long replies_unmatched; /* replies nobody waits for (late) */
    unsigned long timeouts;         /* requests that reached their deadline */
    bool broken;                    /* the connection is broken (final) */
};

/* Copies the counters into *stats. */
void mira_xs_get_stats(struct mira_xs_stats *stats);

#endif
