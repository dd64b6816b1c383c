/*
 * mira/kv_direct.h - the key/value driver over a host directory, read at
 * run time (unix target only).
 *
 * Runtime parameter (device kv0 shown; every device has its own):
 *   --kv0-dir=PATH   the directory the device serves (default: the one the
 *                    app named at build time, by absolute path, so the
 *                    unikernel runs from any directory)
 *
 * A key never reaches outside the directory: each is resolved with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) below the directory
 * opened at connect, so "..", an absolute symbolic link or a relative one
 * that climbs out is MIRA_ENOENT, never a read outside.  On a kernel
 * without openat2 (before Linux 5.6) keys are walked one component at a
 * time with O_NOFOLLOW, and every symbolic link is MIRA_ENOENT.  Only
 * regular files and directories are served; anything else (a FIFO, a
 * device node, a socket) is MIRA_ENOENT.  Calls are plain system calls on
 * the host's file system: they block the whole unikernel for as long as
 * the host takes, which for a local directory is short.
 */
#ifndef MIRA_KV_DIRECT_H
#define MIRA_KV_DIRECT_H

#include <mira/kv_ro.h>

/* Built with the app: the directory a device serves when --<dev>-dir is
 * not given (the top-level meson.build writes it from the app's list). */
struct mira_kv_direct_data {
    const char *dir;
};

/* mira_kv_direct_connect: opens the directory of device name (kept by
 * pointer): --<name>-dir, else data->dir.  Returns 0, or MIRA_ENOENT (no
 * such directory), MIRA_EINVAL (not a directory), MIRA_EIO or MIRA_ENOMEM,
 * after logging one line that says why. */
int mira_kv_direct_connect(struct mira_kv_ro **out, const char *name,
                           const struct mira_kv_direct_data *data);

#endif
