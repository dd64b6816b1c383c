/*
 * mira/unix.h - services of the unix platform for unix drivers.
 *
 * Only drivers built for -Dtarget=unix include this header.
 */
#ifndef MIRA_UNIX_H
#define MIRA_UNIX_H

#include <mira/time.h>

/* mira_unix_wait_fd: suspends the calling fiber until file descriptor fd
 * has one of events (poll(2) bits such as POLLIN, POLLOUT) or the
 * monotonic clock reaches deadline (MIRA_TIME_NEVER: no deadline).
 * Returns the poll revents (> 0), or MIRA_ETIMEDOUT. */
int mira_unix_wait_fd(int fd, short events, mira_time_t deadline);

#endif
