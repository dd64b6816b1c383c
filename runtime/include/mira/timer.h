/*
 * mira/timer.h - cancellable one-shot timers for drivers and protocols.
 *
 * A struct mira_timer is embedded by its owner (a TCP connection keeps
 * several: retransmission, delayed ACK, keep-alive, TIME-WAIT).  Arming,
 * re-arming and cancelling cost O(log n) in the scheduler's timer heap, the
 * one that sleeping fibers use, and never allocate: mira_timer_init
 * reserves the timer's heap slot once, mira_timer_fini gives it back.
 *
 * When an armed timer's deadline passes, the scheduler disarms it and runs
 * its callback on the scheduler's own stack, between two fibers.  A
 * callback must not wait (mira_wait*, mira_sleep*, mira_yield, or any call
 * that may wait panics: there is no fiber to suspend); it may wake queues,
 * spawn fibers, and arm, re-arm, cancel or fini any timer, itself included.
 * A timer re-armed by its callback for a deadline already past runs again
 * on the scheduler's next pass, not in the same one.
 *
 * Errors follow mira/error.h.
 */
#ifndef MIRA_TIMER_H
#define MIRA_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mira/fiber.h>
#include <mira/time.h>

typedef void (*mira_timer_fn)(void *arg);

/* The fields are the scheduler's: owners only embed the struct. */
struct mira_timer {
    mira_time_t deadline;
    uint64_t seq;             /* orders equal deadlines: first armed first */
    size_t heap_index;        /* position in the timer heap, or SIZE_MAX */
    mira_timer_fn fn;
    void *arg;
    bool reserved;            /* holds a heap slot (between init and fini) */
};

/* mira_timer_init: prepares t, disarmed, to call fn(arg) when it fires.
 * Returns MIRA_OK, or MIRA_ENOMEM when the timer heap cannot grow. */
int mira_timer_init(struct mira_timer *t, mira_timer_fn fn, void *arg);

/* mira_timer_init_wake: as mira_timer_init, with a callback that wakes every
 * fiber waiting on q (mira_wake_all) when t fires. */
int mira_timer_init_wake(struct mira_timer *t, struct mira_waitq *q);

/* mira_timer_arm: makes t fire when the monotonic clock reaches deadline,
 * replacing any deadline it had.  A deadline already past fires on the
 * scheduler's next pass; MIRA_TIME_NEVER disarms it.  Never fails. */
void mira_timer_arm(struct mira_timer *t, mira_time_t deadline);

/* mira_timer_cancel: disarms t.  Returns true if it was armed (its callback
 * will not run), false if it had fired or was never armed. */
bool mira_timer_cancel(struct mira_timer *t);

/* mira_timer_armed: true while t is armed and has not fired. */
bool mira_timer_armed(const struct mira_timer *t);

/* mira_timer_fini: disarms t and releases its heap slot; t may then be
 * freed or initialised again. */
void mira_timer_fini(struct mira_timer *t);

#endif
