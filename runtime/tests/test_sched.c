/* Unit tests of the fiber scheduler: ordering, wait queues, scale, deadlock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <mira/error.h>
#include <mira/fiber.h>
#include <mira/time.h>
#include <mira/timer.h>
#include <mira/unix.h>
#include "platform.h"
#include "platform/unix/unix_internal.h"
#include "sched.h"

/* An order log the fibers append to. */
static char order[256];
static size_t order_len;

static void note(char c)
{
    if (order_len + 1 < sizeof(order))
        order[order_len++] = c;
    order[order_len] = '\0';
}

static int setup(void **state)
{
    (void)state;
    order_len = 0;
    order[0] = '\0';
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mira_sched_reset();
    mira_unix_forget_waiters();
    return 0;
}

/* Runs fn as the main fiber and returns what the scheduler returned. */
static int run_main(mira_fiber_fn fn, void *arg)
{
    struct mira_fiber *m = mira_sched_spawn_main(fn, arg, 0);
    assert_non_null(m);
    int r = mira_sched_run(m);
    if (r == MIRA_SCHED_MAIN_DONE)
        mira_sched_collect(m);
    return r;
}

/* --- sleeps wake in deadline order, ties in the order they slept --- */
struct sleeper { char tag; int ms; };

static void sleeper_fiber(void *arg)
{
    struct sleeper *s = arg;
    mira_sleep(MIRA_MILLISECONDS(s->ms));
    note(s->tag);
}

static struct sleeper sleepers[] = {
    { 'c', 30 }, { 'a', 10 }, { 'd', 30 }, { 'b', 20 }, { 'e', 40 },
};

static void sleep_order_main(void *arg)
{
    (void)arg;
    struct mira_fiber *f[5];
    for (int i = 0; i < 5; i++)
        f[i] = mira_spawn_joinable("sleeper", sleeper_fiber, &sleepers[i], 0);
    for (int i = 0; i < 5; i++)
        mira_join(f[i]);
}

static void test_sleep_order(void **state)
{
    (void)state;
    mira_time_t t0 = mira_clock_monotonic();
    assert_int_equal(run_main(sleep_order_main, NULL), MIRA_SCHED_MAIN_DONE);
    assert_string_equal(order, "abcde");
    assert_true(mira_clock_monotonic() - t0 >= MIRA_MILLISECONDS(40));
}

/* --- a sleep lasts at least its duration, and the clock never goes back --- */
static void sleep_duration_main(void *arg)
{
    mira_time_t *slept = arg;
    mira_time_t t0 = mira_clock_monotonic();
    mira_sleep(MIRA_MILLISECONDS(25));
    *slept = mira_clock_monotonic() - t0;
}

static void test_sleep_duration(void **state)
{
    (void)state;
    mira_time_t slept = 0;
    assert_int_equal(run_main(sleep_duration_main, &slept), MIRA_SCHED_MAIN_DONE);
    assert_true(slept >= MIRA_MILLISECONDS(25));
}

/* --- the wall clock is Unix time; the monotonic clock does not go back --- */
static void test_clocks(void **state)
{
    (void)state;
    mira_time_t wall = mira_clock_wall();
    time_t now = time(NULL);
    assert_true(wall / MIRA_SECONDS(1) >= now - 1 && wall / MIRA_SECONDS(1) <= now + 1);
    mira_time_t prev = mira_clock_monotonic();
    for (int i = 0; i < 100000; i++) {
        mira_time_t t = mira_clock_monotonic();
        assert_true(t >= prev);
        prev = t;
    }
}

/* --- yield round-robins in FIFO order --- */
static void yielder(void *arg)
{
    char tag = *(char *)arg;
    for (int i = 0; i < 3; i++) {
        note(tag);
        mira_yield();
    }
}

static void yield_main(void *arg)
{
    (void)arg;
    static char tags[] = "xyz";
    struct mira_fiber *f[3];
    for (int i = 0; i < 3; i++)
        f[i] = mira_spawn_joinable("yielder", yielder, &tags[i], 0);
    for (int i = 0; i < 3; i++)
        mira_join(f[i]);
}

