/*
 * mira/error.h - the error contract shared by every Mira interface.
 *
 * Every function that can fail returns 0 (or a non-negative count) on
 * success and a negative MIRA_E* code on failure; nothing else is ever
 * returned and errno is never used.  Programmer errors (a NULL device, an
 * impossible argument) are not reported this way: they abort the unikernel
 * with a message through mira_panic().
 */
#ifndef MIRA_ERROR_H
#define MIRA_ERROR_H

enum mira_error {
    MIRA_OK = 0,
    MIRA_EINVAL = -1,     /* an argument is out of its documented range */
    MIRA_ENOMEM = -2,     /* memory or another finite resource ran out */
    MIRA_EIO = -3,        /* the device or its backend reported a failure */
    MIRA_ERANGE = -4,     /* an offset or sector lies outside the device */
    MIRA_ENOENT = -5,     /* no such key, file or device */
    MIRA_EAGAIN = -6,     /* nothing available now; a non-blocking call */
    MIRA_ETIMEDOUT = -7,  /* a deadline passed before the event */
    MIRA_ECLOSED = -8,    /* the peer or the device has gone away */
    MIRA_EROFS = -9,      /* write to a read-only device */
    MIRA_ENOTSUP = -10,   /* the driver does not implement this operation */
    MIRA_ECORRUPT = -11,  /* on-disk or on-wire data is malformed */
    MIRA_EADDRINUSE = -12, /* the address or port is already bound */
    MIRA_ECONNREFUSED = -13, /* the peer refused the connection */
};

/* mira_strerror: a short constant English text naming code (negative or 0).
 * Unknown codes give "unknown error". Never returns NULL. */
const char *mira_strerror(int code);

#endif
