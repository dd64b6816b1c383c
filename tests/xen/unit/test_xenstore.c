/*
 * test_xenstore.c - the guest's xenstore client (runtime/src/platform/xen/
 * xenstore.c, compiled natively as it is) against fake_xenstored, a small
 * xenstored serving a real ring from a fiber of the hosted runtime.
 *
 * Each case runs as the main fiber of a fresh scheduler, with a fresh fake
 * and a fresh client (mira_xen_xs_init, which reads domid by polling, as
 * at boot).  Checks inside fibers record the first failure (cmocka's
 * assertions must not jump out of a fiber's stack); the case asserts it
 * after the scheduler returned.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <mira/error.h>
#include <mira/fiber.h>
#include <mira/time.h>
#include <mira/xen/xenstore.h>
#include "platform.h"
#include "sched.h"
#include "xen_internal.h"
#include "fake_xenstored.h"
#include "xs_shim.h"

/* A deadline far enough never to be reached by a working client. */
#define LATER (mira_clock_monotonic() + MIRA_SECONDS(30))

static char failure[512];

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            if (!failure[0])                                                  \
                snprintf(failure, sizeof(failure), "%s:%d: %s", __FILE__,     \
                         __LINE__, #cond);                                    \
            return;                                                           \
        }                                                                     \
    } while (0)
