/*
 * mira/stop.h - being asked to stop from outside.
 *
 * A server runs until its operator stops it: on unix with SIGINT (Ctrl-C)
 * or SIGTERM; on xen with the toolstack's shutdown request (xl shutdown or
 * xl reboot: xenstore's control/shutdown).  The app waits for the request
 * in a fiber, then winds down and returns from unikernel_start, so devices
 * are closed and the exit status is the app's (0 for a clean end).
 *
 * Errors follow mira/error.h.
 */
#ifndef MIRA_STOP_H
#define MIRA_STOP_H

#include <stdbool.h>
#include <mira/error.h>
#include <mira/time.h>

/* mira_stop_catch: from now on a stop request is kept for mira_stop_wait
 * instead of ending the unikernel (unix: SIGINT and SIGTERM are taken
 * over).  mira_stop_wait does it itself; an app calls it first when a
 * request may come before its first mira_stop_wait (after it has said it
 * is ready, say).  Calling it again does nothing. */
void mira_stop_catch(void);

/* mira_stop_wait: waits (the calling fiber only) until the unikernel is
 * asked to stop, or deadline.  Returns 0 (asked; from then on every call
 * returns 0 at once) or MIRA_ETIMEDOUT.  Several fibers may wait.  Calls
 * mira_stop_catch first. */
int mira_stop_wait(mira_time_t deadline);

/* mira_stop_requested: true once the unikernel has been asked to stop
 * (seen by a mira_stop_wait call). */
bool mira_stop_requested(void);

#endif
