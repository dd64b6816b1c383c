/*
 * A cmocka assertion that fails inside a fiber longjmps from the fiber's
 * stack straight back to cmocka, leaving the scheduler mid-switch: the
 * fiber never returns, others still wait on a pipe and a timer.  The
 * teardown (mira_sched_reset, mira_unix_forget_waiters) must leave the next
 * test a sound scheduler.  The first test FAILS ON PURPOSE; expect_tap.py
 * checks that it fails and that the second passes (also under valgrind and
 * ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <poll.h>
#include <unistd.h>
#include <cmocka.h>

#include <mira/error.h>
#include <mira/fiber.h>
#include <mira/time.h>
#include <mira/timer.h>
#include <mira/unix.h>
#include "platform/unix/unix_internal.h"
#include "sched.h"

static int pipefd[2];

static int setup(void **state)
{
    (void)state;
    assert_int_equal(pipe(pipefd), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mira_sched_reset();
    mira_unix_forget_waiters();
    close(pipefd[0]);
    close(pipefd[1]);
    return 0;
}

static void reader(void *arg)
{
    (void)arg;
    mira_unix_wait_fd(pipefd[0], POLLIN, MIRA_TIME_NEVER);
}

static void sleeper(void *arg)
{
    (void)arg;
    mira_sleep(MIRA_SECONDS(3600));
}

static void failing_main(void *arg)
{
    (void)arg;
    static struct mira_timer t;
    static struct mira_waitq q = MIRA_WAITQ_INIT;
    mira_spawn("reader", reader, NULL, 0);
    mira_spawn("sleeper", sleeper, NULL, 0);
    assert_int_equal(mira_timer_init_wake(&t, &q), MIRA_OK);
    mira_timer_arm(&t, mira_clock_monotonic() + MIRA_SECONDS(3600));
    mira_yield(); /* both now wait: on the pipe, on the timer heap */
    assert_int_equal(1, 2); /* fails here, inside the fiber */
}

static void test_assertion_fails_in_fiber(void **state)
{
    (void)state;
    struct mira_fiber *m = mira_sched_spawn_main(failing_main, NULL, 0);
    mira_sched_run(m);
}

/* The same workload, which must now run normally. */
static int got;

static void reader_ok(void *arg)
{
    (void)arg;
    got = mira_unix_wait_fd(pipefd[0], POLLIN, MIRA_TIME_NEVER);
}

static void passing_main(void *arg)
{
    (void)arg;
    struct mira_fiber *r = mira_spawn_joinable("reader", reader_ok, NULL, 0);
    mira_sleep(MIRA_MILLISECONDS(1)); /* an idle poll with the reader waiting */
    if (write(pipefd[1], "x", 1) != 1)
        return;
    mira_join(r);
}

static void test_next_test_is_sound(void **state)
{
    (void)state;
    got = 0;
    if (mira_sched_live() != 0 || mira_sched_timers_armed() != 0 ||
        mira_unix_fd_waiting() != 0)
        fail_msg("after a test failed inside a fiber, the next test starts with "
                 "%zu fibers, %zu timers, %zu fd waiters (expected none)",
                 mira_sched_live(), mira_sched_timers_armed(), mira_unix_fd_waiting());
    struct mira_fiber *m = mira_sched_spawn_main(passing_main, NULL, 0);
    assert_int_equal(mira_sched_run(m), MIRA_SCHED_MAIN_DONE);
    mira_sched_collect(m);
    assert_true(got & POLLIN);
    assert_int_equal(mira_sched_live(), 0);
    assert_int_equal(mira_sched_timers_armed(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_assertion_fails_in_fiber, setup, teardown),
        cmocka_unit_test_setup_teardown(test_next_test_is_sound, setup, teardown),
    };
    return cmocka_run_group_tests_name("sched-abandon", tests, NULL, NULL);
}