static void test_yield_round_robin(void **state)
{
    (void)state;
    assert_int_equal(run_main(yield_main, NULL), MIRA_SCHED_MAIN_DONE);
    assert_string_equal(order, "xyzxyzxyz");
}

/* --- wait queues: FIFO wake_one, wake_all, timeouts --- */
static struct mira_waitq q;

static void waiter(void *arg)
{
    char tag = *(char *)arg;
    assert_int_equal(mira_wait(&q), MIRA_OK);
    note(tag);
}

static void waitq_main(void *arg)
{
    (void)arg;
    static char tags[] = "1234";
    struct mira_fiber *f[4];
    mira_waitq_init(&q, false);
    for (int i = 0; i < 4; i++)
        f[i] = mira_spawn_joinable("waiter", waiter, &tags[i], 0);
    mira_yield(); /* all four now wait */
    note('w');
    assert_true(mira_wake_one(&q));
    assert_true(mira_wake_one(&q));
    mira_yield();
    note('W');
    assert_int_equal(mira_wake_all(&q), 2);
    assert_false(mira_wake_one(&q));
    for (int i = 0; i < 4; i++)
        mira_join(f[i]);
}

static void test_waitq_fifo(void **state)
{
    (void)state;
    assert_int_equal(run_main(waitq_main, NULL), MIRA_SCHED_MAIN_DONE);
    assert_string_equal(order, "w12W34");
}

static void timeout_main(void *arg)
{
    int *result = arg;
    struct mira_waitq nobody = MIRA_WAITQ_INIT;
    mira_time_t t0 = mira_clock_monotonic();
    result[0] = mira_wait_until(&nobody, t0 + MIRA_MILLISECONDS(15));
    result[1] = mira_clock_monotonic() - t0 >= MIRA_MILLISECONDS(15);
    result[2] = nobody.head == NULL;
}

static void test_wait_timeout(void **state)
{
    (void)state;
    int result[3] = { 0 };
    assert_int_equal(run_main(timeout_main, result), MIRA_SCHED_MAIN_DONE);
    assert_int_equal(result[0], MIRA_ETIMEDOUT);
    assert_true(result[1]);
    assert_true(result[2]);
}

/* A fiber woken before its deadline gets 0, and its timer is cancelled:
 * when the deadline passes, the stale timer must not wake it again from
 * the next thing it waits on.  Deterministic: main sleeps until exactly
 * that deadline; the waiter's timer, armed earlier, would fire first. */
static struct mira_waitq q2;
static int second_wait = 99, second_wait_returned;

static void early_woken(void *arg)
{
    int *first = arg;
    *first = mira_wait_until(&q, *(mira_time_t *)(first + 2));
    second_wait = mira_wait(&q2);
    second_wait_returned = 1;
}

static void woken_main(void *arg)
{
    int *result = arg;
    mira_time_t deadline = mira_clock_monotonic() + MIRA_MILLISECONDS(3);
    mira_waitq_init(&q, false);
    mira_waitq_init(&q2, false);
    memcpy(result + 2, &deadline, sizeof(deadline));
    second_wait = 99;
    second_wait_returned = 0;
    struct mira_fiber *f = mira_spawn_joinable("early", early_woken, result, 0);
    mira_yield();               /* it waits on q until deadline */
    result[1] = mira_wake_one(&q);
    result[3] = (int)mira_sched_timers_armed(); /* its deadline is void now */
    mira_yield();               /* it ran: now it waits on q2, no deadline */
    mira_sleep_until(deadline); /* the stale timer, if any, fires first */
    mira_yield();
    result[4] = second_wait_returned;
    mira_wake_one(&q2);
    mira_join(f);
}

