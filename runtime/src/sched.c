/*
 * sched.c - the cooperative fiber scheduler, its timers and wait queues.
 *
 * One scheduler context (the platform's boot stack) picks runnable fibers
 * in FIFO order and switches to them; a fiber switches back when it waits,
 * yields or ends.  Sleeping and timed waits sit in a binary min-heap keyed
 * by (deadline, sequence), so fibers with equal deadlines wake in the order
 * they went to sleep.  When nothing is runnable the platform waits for the
 * earliest deadline or an I/O event.  Portable: the only machine-specific
 * parts are mira_arch_* and mira_platform_*.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mira/error.h>
#include <mira/fiber.h>
#include <mira/log.h>
#include <mira/runtime.h>
#include <mira/time.h>

#include "arch.h"
#include "platform.h"
#include "sched.h"

#if defined(__SANITIZE_ADDRESS__)
#define MIRA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MIRA_ASAN 1
#endif
#endif
#ifdef MIRA_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

enum fiber_state { FIBER_RUNNABLE, FIBER_WAITING, FIBER_DONE };

struct mira_fiber {
    void *sp;                  /* saved stack pointer while switched out */
    void *stack;               /* platform allocation, NULL for none */
    size_t stack_size;
    void *stack_bottom;        /* lowest usable address (sanitizers) */
    size_t stack_usable;
    const char *name;
    mira_fiber_fn fn;
    void *arg;
    enum fiber_state state;
    int joinable;
    int timed_out;             /* the last wait ended by its deadline */
    struct mira_fiber *rq_next;          /* run queue */
    struct mira_fiber *wq_next, *wq_prev; /* the wait queue it is on */
    struct mira_waitq *waitq;
    struct mira_fiber *all_next, *all_prev; /* every live fiber */
    mira_time_t deadline;
    uint64_t timer_seq;
    size_t heap_index;         /* position in the timer heap, or NOT_IN_HEAP */
    struct mira_waitq joinq;   /* the fiber joining this one */
#ifdef MIRA_ASAN
    void *asan_fake_stack;
#endif
};

#define NOT_IN_HEAP SIZE_MAX
#define POLL_EVERY 64 /* dispatches between non-blocking I/O polls */

static struct {
    struct mira_fiber *current;
    struct mira_fiber *rq_head, *rq_tail;
    struct mira_fiber *all;
    struct mira_fiber *reap;   /* a finished fiber whose stack to free */
    void *sched_sp;
    struct mira_fiber **heap;
    size_t heap_len, heap_cap;
    uint64_t timer_seq;
    size_t external_waiters;
    size_t live;
    unsigned dispatches;
#ifdef MIRA_ASAN
    void *asan_fake_stack;
    const void *sched_bottom;
    size_t sched_size;
#endif
} S;

/* --- timer heap --- */

static int timer_before(const struct mira_fiber *a, const struct mira_fiber *b)
{
    if (a->deadline != b->deadline)
        return a->deadline < b->deadline;
    return a->timer_seq < b->timer_seq;
}

static void heap_set(size_t i, struct mira_fiber *f)
{
    S.heap[i] = f;
    f->heap_index = i;
}

static void heap_up(size_t i)
{
    struct mira_fiber *f = S.heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!timer_before(f, S.heap[parent]))
            break;
        heap_set(i, S.heap[parent]);
        i = parent;
    }
    heap_set(i, f);
}

static void heap_down(size_t i)
{
    struct mira_fiber *f = S.heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= S.heap_len)
            break;
        if (c + 1 < S.heap_len && timer_before(S.heap[c + 1], S.heap[c]))
            c++;
        if (!timer_before(S.heap[c], f))
            break;
        heap_set(i, S.heap[c]);
        i = c;
    }
    heap_set(i, f);
}

static int timer_add(struct mira_fiber *f, mira_time_t deadline)
{
    if (S.heap_len == S.heap_cap) {
        size_t cap = S.heap_cap ? S.heap_cap * 2 : 64;
        struct mira_fiber **h = realloc(S.heap, cap * sizeof(*h));
        if (h == NULL)
            return MIRA_ENOMEM;
        S.heap = h;
        S.heap_cap = cap;
    }
    f->deadline = deadline;
    f->timer_seq = S.timer_seq++;
    S.heap[S.heap_len] = f;
    f->heap_index = S.heap_len++;
    heap_up(f->heap_index);
    return MIRA_OK;
}

static void timer_remove(struct mira_fiber *f)
{
    size_t i = f->heap_index;
    if (i == NOT_IN_HEAP)
        return;
    f->heap_index = NOT_IN_HEAP;
    S.heap_len--;
    if (i == S.heap_len)
        return;
    heap_set(i, S.heap[S.heap_len]);
    heap_up(i);
    heap_down(S.heap[i]->heap_index);
}

/* --- run queue and wait queues --- */

static void rq_push(struct mira_fiber *f)
{
    f->state = FIBER_RUNNABLE;
    f->rq_next = NULL;
    if (S.rq_tail)
        S.rq_tail->rq_next = f;
    else
        S.rq_head = f;
    S.rq_tail = f;
}