#define CHECK_EQ(a, b)                                                        \
    do {                                                                      \
        long long a_ = (long long)(a), b_ = (long long)(b);                   \
        if (a_ != b_) {                                                       \
            if (!failure[0])                                                  \
                snprintf(failure, sizeof(failure), "%s:%d: %s == %lld, not %lld", \
                         __FILE__, __LINE__, #a, a_, b_);                     \
            return;                                                           \
        }                                                                     \
    } while (0)

static void set_timeout_ms(const char *ms)
{
    mira_param_add("xenstore-timeout-ms", ms);
}

static void (*body)(void);

static void main_fiber(void *arg)
{
    (void)arg;
    xs_shim_spawn();
    fake_xsd_spawn();
    body();
    fake_xsd_stop();
    xs_shim_stop();
}

/* Runs fn as the main fiber with a fresh fake and client. */
static void run(void (*fn)(void))
{
    failure[0] = 0;
    fake_xsd_reset();
    mira_xen_xs_init();
    body = fn;
    struct mira_fiber *m = mira_sched_spawn_main(main_fiber, NULL, 0);
    assert_non_null(m);
    assert_int_equal(mira_sched_run(m), MIRA_SCHED_MAIN_DONE);
    mira_sched_collect(m);
    if (failure[0])
        fail_msg("%s", failure);
}

static int setup(void **state)
{
    (void)state;
    set_timeout_ms("5000");
    mira_xen_stopping = false;
    xs_shim_no_xenstore = false;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mira_sched_reset();
    return 0;
}

static struct mira_xs_stats stats(void)
{
    struct mira_xs_stats s;
    mira_xs_get_stats(&s);
    return s;
}

/* --- requests --- */

static void requests(void)
{
    char buf[64];
    CHECK_EQ(mira_xs_domid(), 7); /* read at init, by polling */
    CHECK_EQ(mira_xs_write("data/a", "hello"), 0);
    CHECK_EQ(mira_xs_read("data/a", buf, sizeof(buf)), 5);
    CHECK(strcmp(buf, "hello") == 0);
    CHECK_EQ(mira_xs_read("data/a", buf, 3), 5); /* cut, full length */
    CHECK(strcmp(buf, "he") == 0);
    CHECK_EQ(mira_xs_read("data/missing", buf, sizeof(buf)), MIRA_ENOENT);
    CHECK_EQ(mira_xs_write("data/b", ""), 0);
    CHECK_EQ(mira_xs_read("data/b", buf, sizeof(buf)), 0);
    CHECK(buf[0] == 0);
    CHECK_EQ(mira_xs_write("data/c/d", "x"), 0);
    CHECK_EQ(mira_xs_directory("data", buf, sizeof(buf)), 3);
    CHECK(memcmp(buf, "a\0b\0c\0", 6) == 0);
    CHECK_EQ(mira_xs_directory("data", buf, 4), MIRA_ERANGE);
    CHECK_EQ(mira_xs_directory("nothing", buf, sizeof(buf)), MIRA_ENOENT);
    CHECK_EQ(mira_xs_rm("data/c"), 0);
    CHECK_EQ(mira_xs_read("data/c/d", buf, sizeof(buf)), MIRA_ENOENT);
    CHECK_EQ(mira_xs_rm("data/c"), MIRA_ENOENT);
    CHECK_EQ(mira_xs_directory("data", buf, sizeof(buf)), 2);
    struct mira_xs_stats s = stats();
    CHECK_EQ(s.timeouts + s.replies_unmatched + s.events_unknown, 0);
    CHECK(!s.broken);
}

static void test_requests(void **state)
{
    (void)state;
    run(requests);
}

/* Messages longer than the 1 KiB rings go in pieces both ways. */
static void large(void)
{
    static char value[4000], back[4096], list[4096];
    for (size_t i = 0; i < sizeof(value) - 1; i++)
        value[i] = (char)('a' + i % 26);
    CHECK_EQ(mira_xs_write("big", value), 0);
    CHECK_EQ(mira_xs_read("big", back, sizeof(back)), (long)strlen(value));
    CHECK(strcmp(back, value) == 0);
    for (int i = 0; i < 100; i++) {
        char path[64];
        snprintf(path, sizeof(path), "dir/child-with-a-long-name-%03d", i);
        CHECK_EQ(mira_xs_write(path, "1"), 0);
    }
    CHECK_EQ(mira_xs_directory("dir", list, sizeof(list)), 100);
    CHECK(strcmp(list, "child-with-a-long-name-000") == 0);
    /* too long for the protocol: refused here, nothing sent */
    static char huge[XENSTORE_PAYLOAD_MAX + 8];
    memset(huge, 'x', sizeof(huge) - 1);
    unsigned before = fake_xsd_requests();
    CHECK_EQ(mira_xs_write("big", huge), MIRA_EINVAL);
    CHECK_EQ(fake_xsd_requests(), before);
    CHECK_EQ(mira_xs_read("big", back, sizeof(back)), (long)strlen(value));
}

static void test_large(void **state)
{
    (void)state;
    run(large);
}

/* --- transactions --- */

static void tx_commit(void)
{
    char buf[16];
    mira_xs_tx tx = MIRA_XS_NO_TX;
    CHECK_EQ(mira_xs_transaction_start(&tx), 0);
    CHECK(tx != MIRA_XS_NO_TX);
    CHECK_EQ(mira_xs_write_tx(tx, "t/a", "1"), 0);
    CHECK_EQ(mira_xs_write_tx(tx, "t/b", "2"), 0);
    CHECK_EQ(mira_xs_read_tx(tx, "t/a", buf, sizeof(buf)), 1);
    CHECK(strcmp(buf, "1") == 0);
    CHECK_EQ(mira_xs_read("t/a", buf, sizeof(buf)), MIRA_ENOENT); /* not yet */
    CHECK_EQ(mira_xs_transaction_end(tx, false), 0);
    CHECK_EQ(mira_xs_read("t/a", buf, sizeof(buf)), 1);
    CHECK_EQ(mira_xs_read_tx(MIRA_XS_NO_TX, "t/b", buf, sizeof(buf)), 1);
    CHECK(strcmp(buf, "2") == 0);
    /* the transaction is over */
    CHECK_EQ(mira_xs_write_tx(tx, "t/c", "3"), MIRA_ENOENT);
}

static void test_tx_commit(void **state)
{
    (void)state;
    run(tx_commit);
}

static void tx_abort(void)
{
    char buf[16];
    mira_xs_tx tx;
    CHECK_EQ(mira_xs_transaction_start(&tx), 0);
    CHECK_EQ(mira_xs_write_tx(tx, "t/a", "1"), 0);
    CHECK_EQ(mira_xs_transaction_end(tx, true), 0);
    CHECK_EQ(mira_xs_read("t/a", buf, sizeof(buf)), MIRA_ENOENT);
}

static void test_tx_abort(void **state)
{
    (void)state;
    run(tx_abort);
}

static void tx_conflict(void)
{
    char buf[16];
    mira_xs_tx tx;
    CHECK_EQ(mira_xs_transaction_start(&tx), 0);
    CHECK_EQ(mira_xs_write_tx(tx, "t/a", "mine"), 0);
    fake_xsd_write("t/other", "theirs"); /* another domain, meanwhile */
    CHECK_EQ(mira_xs_transaction_end(tx, false), MIRA_EAGAIN);
    CHECK_EQ(mira_xs_read("t/a", buf, sizeof(buf)), MIRA_ENOENT);
    /* the caller retries the whole transaction */
    CHECK_EQ(mira_xs_transaction_start(&tx), 0);
    CHECK_EQ(mira_xs_write_tx(tx, "t/a", "mine"), 0);
    CHECK_EQ(mira_xs_transaction_end(tx, false), 0);
    CHECK_EQ(mira_xs_read("t/a", buf, sizeof(buf)), 4);
}

static void test_tx_conflict(void **state)
{
    (void)state;
    run(tx_conflict);
}

static void tx_bad_id(void)
{
    mira_xs_tx tx = 12345;
    fake_xsd_fault(FAKE_XSD_BAD_TX_ID);
    CHECK_EQ(mira_xs_transaction_start(&tx), MIRA_ECORRUPT);
    CHECK_EQ(tx, 12345);
    CHECK_EQ(mira_xs_transaction_start(&tx), 0); /* framing was intact */
    CHECK_EQ(mira_xs_transaction_end(tx, true), 0);
}

static void test_tx_bad_id(void **state)
{
    (void)state;
    run(tx_bad_id);
}

/* --- watches --- */

static void watch_basic(void)
{
    char path[64];
    CHECK_EQ(mira_xs_watch("w", "tok"), 0);
    CHECK_EQ(mira_xs_wait_watch("tok", path, sizeof(path), LATER), 0);
    CHECK(strcmp(path, "w") == 0); /* fired on registration */
    CHECK_EQ(mira_xs_poll_watch("tok", path, sizeof(path)), MIRA_EAGAIN);
    CHECK_EQ(mira_xs_write("w/state", "4"), 0);
    CHECK_EQ(mira_xs_wait_watch("tok", path, sizeof(path), LATER), 0);
    CHECK(strcmp(path, "w/state") == 0);
    CHECK_EQ(mira_xs_write("elsewhere", "1"), 0);
    CHECK_EQ(mira_xs_poll_watch("tok", path, sizeof(path)), MIRA_EAGAIN);
    /* a quiet watch: the deadline passes */
    CHECK_EQ(mira_xs_wait_watch("tok", path, sizeof(path),
                                mira_clock_monotonic() + MIRA_MILLISECONDS(20)),
             MIRA_ETIMEDOUT);
    /* a path cut to the buffer */
    CHECK_EQ(mira_xs_write("w/long-name", "1"), 0);
    CHECK_EQ(mira_xs_wait_watch("tok", path, 5, LATER), 0);
    CHECK(strcmp(path, "w/lo") == 0);
    /* the waitq is woken by a queued event */
    CHECK_EQ(mira_xs_write("w/x", "1"), 0);
    CHECK(mira_xs_watch_waitq() != NULL);
    CHECK_EQ(mira_xs_poll_watch("tok", path, sizeof(path)), 0);
    CHECK_EQ(mira_xs_unwatch("w", "tok"), 0);
    CHECK_EQ(mira_xs_poll_watch("tok", path, sizeof(path)), MIRA_ENOENT);
    CHECK_EQ(mira_xs_wait_watch("tok", path, sizeof(path), LATER), MIRA_ENOENT);
    CHECK_EQ(mira_xs_unwatch("w", "tok"), MIRA_ENOENT);
}

static void test_watch_basic(void **state)
{
    (void)state;
    run(watch_basic);
}

static void watch_two_tokens(void)
{
    char path[64];
    CHECK_EQ(mira_xs_watch("one", "t1"), 0);
    CHECK_EQ(mira_xs_watch("two", "t2"), 0);
    CHECK_EQ(mira_xs_wait_watch("t2", path, sizeof(path), LATER), 0);
    CHECK(strcmp(path, "two") == 0);
    CHECK_EQ(mira_xs_wait_watch("t1", path, sizeof(path), LATER), 0);
    CHECK(strcmp(path, "one") == 0);
    CHECK_EQ(mira_xs_write("two/x", "1"), 0);
    CHECK_EQ(mira_xs_write("one/y", "1"), 0);
    CHECK_EQ(mira_xs_poll_watch("t1", path, sizeof(path)), 0);
    CHECK(strcmp(path, "one/y") == 0);
    CHECK_EQ(mira_xs_poll_watch("t1", path, sizeof(path)), MIRA_EAGAIN);
    CHECK_EQ(mira_xs_poll_watch("t2", path, sizeof(path)), 0);
    CHECK(strcmp(path, "two/x") == 0);
    CHECK_EQ(mira_xs_unwatch("one", "t1"), 0);
    CHECK_EQ(mira_xs_unwatch("two", "t2"), 0);
}

static void test_watch_two_tokens(void **state)
{
    (void)state;
    run(watch_two_tokens);
}

static void unwatch_purges(void)
{
    char path[64];
    CHECK_EQ(mira_xs_watch("p", "tok"), 0);
    CHECK_EQ(mira_xs_write("p/a", "1"), 0);
    CHECK_EQ(mira_xs_write("p/b", "1"), 0);
    CHECK_EQ(mira_xs_unwatch("p", "tok"), 0);
    CHECK_EQ(mira_xs_watch("p", "tok"), 0);
    /* only the new registration's event: the three old ones are gone */
    CHECK_EQ(mira_xs_wait_watch("tok", path, sizeof(path), LATER), 0);
    CHECK(strcmp(path, "p") == 0);
    CHECK_EQ(mira_xs_poll_watch("tok", path, sizeof(path)), MIRA_EAGAIN);
    /* one token on two paths: unwatching one keeps the other's events */
    CHECK_EQ(mira_xs_watch("q", "tok"), 0);
    CHECK_EQ(mira_xs_write("p/c", "1"), 0);
    /* a path this token does not watch: refused, nothing changes */
    CHECK_EQ(mira_xs_unwatch("p/c", "tok"), MIRA_ENOENT);
    CHECK_EQ(mira_xs_unwatch("q", "tok"), 0);
    CHECK_EQ(mira_xs_poll_watch("tok", path, sizeof(path)), 0);
    CHECK(strcmp(path, "p/c") == 0);
    CHECK_EQ(mira_xs_poll_watch("tok", path, sizeof(path)), MIRA_EAGAIN);
    CHECK_EQ(mira_xs_unwatch("p", "tok"), 0);
    CHECK_EQ(stats().events_dropped, 0);
}

static void test_unwatch_purges(void **state)
{
    (void)state;
    run(unwatch_purges);
}

static void events_dropped(void)
{
    char path[64];
    fake_xsd_event("x", "nobody");
    CHECK_EQ(mira_xs_write("sync", "1"), 0); /* the event came before the reply */
    CHECK_EQ(stats().events_unknown, 1);
    CHECK_EQ(mira_xs_poll_watch("nobody", path, sizeof(path)), MIRA_ENOENT);
    /* after unwatch, the token is unknown again */
    CHECK_EQ(mira_xs_watch("b", "tok"), 0);
    CHECK_EQ(mira_xs_unwatch("b", "tok"), 0);
    fake_xsd_event("b", "tok");
    CHECK_EQ(mira_xs_write("sync", "2"), 0);
    CHECK_EQ(stats().events_unknown, 2);
    /* a bounded queue: 64 distinct paths; the same path is queued once */
    CHECK_EQ(mira_xs_watch("b", "tok"), 0);
    for (int i = 0; i < 100; i++) {
        char p[32];
        snprintf(p, sizeof(p), "b/%d", i);
        fake_xsd_event(p, "tok");
        fake_xsd_event(p, "tok");
    }
    CHECK_EQ(mira_xs_write("sync", "3"), 0);
    int n = 0;
    while (mira_xs_poll_watch("tok", path, sizeof(path)) == 0)
        n++;
    CHECK_EQ(n, 64); /* "b" (registration), then b/0 .. b/62 */
    CHECK(strcmp(path, "b/62") == 0);
    CHECK_EQ(stats().events_dropped, 2 * 37); /* b/63 .. b/99, twice each */
    CHECK_EQ(mira_xs_unwatch("b", "tok"), 0);
}

static void test_events_dropped(void **state)
{
    (void)state;
    run(events_dropped);
}

/* --- interleavings --- */

struct waiter {
    const char *token;
    int result;
    char path[64];
    bool started;
    /* start waiting once messages sat on the ring and the event channel
     * handler ran since (before the requester could read its reply) */
    bool when_unread;
    bool saw_unread;
    bool done;
};

/* True once w has returned, letting the other fibers run a bounded number
 * of rounds: a waiter that was woken finishes within a few, one left
 * asleep does not (its 30 s deadline would end the wait much later, and
 * find the event then: a missing wake-up would only show as slowness). */
static bool settled(const struct waiter *w)
{
    for (int i = 0; i < 1000 && !w->done; i++)
        mira_yield();
    return w->done;
}

static void waiter_fiber(void *arg)
{
    struct waiter *w = arg;
    unsigned seen = 0;
    w->started = true;
    for (int i = 0; w->when_unread && i < 10000; i++) {
        if (!w->saw_unread && fake_xsd_ring.rsp_prod != fake_xsd_ring.rsp_cons) {
            w->saw_unread = true;
            seen = xs_shim_deliveries();
        }
        if (w->saw_unread && xs_shim_deliveries() != seen)
            break;
        mira_yield();
    }
    w->result = mira_xs_wait_watch(w->token, w->path, sizeof(w->path), LATER);
    w->done = true;
}

/* The blkfront/netfront connect pattern: a fiber waits for a watch while
 * another holds a request, and the event arrives with that request's reply
 * (behind it, or before it).  It was lost: the requester read its reply and
 * left the event on the ring, and nothing woke the waiter. */
static void event_mid_request(bool before)
{
    char buf[16];
    CHECK_EQ(mira_xs_watch("be/state", "be"), 0);
    CHECK_EQ(mira_xs_wait_watch("be", buf, sizeof(buf), LATER), 0);
    struct waiter w = {.token = "be", .result = 99};
    struct mira_fiber *f = mira_spawn_joinable("watcher", waiter_fiber, &w, 0);
    CHECK(f != NULL);
    mira_yield(); /* the watcher sleeps on the watch */
    CHECK(w.started);
    fake_xsd_event_with_next_reply("be/state", "be", before);
    CHECK_EQ(mira_xs_write("fe/state", "3"), 0);
    CHECK(settled(&w));
    mira_join(f);
    CHECK_EQ(w.result, 0);
    CHECK(strcmp(w.path, "be/state") == 0);
    CHECK_EQ(mira_xs_unwatch("be/state", "be"), 0);
}

static void event_behind_reply(void)
{
    event_mid_request(false);
}

/* The loss itself, step by step: fiber A's request is answered and a watch
 * event follows its reply; the handler runs; before A runs, fiber W (made
 * runnable by something else) starts waiting for that event, A still
 * holding its request.  The old client let W sleep with the event on the
 * ring (the handler had already run, A took only its reply, and its
 * unlock woke only other requesters): W waited forever. */
static void wait_while_reply_on_ring(void)
{
    char buf[16];
    CHECK_EQ(mira_xs_watch("be/state", "be"), 0);
    CHECK_EQ(mira_xs_wait_watch("be", buf, sizeof(buf), LATER), 0);
    struct waiter w = {.token = "be", .result = 99, .when_unread = true};
    struct mira_fiber *f = mira_spawn_joinable("watcher", waiter_fiber, &w, 0);
    CHECK(f != NULL);
    fake_xsd_event_with_next_reply("be/state", "be", false);
    CHECK_EQ(mira_xs_write("fe/state", "3"), 0);
    CHECK(settled(&w));
    mira_join(f);
    CHECK(w.saw_unread); /* the case happened as described */
    CHECK_EQ(w.result, 0);
    CHECK(strcmp(w.path, "be/state") == 0);
    CHECK_EQ(mira_xs_unwatch("be/state", "be"), 0);
}

static void test_wait_while_reply_on_ring(void **state)
{
    (void)state;
    run(wait_while_reply_on_ring);
}

static void event_before_reply(void)
{
    event_mid_request(true);
}

static void test_event_behind_reply(void **state)
{
    (void)state;
    run(event_behind_reply);
}

static void test_event_before_reply(void **state)
{
    (void)state;
    run(event_before_reply);
}

/* An event arrives while the requester waits for space on the request
 * ring (its message is bigger than the ring). */
static void event_mid_write(void)
{
    static char value[3000];
    char buf[16];
    memset(value, 'v', sizeof(value) - 1);
    CHECK_EQ(mira_xs_watch("be/state", "be"), 0);
    CHECK_EQ(mira_xs_wait_watch("be", buf, sizeof(buf), LATER), 0);
    struct waiter w = {.token = "be", .result = 99};
    struct mira_fiber *f = mira_spawn_joinable("watcher", waiter_fiber, &w, 0);
    CHECK(f != NULL);
    mira_yield();
    fake_xsd_event("be/state", "be");
    CHECK_EQ(mira_xs_write("fe/big", value), 0);
    CHECK(settled(&w));
    mira_join(f);
    CHECK_EQ(w.result, 0);
    CHECK_EQ(mira_xs_unwatch("be/state", "be"), 0);
}

static void test_event_mid_write(void **state)
{
    (void)state;
    run(event_mid_write);
}

#define CROWD 16
struct worker {
    int id;
    int errors;
};

static void worker_fiber(void *arg)
{
    struct worker *w = arg;
    char path[32], value[700], back[700];
    for (int round = 0; round < 8; round++) {
        snprintf(path, sizeof(path), "crowd/%d", w->id);
        memset(value, 'a' + (w->id + round) % 26, sizeof(value) - 1);
        value[sizeof(value) - 1] = 0;
        if (mira_xs_write(path, value) != 0)
            w->errors++;
        long n = mira_xs_read(path, back, sizeof(back));
        if (n != (long)sizeof(value) - 1 || strcmp(back, value) != 0)
            w->errors++;
    }
}

static void crowd(void)
{
    struct worker w[CROWD];
    struct mira_fiber *f[CROWD];
    struct waiter watcher = {.token = "crowd-end", .result = 99};
    char buf[16];
    CHECK_EQ(mira_xs_watch("crowd-end", "crowd-end"), 0);
    CHECK_EQ(mira_xs_wait_watch("crowd-end", buf, sizeof(buf), LATER), 0);
    struct mira_fiber *wf = mira_spawn_joinable("watcher", waiter_fiber, &watcher, 0);
    for (int i = 0; i < CROWD; i++) {
        w[i] = (struct worker){.id = i};
        f[i] = mira_spawn_joinable("worker", worker_fiber, &w[i], 0);
        CHECK(f[i] != NULL);
    }
    for (int i = 0; i < CROWD; i++) {
        mira_join(f[i]);
        CHECK_EQ(w[i].errors, 0);
    }
    CHECK_EQ(mira_xs_write("crowd-end", "1"), 0);
    CHECK(settled(&watcher));
    mira_join(wf);
    CHECK_EQ(watcher.result, 0);
    CHECK_EQ(fake_xsd_requests(), 2 + 2 * 8 * CROWD + 1); /* domid, watch, ... */
    CHECK_EQ(stats().timeouts, 0);
    CHECK_EQ(mira_xs_unwatch("crowd-end", "crowd-end"), 0);
}

static void test_crowd(void **state)
{
    (void)state;
    run(crowd);
}

/* --- a stalled backend --- */

static void stall(void)
{
    char buf[16];
    set_timeout_ms("50");
    CHECK_EQ(mira_xs_write("s", "1"), 0);
    CHECK_EQ(mira_xs_watch("s", "tok"), 0);
    CHECK_EQ(mira_xs_wait_watch("tok", buf, sizeof(buf), LATER), 0);
    fake_xsd_stall(true);
    CHECK_EQ(mira_xs_read("s", buf, sizeof(buf)), MIRA_ETIMEDOUT);
    CHECK_EQ(mira_xs_wait_watch("tok", buf, sizeof(buf),
                                mira_clock_monotonic() + MIRA_MILLISECONDS(20)),
             MIRA_ETIMEDOUT);
    CHECK_EQ(stats().timeouts, 1);
    fake_xsd_stall(false);
    /* the late reply is dropped; the next call gets its own */
    CHECK_EQ(mira_xs_read("s", buf, sizeof(buf)), 1);
    CHECK(strcmp(buf, "1") == 0);
    CHECK_EQ(stats().replies_unmatched, 1);
    CHECK(!stats().broken);
    /* a request read and never answered */
    fake_xsd_fault(FAKE_XSD_SWALLOW);
    CHECK_EQ(mira_xs_write("s", "2"), MIRA_ETIMEDOUT);
    CHECK_EQ(mira_xs_read("s", buf, sizeof(buf)), 1);
    CHECK(strcmp(buf, "1") == 0); /* the swallowed write was not done */
    CHECK_EQ(mira_xs_unwatch("s", "tok"), 0);
    set_timeout_ms("5000");
}

static void test_stall(void **state)
{
    (void)state;
    run(stall);
}

/* A request bigger than the free ring, with nobody reading: half of it
 * is out when the deadline comes, and the connection cannot go on. */
static void stall_mid_request(void)
{
    static char value[3000];
    char buf[16];
    memset(value, 'v', sizeof(value) - 1);
    set_timeout_ms("50");
    fake_xsd_stall(true);
    CHECK_EQ(mira_xs_write("big", value), MIRA_EIO);
    CHECK(stats().broken);
    fake_xsd_stall(false);
    CHECK_EQ(mira_xs_read("domid", buf, sizeof(buf)), MIRA_EIO);
    set_timeout_ms("5000");
}

static void test_stall_mid_request(void **state)
{
    (void)state;
    run(stall_mid_request);
}

/* The shutdown path (boot.c's stop: the exit status goes to xenstore while
 * everything polls): a stalled xenstored makes the write give up, a live
 * one is served. */
static void shutdown_polling(void)
{
    char buf[16];
    set_timeout_ms("50");
    mira_xen_stopping = true;
    fake_xsd_stall(true);
    int r = mira_xs_write("data/mira-exit-status", "3");
    fake_xsd_stall(false);
    int r2 = mira_xs_write("data/mira-exit-status", "4");
    long n = mira_xs_read("data/mira-exit-status", buf, sizeof(buf));
    mira_xen_stopping = false;
    set_timeout_ms("5000");
    CHECK_EQ(r, MIRA_ETIMEDOUT);
    CHECK_EQ(r2, 0);
    CHECK_EQ(n, 1);
    CHECK(strcmp(buf, "4") == 0);
}

static void test_shutdown_polling(void **state)
{
    (void)state;
    run(shutdown_polling);
}

/* --- a backend that sends garbage --- */

static void broken_after(enum fake_xsd_fault fault, int first)
{
    char buf[16];
    CHECK_EQ(mira_xs_watch("g", "tok"), 0);
    CHECK_EQ(mira_xs_wait_watch("tok", buf, sizeof(buf), LATER), 0);
    struct waiter w = {.token = "tok", .result = 99};
    struct mira_fiber *f = mira_spawn_joinable("watcher", waiter_fiber, &w, 0);
    mira_yield();
    fake_xsd_fault(fault);
    CHECK_EQ(mira_xs_read("domid", buf, sizeof(buf)), first);
    CHECK(settled(&w));
    mira_join(f);
    CHECK_EQ(w.result, MIRA_EIO); /* woken, not left waiting */
    struct mira_xs_stats s = stats();
    CHECK(s.broken);
    CHECK_EQ(mira_xs_read("domid", buf, sizeof(buf)), MIRA_EIO);
    CHECK_EQ(mira_xs_write("x", "1"), MIRA_EIO);
    CHECK_EQ(mira_xs_poll_watch("tok", buf, sizeof(buf)), MIRA_EIO);
    CHECK_EQ(mira_xs_wait_watch("tok", buf, sizeof(buf), LATER), MIRA_EIO);
    mira_xs_tx tx;
    CHECK_EQ(mira_xs_transaction_start(&tx), MIRA_EIO);
}

static void oversized(void)
{
    broken_after(FAKE_XSD_OVERSIZED, MIRA_EIO);
}

static void test_oversized(void **state)
{
    (void)state;
    run(oversized);
}

static void bad_type(void)
{
    broken_after(FAKE_XSD_BAD_TYPE, MIRA_EIO);
}

static void test_bad_type(void **state)
{
    (void)state;
    run(bad_type);
}

static void truncated(void)
{
    set_timeout_ms("50");
    broken_after(FAKE_XSD_TRUNCATED, MIRA_EIO); /* at its deadline */
    set_timeout_ms("5000");
}

static void test_truncated(void **state)
{
    (void)state;
    run(truncated);
}

/* Garbage that keeps the framing: the call fails or succeeds cleanly and
 * the connection goes on. */
static void framed_garbage(void)
{
    char buf[16];
    fake_xsd_fault(FAKE_XSD_UNKNOWN_REQ_ID);
    CHECK_EQ(mira_xs_read("domid", buf, sizeof(buf)), 1);
    CHECK_EQ(stats().replies_unmatched, 1);
    fake_xsd_fault(FAKE_XSD_EVENT_NO_NUL);
    CHECK_EQ(mira_xs_read("domid", buf, sizeof(buf)), 1);
    CHECK_EQ(stats().events_malformed, 1);
    fake_xsd_fault(FAKE_XSD_WRONG_TYPE);
    CHECK_EQ(mira_xs_read("domid", buf, sizeof(buf)), MIRA_ECORRUPT);
    fake_xsd_fault(FAKE_XSD_WRONG_TYPE);
    CHECK_EQ(mira_xs_directory("name", buf, sizeof(buf)), MIRA_ECORRUPT);
    CHECK_EQ(mira_xs_read("domid", buf, sizeof(buf)), 1);
    CHECK(strcmp(buf, "7") == 0);
    CHECK(!stats().broken);
}

static void test_framed_garbage(void **state)
{
    (void)state;
    run(framed_garbage);
}

static void no_xenstore(void)
{
    char buf[16];
    mira_xs_tx tx;
    CHECK_EQ(mira_xs_domid(), 0);
    CHECK_EQ(mira_xs_read("domid", buf, sizeof(buf)), MIRA_ENOTSUP);
    CHECK_EQ(mira_xs_write("a", "b"), MIRA_ENOTSUP);
    CHECK_EQ(mira_xs_watch("a", "b"), MIRA_ENOTSUP);
    CHECK_EQ(mira_xs_wait_watch("b", buf, sizeof(buf), LATER), MIRA_ENOTSUP);
    CHECK_EQ(mira_xs_transaction_start(&tx), MIRA_ENOTSUP);
}

static void test_no_xenstore(void **state)
{
    (void)state;
    xs_shim_no_xenstore = true;
    run(no_xenstore);
    xs_shim_no_xenstore = false;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_abort, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_bad_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_two_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwatch_purges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_behind_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_while_reply_on_ring, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_before_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_mid_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crowd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stall, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stall_mid_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shutdown_polling, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversized, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_framed_garbage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_xenstore, setup, teardown),
    };
    int r = cmocka_run_group_tests_name("xen-xenstore", tests, NULL, NULL);
    xs_shim_no_xenstore = true;
    mira_xen_xs_init(); /* frees what the client still held */
    return r;
}