static void test_wait_woken_before_deadline(void **state)
{
    (void)state;
    int result[5] = { 99, 0, 0, 0, 0 };
    assert_int_equal(run_main(woken_main, result), MIRA_SCHED_MAIN_DONE);
    assert_true(result[1]);
    assert_int_equal(result[0], MIRA_OK);
    if (result[3] != 0)
        fail_msg("a fiber woken before its deadline left its timer armed (%d timers "
                 "in the heap): make_runnable must cancel the timer", result[3]);
    if (result[4])
        fail_msg("a fiber woken before its deadline was woken again by its stale "
                 "timer (wait returned %d): make_runnable must cancel the timer",
                 second_wait);
    assert_int_equal(second_wait, MIRA_OK);
}

/* --- 10,000 fibers, each sleeping and waking through a shared queue --- */
#define MANY 10000
static int many_done;

static void many_fiber(void *arg)
{
    intptr_t i = (intptr_t)arg;
    mira_sleep(MIRA_MICROSECONDS(i % 50));
    mira_yield();
    many_done++;
}

static void many_main(void *arg)
{
    (void)arg;
    many_done = 0;
    for (intptr_t i = 0; i < MANY; i++)
        assert_int_equal(mira_spawn("many", many_fiber, (void *)i, 16 * 1024), MIRA_OK);
    while (many_done < MANY)
        mira_sleep(MIRA_MILLISECONDS(1));
}

static void test_ten_thousand_fibers(void **state)
{
    (void)state;
    assert_int_equal(run_main(many_main, NULL), MIRA_SCHED_MAIN_DONE);
    assert_int_equal(many_done, MANY);
    assert_int_equal(mira_sched_live(), 0);
}

/* --- deadlock: everyone waits, no timer, no I/O --- */
static void stuck(void *arg)
{
    (void)arg;
    mira_wait(&q);
}

static void deadlock_main(void *arg)
{
    (void)arg;
    mira_waitq_init(&q, false);
    mira_spawn("stuck-1", stuck, NULL, 0);
    mira_spawn("stuck-2", stuck, NULL, 0);
    mira_wait(&q);
}

static void test_deadlock_reported(void **state)
{
    (void)state;
    assert_int_equal(run_main(deadlock_main, NULL), MIRA_EXIT_DEADLOCK);
    assert_int_equal(mira_sched_live(), 3);
}

/* A fiber waiting on an external queue (I/O) with a timer pending is not a
 * deadlock; once the timer wakes it and it finishes, main completes. */
static void external_main(void *arg)
{
    int *result = arg;
    struct mira_waitq io;
    mira_waitq_init(&io, true);
    result[0] = mira_wait_until(&io, mira_clock_monotonic() + MIRA_MILLISECONDS(5));
}

static void test_external_wait_not_deadlock(void **state)
{
    (void)state;
    int result[1] = { 0 };
    assert_int_equal(run_main(external_main, result), MIRA_SCHED_MAIN_DONE);
    assert_int_equal(result[0], MIRA_ETIMEDOUT);
}

/* --- far deadlines saturate --- */
static int never_returned;

static void sleep_never(void *arg)
{
    (void)arg;
    mira_sleep(MIRA_TIME_NEVER);
    never_returned = 1;
}

static void sleep_never_main(void *arg)
{
    int *yields_seen = arg;
    never_returned = 0;
    assert_int_equal(mira_spawn("forever", sleep_never, NULL, 0), MIRA_OK);
    for (int i = 0; i < 100 && !never_returned; i++) {
        mira_yield();
        (*yields_seen)++;
    }
    mira_sleep(MIRA_MILLISECONDS(1)); /* a real timer pass too */
}

static void test_sleep_never_does_not_return(void **state)
{
    (void)state;
    int yields = 0;
    assert_int_equal(run_main(sleep_never_main, &yields), MIRA_SCHED_MAIN_DONE);
    if (never_returned)
        fail_msg("mira_sleep(MIRA_TIME_NEVER) returned after %d yields of another "
                 "fiber: now + duration overflowed instead of saturating", yields);
    assert_int_equal(mira_sched_live(), 1); /* it still sleeps */
}

