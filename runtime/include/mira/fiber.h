/*
 * mira/fiber.h - cooperative fibers, the only concurrency in Mira.
 *
 * All fibers share one address space and one CPU.  A fiber runs until it
 * calls something that waits (mira_yield, mira_sleep, mira_wait, or a
 * device call that waits for I/O); there is no preemption, so no locks are
 * needed between fibers.  When every fiber waits, the platform sleeps until
 * the next timer or I/O event.  If every fiber waits and nothing (no timer,
 * no I/O source) can ever wake one, the unikernel reports a deadlock and
 * exits with status MIRA_EXIT_DEADLOCK.
 */
#ifndef MIRA_FIBER_H
#define MIRA_FIBER_H

#include <stdbool.h>
#include <stddef.h>
#include <mira/time.h>

/* The exit status of a unikernel stopped because all fibers deadlocked. */
#define MIRA_EXIT_DEADLOCK 70

/* A stack size that suits ordinary fibers (64 KiB). */
#define MIRA_FIBER_STACK_DEFAULT ((size_t)64 * 1024)

struct mira_fiber;

typedef void (*mira_fiber_fn)(void *arg);

/* mira_spawn: creates a fiber named name (kept by pointer; used in
 * diagnostics) that will run fn(arg) on a fresh stack of stack_size bytes
 * (0 means MIRA_FIBER_STACK_DEFAULT).  The new fiber is runnable; the caller
 * keeps running.  Everything it holds is freed when fn returns.  Returns
 * MIRA_OK, or MIRA_ENOMEM when memory runs out. */
int mira_spawn(const char *name, mira_fiber_fn fn, void *arg,
               size_t stack_size);

/* mira_spawn_joinable: as mira_spawn, but the fiber's record stays until
 * mira_join(f) collects it, which must happen exactly once.  Returns the
 * fiber, or NULL when memory runs out. */
struct mira_fiber *mira_spawn_joinable(const char *name, mira_fiber_fn fn,
                                       void *arg, size_t stack_size);

/* mira_join: waits until joinable fiber f has returned, then frees it. */
void mira_join(struct mira_fiber *f);

/* mira_yield: lets every other runnable fiber run once, then returns. */
void mira_yield(void);

/* mira_self: the fiber that is running now. */
struct mira_fiber *mira_self(void);

/* mira_fiber_name: the name given to mira_spawn ("main" for the first). */
const char *mira_fiber_name(const struct mira_fiber *f);

/*
 * Wait queues: the way a fiber waits for something another fiber or an
 * I/O event will do.  A queue is a plain struct the owner embeds; it must be
 * initialised with mira_waitq_init, MIRA_WAITQ_INIT or
 * MIRA_WAITQ_INIT_EXTERNAL before use.  A fiber may wait on several queues
 * at once (mira_wait_any); whichever wakes it first removes it from all.
 */
struct mira_wait_link; /* one fiber on one queue; private to the scheduler */

struct mira_waitq {
    struct mira_wait_link *head, *tail;
    /* True when a platform event source (a file descriptor, an event
     * channel) can wake this queue: then a fiber waiting on it does not count
     * as deadlocked. Drivers set it; applications leave it false. */
    bool external;
};

/* An empty queue that only fibers wake. */
#define MIRA_WAITQ_INIT { NULL, NULL, false }
/* An empty queue that a platform event source wakes (see external). */
#define MIRA_WAITQ_INIT_EXTERNAL { NULL, NULL, true }

/* The most queues one mira_wait_any call can wait on. */
#define MIRA_WAIT_ANY_MAX 8

/* mira_waitq_init: makes q empty. external: see struct mira_waitq. */
void mira_waitq_init(struct mira_waitq *q, bool external);

/* mira_wait: suspends the calling fiber on q until a mira_wake* call wakes
 * it.  Returns 0. Callers re-check their condition in a loop. */
int mira_wait(struct mira_waitq *q);

/* mira_wait_until: as mira_wait, but gives up when the monotonic clock
 * reaches deadline: returns 0 if woken, MIRA_ETIMEDOUT if not. */
int mira_wait_until(struct mira_waitq *q, mira_time_t deadline);

/* mira_wait_any: suspends the calling fiber on every queue of qs[0..n-1]
 * (1 <= n <= MIRA_WAIT_ANY_MAX, else a panic) until one of them wakes it or
 * the monotonic clock reaches deadline (MIRA_TIME_NEVER: no deadline).
 * Being woken through one queue takes the fiber off all of them.  Returns
 * the index in qs of the queue that woke it (the first such index if a
 * queue appears twice), or MIRA_ETIMEDOUT. */
int mira_wait_any(struct mira_waitq *const qs[], int n, mira_time_t deadline);

/* mira_wake_one: makes the longest-waiting fiber of q runnable. Returns
 * true if there was one. Callable from fibers and platform event handlers. */
bool mira_wake_one(struct mira_waitq *q);

/* mira_wake_all: makes every fiber waiting on q runnable; returns how many. */
int mira_wake_all(struct mira_waitq *q);

#endif
