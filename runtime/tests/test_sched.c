/* Unit tests of the fiber scheduler: ordering, wait queues, scale, deadlock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <mira/error.h>
#include <mira/fiber.h>
#include <mira/time.h>
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

/* A fiber woken before its deadline gets 0 and its timer is cancelled. */
static void early_waker(void *arg)
{
    (void)arg;
    mira_sleep(MIRA_MILLISECONDS(5));
    mira_wake_one(&q);
}

static void woken_main(void *arg)
{
    int *result = arg;
    mira_waitq_init(&q, false);
    mira_spawn("waker", early_waker, NULL, 0);
    result[0] = mira_wait_until(&q, mira_clock_monotonic() + MIRA_SECONDS(10));
}

static void test_wait_woken_before_deadline(void **state)
{
    (void)state;
    int result[1] = { 99 };
    mira_time_t t0 = mira_clock_monotonic();
    assert_int_equal(run_main(woken_main, result), MIRA_SCHED_MAIN_DONE);
    assert_int_equal(result[0], MIRA_OK);
    assert_true(mira_clock_monotonic() - t0 < MIRA_SECONDS(10));
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
    };
    return cmocka_run_group_tests_name("sched", tests, NULL, NULL);
}