static struct mira_fiber *rq_pop(void)
{
    struct mira_fiber *f = S.rq_head;
    if (f) {
        S.rq_head = f->rq_next;
        if (S.rq_head == NULL)
            S.rq_tail = NULL;
    }
    return f;
}

static void waitq_unlink(struct mira_fiber *f)
{
    struct mira_waitq *q = f->waitq;
    if (q == NULL)
        return;
    if (f->wq_prev)
        f->wq_prev->wq_next = f->wq_next;
    else
        q->head = f->wq_next;
    if (f->wq_next)
        f->wq_next->wq_prev = f->wq_prev;
    else
        q->tail = f->wq_prev;
    if (q->external)
        S.external_waiters--;
    f->waitq = NULL;
    f->wq_next = f->wq_prev = NULL;
}

/* Makes a waiting fiber runnable, detaching it from its queue and timer. */
static void make_runnable(struct mira_fiber *f, int timed_out)
{
    waitq_unlink(f);
    timer_remove(f);
    f->timed_out = timed_out;
    rq_push(f);
}

void mira_waitq_init(struct mira_waitq *q, bool external)
{
    q->head = q->tail = NULL;
    q->external = external;
}

bool mira_wake_one(struct mira_waitq *q)
{
    if (q->head == NULL)
        return false;
    make_runnable(q->head, 0);
    return true;
}

int mira_wake_all(struct mira_waitq *q)
{
    int n = 0;
    while (mira_wake_one(q))
        n++;
    return n;
}

/* --- switching --- */

static void switch_to_scheduler(struct mira_fiber *self)
{
#ifdef MIRA_ASAN
    __sanitizer_start_switch_fiber(
        self->state == FIBER_DONE ? NULL : &self->asan_fake_stack,
        S.sched_bottom, S.sched_size);
#endif
    mira_arch_switch(&self->sp, S.sched_sp);
#ifdef MIRA_ASAN
    __sanitizer_finish_switch_fiber(self->asan_fake_stack, NULL, NULL);
#endif
}

static void switch_to_fiber(struct mira_fiber *f)
{
    S.current = f;
#ifdef MIRA_ASAN
    __sanitizer_start_switch_fiber(&S.asan_fake_stack, f->stack_bottom,
                                   f->stack_usable);
#endif
    mira_arch_switch(&S.sched_sp, f->sp);
#ifdef MIRA_ASAN
    __sanitizer_finish_switch_fiber(S.asan_fake_stack, NULL, NULL);
#endif
    S.current = NULL;
}

/* Suspends the running fiber, which must already be on a queue, a timer,
 * or finished. */
static void suspend(void)
{
    struct mira_fiber *self = S.current;
    MIRA_ASSERT(self != NULL);
    switch_to_scheduler(self);
}

static void free_fiber(struct mira_fiber *f)
{
    if (f->stack)
        mira_platform_stack_free(f->stack, f->stack_size);
    free(f);
}

static void fiber_entry(void *arg)
{
    struct mira_fiber *f = arg;
#ifdef MIRA_ASAN
    __sanitizer_finish_switch_fiber(NULL, &S.sched_bottom, &S.sched_size);
#endif
    f->fn(f->arg);
    /* Finished: unlink from the live list, hand the stack to the scheduler
     * to free (we are still running on it) and never come back. */
    if (f->all_prev)
        f->all_prev->all_next = f->all_next;
    else
        S.all = f->all_next;
    if (f->all_next)
        f->all_next->all_prev = f->all_prev;
    S.live--;
    f->state = FIBER_DONE;
    mira_wake_all(&f->joinq);
    S.reap = f;
    switch_to_scheduler(f);
    mira_panic("finished fiber %s was resumed", f->name);
}

static struct mira_fiber *spawn(const char *name, mira_fiber_fn fn, void *arg,
                                size_t stack_size, int joinable)
{
    struct mira_fiber *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    if (stack_size == 0)
        stack_size = MIRA_FIBER_STACK_DEFAULT;
    f->stack = mira_platform_stack_alloc(stack_size, &f->stack_bottom,
                                         &f->stack_usable);
    if (f->stack == NULL) {
        free(f);
        return NULL;
    }
    f->stack_size = stack_size;
    f->name = name ? name : "fiber";
    f->fn = fn;
    f->arg = arg;
    f->joinable = joinable;
    f->heap_index = NOT_IN_HEAP;
    mira_waitq_init(&f->joinq, false);
    f->sp = mira_arch_stack_init((char *)f->stack_bottom + f->stack_usable,
                                 fiber_entry, f);
    f->all_next = S.all;
    if (S.all)
        S.all->all_prev = f;
    S.all = f;
    S.live++;
    rq_push(f);
    return f;
}

int mira_spawn(const char *name, mira_fiber_fn fn, void *arg,
               size_t stack_size)
{
    return spawn(name, fn, arg, stack_size, 0) ? MIRA_OK : MIRA_ENOMEM;
}