static void main_sleeps_never(void *arg)
{
    (void)arg;
    mira_sleep(MIRA_TIME_NEVER);
}

static void test_sleep_never_alone_is_deadlock(void **state)
{
    (void)state;
    int r = run_main(main_sleeps_never, NULL);
    if (r == MIRA_SCHED_MAIN_DONE)
        fail_msg("the only fiber slept MIRA_TIME_NEVER and yet finished");
    assert_int_equal(r, MIRA_EXIT_DEADLOCK);
}

static void test_time_add_saturates(void **state)
{
    (void)state;
    assert_int_equal(mira_time_add(5, 7), 12);
    assert_int_equal(mira_time_add(5, -7), -2);
    assert_true(mira_time_add(1, MIRA_TIME_NEVER) == MIRA_TIME_NEVER);
    assert_true(mira_time_add(MIRA_TIME_NEVER - 1, 2) == MIRA_TIME_NEVER);
    assert_true(mira_time_add(MIRA_SECONDS(1000), MIRA_TIME_NEVER) == MIRA_TIME_NEVER);
    assert_true(mira_time_add(INT64_MIN + 1, -2) == INT64_MIN);
    assert_true(mira_time_add(MIRA_TIME_NEVER, 0) == MIRA_TIME_NEVER);
}

/* The unix idle wait's deadline -> poll(2) timeout conversion. */
static void test_poll_timeout(void **state)
{
    (void)state;
    const mira_time_t now = MIRA_SECONDS(100);
    assert_int_equal(mira_unix_poll_timeout(MIRA_TIME_NEVER, now), -1);
    assert_int_equal(mira_unix_poll_timeout(now, now), 0);
    assert_int_equal(mira_unix_poll_timeout(now - 1, now), 0);
    assert_int_equal(mira_unix_poll_timeout(MIRA_PLATFORM_POLL, now), 0);
    assert_int_equal(mira_unix_poll_timeout(now + 1, now), 1);         /* rounds up */
    assert_int_equal(mira_unix_poll_timeout(now + MIRA_MILLISECONDS(1), now), 1);
    assert_int_equal(mira_unix_poll_timeout(now + MIRA_MILLISECONDS(1) + 1, now), 2);
    assert_int_equal(mira_unix_poll_timeout(now + MIRA_SECONDS(86400), now), 86400000);
    /* Beyond ~24.8 days an int cannot hold the milliseconds: clamp. */
    mira_time_t int_max_ms = (mira_time_t)INT_MAX * MIRA_MILLISECONDS(1);
    assert_int_equal(mira_unix_poll_timeout(now + int_max_ms, now), INT_MAX);
    assert_int_equal(mira_unix_poll_timeout(now + int_max_ms + 1, now), INT_MAX);
    assert_int_equal(mira_unix_poll_timeout(now + MIRA_SECONDS(30 * 86400), now), INT_MAX);
    assert_int_equal(mira_unix_poll_timeout(MIRA_TIME_NEVER - 1, now), INT_MAX);
    assert_int_equal(mira_unix_poll_timeout(MIRA_TIME_NEVER - 1, INT64_MIN), INT_MAX);
}

/* --- I/O: a pipe written before anyone waits, so no timing is involved --- */
static int pipefd[2] = { -1, -1 };
static int fd_result;

static void fd_reader(void *arg)
{
    (void)arg;
    fd_result = mira_unix_wait_fd(pipefd[0], POLLIN, MIRA_TIME_NEVER);
}

static int pipe_setup(void **state)
{
    setup(state);
    fd_result = 0;
    assert_int_equal(pipe(pipefd), 0);
    assert_int_equal(write(pipefd[1], "x", 1), 1);
    return 0;
}

static int pipe_teardown(void **state)
{
    teardown(state);
    close(pipefd[0]);
    close(pipefd[1]);
    return 0;
}

/* Nothing runnable, no timer: only the external queue (the pipe) can wake
 * the reader, and it will.  Not a deadlock. */
