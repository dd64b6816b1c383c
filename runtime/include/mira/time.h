/*
 * mira/time.h - clocks and sleeping.
 *
 * Time is a signed 64-bit count of nanoseconds (mira_time_t).  The
 * monotonic clock starts near zero when the unikernel boots and never goes
 * back; the wall clock is nanoseconds since the Unix epoch and may jump.
 */
#ifndef MIRA_TIME_H
#define MIRA_TIME_H

#include <stdint.h>

typedef int64_t mira_time_t;

/* A deadline that never comes. */
#define MIRA_TIME_NEVER INT64_MAX

#define MIRA_NANOSECONDS(n)  ((mira_time_t)(n))
#define MIRA_MICROSECONDS(n) ((mira_time_t)(n) * 1000)
#define MIRA_MILLISECONDS(n) ((mira_time_t)(n) * 1000000)
#define MIRA_SECONDS(n)      ((mira_time_t)(n) * 1000000000)

/* mira_clock_monotonic: nanoseconds since boot; never decreases. */
mira_time_t mira_clock_monotonic(void);

/* mira_clock_wall: nanoseconds since 1970-01-01 00:00:00 UTC. */
mira_time_t mira_clock_wall(void);

/* mira_sleep: suspends the calling fiber for at least duration ns (<= 0
 * just yields). Other fibers run meanwhile. */
void mira_sleep(mira_time_t duration);

/* mira_sleep_until: suspends the calling fiber until the monotonic clock
 * reaches deadline (a deadline in the past just yields). */
void mira_sleep_until(mira_time_t deadline);

#endif
