/*
 * mira/xen/xenstore.h - a xenstore client for Mira's Xen drivers.
 *
 * Paths without a leading '/' are relative to the guest's home,
 * /local/domain/<domid>.  Calls made by a fiber wait on that fiber only;
 * calls made before the scheduler runs (or while the guest shuts down)
 * poll.  Requests are serialised: one is in flight at a time.
 * Errors: MIRA_ENOENT (no such node), MIRA_EIO (xenstored refused),
 * MIRA_EINVAL (a path or value too long), MIRA_ENOTSUP (no xenstore).
 */
#ifndef MIRA_XEN_XENSTORE_H
#define MIRA_XEN_XENSTORE_H

#include <stddef.h>

/* Reads path into buf (NUL-terminated; cut to size - 1 bytes).  Returns
 * the value's full length or a negative code. */
long mira_xs_read(const char *path, char *buf, size_t size);

/* Writes value at path (creating it). 0 or a negative code. */
int mira_xs_write(const char *path, const char *value);

/* Lists the children of path into buf as consecutive NUL-terminated names;
 * returns their number or a negative code (MIRA_ERANGE: buf too small). */
long mira_xs_directory(const char *path, char *buf, size_t size);

/* Removes path. */
int mira_xs_rm(const char *path);

/* Registers a watch on path with token; xenstored fires it once at once,
 * then at each change below path.  mira_xs_wait_watch waits (fiber) for the
 * next event of token, writing the changed path into path_buf. */
int mira_xs_watch(const char *path, const char *token);
int mira_xs_unwatch(const char *path, const char *token);
int mira_xs_wait_watch(const char *token, char *path_buf, size_t size);

/* This domain's id, read at boot (0 if unknown). */
unsigned mira_xs_domid(void);

#endif