static void fd_wait_main(void *arg)
{
    (void)arg;
    struct mira_fiber *f = mira_spawn_joinable("reader", fd_reader, NULL, 0);
    mira_join(f);
}

static void test_external_fd_wait_not_deadlock(void **state)
{
    (void)state;
    int r = run_main(fd_wait_main, NULL);
    if (r == MIRA_EXIT_DEADLOCK)
        fail_msg("a fiber waiting on an external queue (a readable pipe) was "
                 "reported deadlocked: the deadlock check must count external "
                 "waiters");
    assert_int_equal(r, MIRA_SCHED_MAIN_DONE);
    assert_true(fd_result > 0 && (fd_result & POLLIN));
}

/* A busy fiber that only yields never leaves the run queue empty; the
 * periodic non-blocking poll must still deliver the pipe's event. */
#define BUSY_LIMIT 1000 /* yields; the scheduler polls every 64 dispatches */

static void busy_main(void *arg)
{
    int *yields = arg;
    mira_spawn("reader", fd_reader, NULL, 0);
    for (*yields = 0; fd_result == 0 && *yields < BUSY_LIMIT; (*yields)++)
        mira_yield();
}

static void test_busy_fiber_does_not_starve_io(void **state)
{
    (void)state;
    int yields = 0;
    assert_int_equal(run_main(busy_main, &yields), MIRA_SCHED_MAIN_DONE);
    if (fd_result == 0)
        fail_msg("a readable pipe was not noticed within %d yields of a busy "
                 "fiber: the scheduler's periodic non-blocking poll is missing",
                 yields);
    assert_true(fd_result & POLLIN);
    assert_true(yields <= 2 * 64);
}

/* --- mira_wait_any --- */
static struct mira_waitq qa, qb, qc;
static int any_result[4];

static void any_waiter(void *arg)
{
    intptr_t slot = (intptr_t)arg;
    struct mira_waitq *const qs[] = { &qa, &qb, &qc };
    any_result[slot] = mira_wait_any(qs, 3, MIRA_TIME_NEVER);
}

static void wait_any_main(void *arg)
{
    int *checks = arg;
    mira_waitq_init(&qa, false);
    mira_waitq_init(&qb, false);
    mira_waitq_init(&qc, false);
    struct mira_fiber *f0 = mira_spawn_joinable("any0", any_waiter, (void *)0, 0);
    struct mira_fiber *f1 = mira_spawn_joinable("any1", any_waiter, (void *)1, 0);
    mira_yield(); /* both wait on qa, qb and qc */
    checks[0] = mira_wake_one(&qb);  /* wakes any0 through qb ... */
    checks[4] = (int)(mira_sched_waitq_length(&qa) * 100 + mira_sched_waitq_length(&qb) * 10 +
                      mira_sched_waitq_length(&qc));
    if (checks[4] != 111)
        return; /* any0 is still linked somewhere: waking more would corrupt */
    checks[1] = mira_wake_one(&qa);  /* ... so qa's first is any1 */
    checks[2] = mira_wake_one(&qc);  /* and nobody is left anywhere */
    checks[3] = qa.head == NULL && qb.head == NULL && qc.head == NULL;
    mira_join(f0);
    mira_join(f1);
}

static void test_wait_any_unlinks_from_all(void **state)
{
    (void)state;
    int checks[5] = { 0 };
    assert_int_equal(run_main(wait_any_main, checks), MIRA_SCHED_MAIN_DONE);
    assert_true(checks[0]);
    if (checks[4] != 111)
        fail_msg("after waking one of two mira_wait_any fibers through qb, the queues "
                 "(qa, qb, qc) hold %03d fibers, not 111: a fiber woken through one "
                 "queue must leave all of them", checks[4]);
    assert_true(checks[1]);
    if (checks[2])
        fail_msg("a fiber woken through one queue of mira_wait_any stayed on another");
    assert_true(checks[3]);
    assert_int_equal(any_result[0], 1);
    assert_int_equal(any_result[1], 0);
}

