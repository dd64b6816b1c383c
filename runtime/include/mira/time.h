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

/* mira_time_add: t + d, saturated at MIRA_TIME_NEVER and INT64_MIN instead
 * of overflowing, so "now + a long timeout" is never a deadline in the past.
 * Use it for every deadline computed from a duration. */
static inline mira_time_t mira_time_add(mira_time_t t, mira_time_t d)
{
    if (d > 0 && t > MIRA_TIME_NEVER - d)
        return MIRA_TIME_NEVER;
    if (d < 0 && t < INT64_MIN - d)
        return INT64_MIN;
    return t + d;
}

/* mira_clock_monotonic: nanoseconds since boot; never decreases. */
mira_time_t mira_clock_monotonic(void);

/* mira_clock_wall: nanoseconds since 1970-01-01 00:00:00 UTC. */
mira_time_t mira_clock_wall(void);

/* mira_sleep: suspends the calling fiber for at least duration ns (<= 0
 * just yields). Other fibers run meanwhile.  The deadline saturates: a
 * duration too long to add to the clock (MIRA_TIME_NEVER) sleeps forever. */
void mira_sleep(mira_time_t duration);

/* mira_sleep_until: suspends the calling fiber until the monotonic clock
 * reaches deadline (a deadline in the past just yields).  MIRA_TIME_NEVER
 * sleeps forever: if every fiber then waits with nothing to wake it, the
 * unikernel reports a deadlock (see mira/fiber.h). */
void mira_sleep_until(mira_time_t deadline);

#endif
