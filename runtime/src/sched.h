/* sched.h - the scheduler's interface to the runtime's start-up code and
 * to the unit tests. */
#ifndef MIRA_SCHED_H
#define MIRA_SCHED_H

#include <stddef.h>
#include <mira/fiber.h>

/* What mira_sched_run returns when main_fiber has finished: 256 is neither
 * an exit status (0..255, such as MIRA_EXIT_DEADLOCK) nor a MIRA_E* code. */
#define MIRA_SCHED_MAIN_DONE 256

/* Creates the first fiber ("main"), joinable, runnable. */
struct mira_fiber *mira_sched_spawn_main(mira_fiber_fn fn, void *arg,
                                         size_t stack_size);

/* Runs fibers until main_fiber finishes (returns MIRA_SCHED_MAIN_DONE) or
 * every fiber deadlocks (reports it, returns MIRA_EXIT_DEADLOCK). */
int mira_sched_run(struct mira_fiber *main_fiber);

/* Frees a finished joinable fiber without joining it (the main fiber). */
void mira_sched_collect(struct mira_fiber *f);

/* Frees every fiber and the timer heap and forgets all state (tests;
 * shutdown).  Copes with a fiber that never switched back, because a test
 * assertion failing inside it longjmp'ed to the test runner.  Timers and
 * wait queues that callers initialised are forgotten too: initialise them
 * again before the next run. */
void mira_sched_reset(void);

/* The number of armed timers: fibers' deadlines and driver timers (tests). */
size_t mira_sched_timers_armed(void);

/* The number of fibers waiting on q (tests). */
size_t mira_sched_waitq_length(const struct mira_waitq *q);

/* The number of fibers that have not finished. */
size_t mira_sched_live(void);

#endif