static void wait_any_timeout_main(void *arg)
{
    int *r = arg;
    struct mira_waitq a = MIRA_WAITQ_INIT, b = MIRA_WAITQ_INIT_EXTERNAL;
    struct mira_waitq *const qs[] = { &a, &b };
    r[0] = mira_wait_any(qs, 2, mira_clock_monotonic() + MIRA_MILLISECONDS(2));
    r[1] = a.head == NULL && b.head == NULL;
    /* The same queue twice: the first index reports it. */
    struct mira_waitq *const twice[] = { &a, &a };
    struct mira_timer t;
    assert_int_equal(mira_timer_init_wake(&t, &a), MIRA_OK);
    mira_timer_arm(&t, 0);
    r[2] = mira_wait_any(twice, 2, MIRA_TIME_NEVER);
    r[3] = a.head == NULL;
    mira_timer_fini(&t);
}

static void test_wait_any_timeout(void **state)
{
    (void)state;
    int r[4] = { 99, 0, 99, 0 };
    assert_int_equal(run_main(wait_any_timeout_main, r), MIRA_SCHED_MAIN_DONE);
    assert_int_equal(r[0], MIRA_ETIMEDOUT);
    assert_true(r[1]);
    assert_int_equal(r[2], 0);
    assert_true(r[3]);
}

/* Every queue of a wait_any is fiber-only: a deadlock, and said so. */
static void wait_any_deadlock_main(void *arg)
{
    (void)arg;
    struct mira_waitq a = MIRA_WAITQ_INIT, b = MIRA_WAITQ_INIT;
    struct mira_waitq *const qs[] = { &a, &b };
    mira_wait_any(qs, 2, MIRA_TIME_NEVER);
}

static void test_wait_any_deadlock(void **state)
{
    (void)state;
    assert_int_equal(run_main(wait_any_deadlock_main, NULL), MIRA_EXIT_DEADLOCK);
}

/* --- driver timers (mira/timer.h) --- */
#define NTIMERS 200
static struct mira_timer timers[NTIMERS];
static mira_time_t timer_deadline[NTIMERS];
static int fired[NTIMERS], nfired, fired_in_fiber;

static void on_timer(void *arg)
{
    intptr_t i = (intptr_t)arg;
    if (mira_self() != NULL)
        fired_in_fiber = 1;
    if (nfired < NTIMERS)
        fired[nfired++] = (int)i;
}

static void timers_main(void *arg)
{
    (void)arg;
    mira_time_t t0 = mira_clock_monotonic();
    for (intptr_t i = 0; i < NTIMERS; i++) {
        assert_int_equal(mira_timer_init(&timers[i], on_timer, (void *)i), MIRA_OK);
        timer_deadline[i] = t0 + (mira_time_t)((i * 37) % NTIMERS) * 1000;
        mira_timer_arm(&timers[i], timer_deadline[i]);
    }
    for (int i = 0; i < NTIMERS; i++) {
        if (i % 3 == 0)
            mira_timer_cancel(&timers[i]);
        else if (i % 5 == 0) { /* re-armed later: the old deadline is gone */
            timer_deadline[i] = t0 + MIRA_MICROSECONDS(300) + i;
            mira_timer_arm(&timers[i], timer_deadline[i]);
        }
    }
    /* A last timer, due after all the others, wakes main: however slow the
     * machine, every other timer has fired by then. */
    struct mira_waitq doneq = MIRA_WAITQ_INIT;
    struct mira_timer done;
    assert_int_equal(mira_timer_init_wake(&done, &doneq), MIRA_OK);
    mira_timer_arm(&done, t0 + MIRA_MICROSECONDS(400));
    mira_wait(&doneq);
    mira_timer_fini(&done);
    for (int i = 0; i < NTIMERS; i++)
        mira_timer_fini(&timers[i]);
}

