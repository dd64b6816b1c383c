/* unix_internal.h - shared between the unix platform's files. */
#ifndef MIRA_UNIX_INTERNAL_H
#define MIRA_UNIX_INTERNAL_H

#include <time.h>
#include <mira/time.h>

/* The CLOCK_MONOTONIC reading taken at start; monotonic time counts from it. */
extern mira_time_t mira_unix_boot_ns;

/* Nanoseconds of clock id. */
mira_time_t mira_unix_clock_ns(clockid_t id);

#endif
