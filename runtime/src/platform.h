/*
 * platform.h - the seam between the portable runtime and a platform.
 *
 * The portable part (scheduler, timers, wait queues, log, params, format)
 * calls only these functions; each platform (platform/unix, platform/xen)
 * implements all of them and nothing else leaks across.  Platform code
 * calls back into the portable part through mira_runtime_start() (once, at
 * boot), mira_param_add() (while parsing its command line) and the public
 * mira_wake_* functions (from its event handlers inside mira_platform_wait).
 */
#ifndef MIRA_PLATFORM_H
#define MIRA_PLATFORM_H

#include <stddef.h>
#include <mira/time.h>

/* Monotonic nanoseconds since boot, never decreasing. */
mira_time_t mira_platform_monotonic(void);

/* Wall-clock nanoseconds since the Unix epoch. */
mira_time_t mira_platform_wall(void);

/* Dispatches pending I/O events (their handlers call mira_wake_*) and
 * returns; if none is pending, first blocks the whole unikernel until one
 * arrives or the monotonic clock reaches deadline (MIRA_TIME_NEVER: no
 * deadline).  Returning early, with nothing woken, is allowed.
 *
 * A deadline <= now (MIRA_PLATFORM_POLL) is a non-blocking poll: dispatch
 * what is pending, never block.  The scheduler calls it in two ways:
 *   - with the earliest timer deadline (or MIRA_TIME_NEVER) when no fiber
 *     is runnable: the idle wait;
 *   - with MIRA_PLATFORM_POLL every 64 dispatches while fibers are
 *     runnable, so that a busy fiber cannot starve I/O.
 * Handlers may wake fibers in both cases. */
void mira_platform_wait(mira_time_t deadline);

/* The deadline of a non-blocking poll: 0 is never after the monotonic
 * clock, which starts at 0 at boot. */
#define MIRA_PLATFORM_POLL ((mira_time_t)0)

/* Fills buf with n random bytes (mira/random.h has the quality each
 * platform gives).  Never fails: a platform without any source panics. */
void mira_platform_random(void *buf, size_t n);

/* Writes len bytes on the diagnostic channel (unix: stderr; xen: the
 * console, and port 0xe9 before the console exists). Never waits on a
 * fiber; usable from panics. */
void mira_platform_diag_write(const char *buf, size_t len);

/* Allocates a fiber stack of at least size bytes, with an unmapped guard
 * page below it where the platform can; NULL when memory runs out.  *bottom
 * receives the lowest usable address and *usable the usable size. */
void *mira_platform_stack_alloc(size_t size, void **bottom, size_t *usable);
void mira_platform_stack_free(void *stack, size_t size);

/* Nanoseconds the boot took so far, for boot-time=1 (runtime.c), and in
 * *clock what they are measured from, as text: xen counts from the guest's
 * first instruction in Xen's system time (the PV clock); unix from main().
 * Negative when the platform cannot tell (xen without Xen). */
long long mira_platform_boot_ns(const char **clock);

/* Ends the unikernel with exit status status (0..255). */
_Noreturn void mira_platform_exit(int status);

/* Ends the unikernel as crashed, after mira_panic has printed why. */
_Noreturn void mira_platform_crash(void);

/* --- portable side, called by the platform --- */

/* Records one runtime parameter; key and value are copied. */
void mira_param_add(const char *key, const char *value);

/* Runs the app: spawns the main fiber on mira_app_main, schedules until it
 * returns, and returns its exit status (0..255).  The platform then calls
 * mira_platform_exit with it. */
int mira_runtime_start(void);

#endif