struct mira_fiber *mira_spawn_joinable(const char *name, mira_fiber_fn fn,
                                       void *arg, size_t stack_size)
{
    return spawn(name, fn, arg, stack_size, 1);
}

void mira_join(struct mira_fiber *f)
{
    MIRA_ASSERT(f != NULL && f->joinable);
    while (f->state != FIBER_DONE)
        mira_wait(&f->joinq);
    free(f);
}

void mira_yield(void)
{
    struct mira_fiber *self = S.current;
    MIRA_ASSERT(self != NULL);
    rq_push(self);
    suspend();
}

struct mira_fiber *mira_self(void)
{
    return S.current;
}

const char *mira_fiber_name(const struct mira_fiber *f)
{
    return f->name;
}

int mira_wait_until(struct mira_waitq *q, mira_time_t deadline)
{
    struct mira_fiber *self = S.current;
    MIRA_ASSERT(self != NULL);
    if (deadline != MIRA_TIME_NEVER && timer_add(self, deadline) < 0)
        mira_panic("out of memory for timers");
    self->state = FIBER_WAITING;
    self->waitq = q;
    self->wq_next = NULL;
    self->wq_prev = q->tail;
    if (q->tail)
        q->tail->wq_next = self;
    else
        q->head = self;
    q->tail = self;
    if (q->external)
        S.external_waiters++;
    suspend();
    return self->timed_out ? MIRA_ETIMEDOUT : MIRA_OK;
}

int mira_wait(struct mira_waitq *q)
{
    return mira_wait_until(q, MIRA_TIME_NEVER);
}

void mira_sleep_until(mira_time_t deadline)
{
    struct mira_fiber *self = S.current;
    MIRA_ASSERT(self != NULL);
    if (deadline <= mira_clock_monotonic()) {
        mira_yield();
        return;
    }
    if (timer_add(self, deadline) < 0)
        mira_panic("out of memory for timers");
    self->state = FIBER_WAITING;
    suspend();
}

void mira_sleep(mira_time_t duration)
{
    mira_sleep_until(mira_clock_monotonic() + (duration > 0 ? duration : 0));
}

mira_time_t mira_clock_monotonic(void)
{
    return mira_platform_monotonic();
}

mira_time_t mira_clock_wall(void)
{
    return mira_platform_wall();
}

/* --- the scheduler loop --- */

static void fire_timers(mira_time_t now)
{
    while (S.heap_len > 0 && S.heap[0]->deadline <= now)
        make_runnable(S.heap[0], 1);
}

static void report_deadlock(void)
{
    mira_log(MIRA_LOG_ERROR, "sched",
             "deadlock: all %zu fibers wait and no timer or I/O can wake one",
             S.live);
    for (struct mira_fiber *f = S.all; f; f = f->all_next)
        mira_log(MIRA_LOG_ERROR, "sched", "  fiber '%s' waits on a %s",
                 f->name, f->waitq ? "wait queue" : "timer");
}

int mira_sched_run(struct mira_fiber *main_fiber)
{
    for (;;) {
        if (S.rq_head == NULL || ++S.dispatches % POLL_EVERY == 0) {
            mira_time_t now = mira_platform_monotonic();
            fire_timers(now);
            if (S.rq_head == NULL) {
                if (S.heap_len == 0 && S.external_waiters == 0) {
                    report_deadlock();
                    return MIRA_EXIT_DEADLOCK;
                }
                mira_platform_wait(S.heap_len ? S.heap[0]->deadline
                                              : MIRA_TIME_NEVER);
                continue;
            }
            /* Fibers are runnable: still let I/O events in, without
             * blocking, so a busy fiber cannot starve the devices. */
            mira_platform_wait(now);
        }
        struct mira_fiber *f = rq_pop();
        if (f == NULL)
            continue;
        switch_to_fiber(f);
        if (S.reap) {
            struct mira_fiber *done = S.reap;
            S.reap = NULL;
            if (done == main_fiber)
                return MIRA_SCHED_MAIN_DONE;
            if (done->joinable) {
                mira_platform_stack_free(done->stack, done->stack_size);
                done->stack = NULL;
            } else {
                free_fiber(done);
            }
        }
    }
}

void mira_sched_collect(struct mira_fiber *f)
{
    MIRA_ASSERT(f->state == FIBER_DONE);
    free_fiber(f);
}

struct mira_fiber *mira_sched_spawn_main(mira_fiber_fn fn, void *arg,
                                         size_t stack_size)
{
    return spawn("main", fn, arg, stack_size, 1);
}

void mira_sched_reset(void)
{
    while (S.all) {
        struct mira_fiber *f = S.all;
        S.all = f->all_next;
        free_fiber(f);
    }
    if (S.reap) {
        free_fiber(S.reap);
    }
    free(S.heap);
    memset(&S, 0, sizeof(S));
}

size_t mira_sched_live(void)
{
    return S.live;
}