static void test_timers_fire_in_order(void **state)
{
    (void)state;
    nfired = fired_in_fiber = 0;
    assert_int_equal(run_main(timers_main, NULL), MIRA_SCHED_MAIN_DONE);
    assert_int_equal(nfired, NTIMERS - (NTIMERS + 2) / 3);
    for (int k = 0; k < nfired; k++) {
        assert_true(fired[k] % 3 != 0);
        if (k > 0)
            assert_true(timer_deadline[fired[k - 1]] <= timer_deadline[fired[k]]);
    }
    assert_false(fired_in_fiber);
}

static void test_timer_arm_cancel(void **state)
{
    (void)state;
    struct mira_timer t;
    assert_int_equal(mira_timer_init(&t, on_timer, NULL), MIRA_OK);
    assert_false(mira_timer_armed(&t));
    assert_false(mira_timer_cancel(&t));
    mira_timer_arm(&t, MIRA_SECONDS(5));
    assert_true(mira_timer_armed(&t));
    mira_timer_arm(&t, MIRA_SECONDS(6)); /* re-arm: still one entry */
    assert_true(mira_timer_cancel(&t));
    assert_false(mira_timer_armed(&t));
    mira_timer_arm(&t, MIRA_SECONDS(5));
    mira_timer_arm(&t, MIRA_TIME_NEVER); /* disarms */
    assert_false(mira_timer_armed(&t));
    mira_timer_fini(&t);
}

/* A timer that wakes a queue: the only thing that can wake main, so not a
 * deadlock while it is armed. */
static void timer_wake_main(void *arg)
{
    int *r = arg;
    struct mira_waitq tq = MIRA_WAITQ_INIT;
    struct mira_timer t;
    assert_int_equal(mira_timer_init_wake(&t, &tq), MIRA_OK);
    mira_timer_arm(&t, mira_clock_monotonic() + MIRA_MILLISECONDS(1));
    r[0] = mira_wait(&tq);
    r[1] = mira_timer_armed(&t);
    mira_timer_fini(&t);
}

static void test_timer_wakes_queue(void **state)
{
    (void)state;
    int r[2] = { 99, 99 };
    assert_int_equal(run_main(timer_wake_main, r), MIRA_SCHED_MAIN_DONE);
    assert_int_equal(r[0], MIRA_OK);
    assert_false(r[1]);
}

/* A callback re-arming itself in the past runs once per scheduler pass: it
 * cannot keep the scheduler from running fibers. */
static struct mira_timer again;
static int again_count;

static void rearm_in_past(void *arg)
{
    (void)arg;
    if (++again_count < 1000000)
        mira_timer_arm(&again, 0);
}

static void rearm_main(void *arg)
{
    int *yields = arg;
    again_count = 0;
    assert_int_equal(mira_timer_init(&again, rearm_in_past, NULL), MIRA_OK);
    mira_timer_arm(&again, 0);
    for (*yields = 0; again_count < 5 && *yields < 100000; (*yields)++)
        mira_yield();
    mira_timer_fini(&again);
}

static void test_timer_rearm_in_callback(void **state)
{
    (void)state;
    int yields = 0;
    assert_int_equal(run_main(rearm_main, &yields), MIRA_SCHED_MAIN_DONE);
    /* main ran between the passes: at most one firing per pass */
    assert_true(again_count >= 5 && again_count < 1000000);
    assert_true(yields >= 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sleep_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sleep_duration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_yield_round_robin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_waitq_fifo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_woken_before_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ten_thousand_fibers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadlock_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_external_wait_not_deadlock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sleep_never_does_not_return, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sleep_never_alone_is_deadlock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_time_add_saturates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_poll_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_external_fd_wait_not_deadlock, pipe_setup,
                                        pipe_teardown),
        cmocka_unit_test_setup_teardown(test_busy_fiber_does_not_starve_io, pipe_setup,
                                        pipe_teardown),
        cmocka_unit_test_setup_teardown(test_wait_any_unlinks_from_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_any_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_any_deadlock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timers_fire_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timer_arm_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timer_wakes_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timer_rearm_in_callback, setup, teardown),
    };
    return cmocka_run_group_tests_name("sched", tests, NULL, NULL);
}
