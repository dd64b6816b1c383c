/* unix_internal.h - shared between the unix platform's files. */
#ifndef MIRA_UNIX_INTERNAL_H
#define MIRA_UNIX_INTERNAL_H

#include <stddef.h>
#include <time.h>
#include <mira/time.h>

/* The CLOCK_MONOTONIC reading taken at start; monotonic time counts from it. */
extern mira_time_t mira_unix_boot_ns;

/* Nanoseconds of clock id. */
mira_time_t mira_unix_clock_ns(clockid_t id);

/* The poll(2) timeout in milliseconds for waiting from now until deadline:
 * -1 (forever) for MIRA_TIME_NEVER, 0 for a deadline <= now, otherwise the
 * time left rounded up to whole milliseconds and clamped to INT_MAX. */
int mira_unix_poll_timeout(mira_time_t deadline, mira_time_t now);

/* The number of fibers waiting on a file descriptor. */
size_t mira_unix_fd_waiting(void);

/* Forgets every fiber waiting on a file descriptor (after mira_sched_reset
 * freed them: tests). */
void mira_unix_forget_waiters(void);

#endif
