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
#include <mira/timer.h>

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

/* One fiber on one wait queue.  Lives on the waiting fiber's stack for as
 * long as the wait lasts. */
struct mira_wait_link {
    struct mira_wait_link *next, *prev;
    struct mira_waitq *q;
    struct mira_fiber *fiber;
};

/* What ended a fiber's wait: the index of the link whose queue woke it, or
 * WOKEN_BY_TIMER. */
#define WOKEN_BY_TIMER (-1)

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
    int woken_by;              /* how the last wait ended (see above) */
    struct mira_fiber *rq_next;          /* run queue */
    struct mira_wait_link *links;        /* the queues it waits on */
    int nlinks;
    struct mira_fiber *all_next, *all_prev; /* every live fiber */
    struct mira_timer timer;   /* its sleep or wait deadline */
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
    struct mira_timer **heap;
    size_t heap_len, heap_cap;
    size_t heap_reserved;      /* slots promised to timers and fibers */
    uint64_t timer_seq;
    size_t external_waiters;   /* links on external queues */
    size_t live;
    unsigned dispatches;
#ifdef MIRA_ASAN
    void *asan_fake_stack;
    const void *sched_bottom;
    size_t sched_size;
#endif
} S;

/* --- timer heap ---
 * A binary min-heap of armed timers keyed by (deadline, seq).  Every timer
 * (each fiber's own, each struct mira_timer between init and fini) reserves
 * a slot first, so arming never allocates and never fails. */

static int timer_before(const struct mira_timer *a, const struct mira_timer *b)
{
    if (a->deadline != b->deadline)
        return a->deadline < b->deadline;
    return a->seq < b->seq;
}

static void heap_set(size_t i, struct mira_timer *t)
{
    S.heap[i] = t;
    t->heap_index = i;
}

static void heap_up(size_t i)
{
    struct mira_timer *t = S.heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!timer_before(t, S.heap[parent]))
            break;
        heap_set(i, S.heap[parent]);
        i = parent;
    }
    heap_set(i, t);
}

static void heap_down(size_t i)
{
    struct mira_timer *t = S.heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= S.heap_len)
            break;
        if (c + 1 < S.heap_len && timer_before(S.heap[c + 1], S.heap[c]))
            c++;
        if (!timer_before(S.heap[c], t))
            break;
        heap_set(i, S.heap[c]);
        i = c;
    }
    heap_set(i, t);
}

/* Promises one more timer a heap slot. */
static int heap_reserve(void)
{
    if (S.heap_reserved == S.heap_cap) {
        size_t cap = S.heap_cap ? S.heap_cap * 2 : 64;
        struct mira_timer **h = realloc(S.heap, cap * sizeof(*h));
        if (h == NULL)
            return MIRA_ENOMEM;
        S.heap = h;
        S.heap_cap = cap;
    }
    S.heap_reserved++;
    return MIRA_OK;
}

static void timer_remove(struct mira_timer *t)
{
    size_t i = t->heap_index;
    if (i == NOT_IN_HEAP)
        return;
    t->heap_index = NOT_IN_HEAP;
    S.heap_len--;
    if (i == S.heap_len)
        return;
    heap_set(i, S.heap[S.heap_len]);
    heap_up(i);
    heap_down(S.heap[i]->heap_index);
}

/* Arms t (which holds a reserved slot) for deadline, replacing any other. */
static void timer_add(struct mira_timer *t, mira_time_t deadline)
{
    timer_remove(t);
    if (deadline == MIRA_TIME_NEVER)
        return;
    MIRA_ASSERT(S.heap_len < S.heap_cap);
    t->deadline = deadline;
    t->seq = S.timer_seq++;
    S.heap[S.heap_len] = t;
    t->heap_index = S.heap_len++;
    heap_up(t->heap_index);
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

static void link_append(struct mira_wait_link *l, struct mira_waitq *q,
                        struct mira_fiber *f)
{
    l->q = q;
    l->fiber = f;
    l->next = NULL;
    l->prev = q->tail;
    if (q->tail)
        q->tail->next = l;
    else
        q->head = l;
    q->tail = l;
    if (q->external)
        S.external_waiters++;
}

static void link_remove(struct mira_wait_link *l)
{
    struct mira_waitq *q = l->q;
    if (l->prev)
        l->prev->next = l->next;
    else
        q->head = l->next;
    if (l->next)
        l->next->prev = l->prev;
    else
        q->tail = l->prev;
    if (q->external)
        S.external_waiters--;
    l->next = l->prev = NULL;
}

/* Makes a waiting fiber runnable, detaching it from all its queues and its
 * timer; woken_by says why (a link index or WOKEN_BY_TIMER). */
static void make_runnable(struct mira_fiber *f, int woken_by)
{
    for (int i = 0; i < f->nlinks; i++)
        link_remove(&f->links[i]);
    f->links = NULL;
    f->nlinks = 0;
    timer_remove(&f->timer);
    f->woken_by = woken_by;
    rq_push(f);
}

/* A fiber's own timer: its sleep or wait deadline has come. */
static void fiber_deadline(void *arg)
{
    struct mira_fiber *f = arg;
    if (f->state == FIBER_WAITING)
        make_runnable(f, WOKEN_BY_TIMER);
}

void mira_waitq_init(struct mira_waitq *q, bool external)
{
    q->head = q->tail = NULL;
    q->external = external;
}

bool mira_wake_one(struct mira_waitq *q)
{
    struct mira_wait_link *l = q->head;
    if (l == NULL)
        return false;
    make_runnable(l->fiber, (int)(l - l->fiber->links));
    return true;
}

int mira_wake_all(struct mira_waitq *q)
{
    int n = 0;
    while (mira_wake_one(q))
        n++;
    return n;
}

/* --- timers for drivers (mira/timer.h) --- */

int mira_timer_init(struct mira_timer *t, mira_timer_fn fn, void *arg)
{
    MIRA_ASSERT(t != NULL && fn != NULL);
    int r = heap_reserve();
    if (r < 0)
        return r;
    t->fn = fn;
    t->arg = arg;
    t->heap_index = NOT_IN_HEAP;
    t->deadline = MIRA_TIME_NEVER;
    t->seq = 0;
    t->reserved = true;
    return MIRA_OK;
}

static void wake_all_callback(void *arg)
{
    mira_wake_all(arg);
}

int mira_timer_init_wake(struct mira_timer *t, struct mira_waitq *q)
{
    MIRA_ASSERT(q != NULL);
    return mira_timer_init(t, wake_all_callback, q);
}

void mira_timer_arm(struct mira_timer *t, mira_time_t deadline)
{
    MIRA_ASSERT(t->reserved);
    timer_add(t, deadline);
}

bool mira_timer_cancel(struct mira_timer *t)
{
    MIRA_ASSERT(t->reserved);
    bool armed = t->heap_index != NOT_IN_HEAP;
    timer_remove(t);
    return armed;
}

bool mira_timer_armed(const struct mira_timer *t)
{
    return t->heap_index != NOT_IN_HEAP;
}

void mira_timer_fini(struct mira_timer *t)
{
    MIRA_ASSERT(t->reserved);
    timer_remove(t);
    t->reserved = false;
    S.heap_reserved--;
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
    /* Finished: unlink from the live list, give back its timer slot, hand
     * the stack to the scheduler to free (we are still running on it) and
     * never come back. */
    if (f->all_prev)
        f->all_prev->all_next = f->all_next;
    else
        S.all = f->all_next;
    if (f->all_next)
        f->all_next->all_prev = f->all_prev;
    S.live--;
    MIRA_ASSERT(f->timer.heap_index == NOT_IN_HEAP);
    S.heap_reserved--;
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
    if (heap_reserve() < 0) {
        free(f);
        return NULL;
    }
    if (stack_size == 0)
        stack_size = MIRA_FIBER_STACK_DEFAULT;
    f->stack = mira_platform_stack_alloc(stack_size, &f->stack_bottom,
                                         &f->stack_usable);
    if (f->stack == NULL) {
        S.heap_reserved--;
        free(f);
        return NULL;
    }
    f->stack_size = stack_size;
    f->name = name ? name : "fiber";
    f->fn = fn;
    f->arg = arg;
    f->joinable = joinable;
    f->timer = (struct mira_timer){ .heap_index = NOT_IN_HEAP, .fn = fiber_deadline,
                                    .arg = f, .reserved = true };
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

/* The running fiber; a panic when there is none (a timer callback). */
static struct mira_fiber *self_fiber(const char *what)
{
    struct mira_fiber *self = S.current;
    if (self == NULL)
        mira_panic("%s called outside a fiber (a timer callback must not wait)",
                   what);
    return self;
}

void mira_yield(void)
{
    struct mira_fiber *self = self_fiber("mira_yield");
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

/* Suspends the running fiber on n queues (links[] holds one per queue, on
 * its stack) and its timer until one of them wakes it.  Returns how. */
static int wait_links(struct mira_fiber *self, struct mira_wait_link *links,
                      struct mira_waitq *const qs[], int n, mira_time_t deadline)
{
    for (int i = 0; i < n; i++) {
        MIRA_ASSERT(qs[i] != NULL);
        link_append(&links[i], qs[i], self);
    }
    self->links = links;
    self->nlinks = n;
    timer_add(&self->timer, deadline);
    self->state = FIBER_WAITING;
    suspend();
    return self->woken_by;
}

int mira_wait_until(struct mira_waitq *q, mira_time_t deadline)
{
    struct mira_fiber *self = self_fiber("mira_wait");
    struct mira_wait_link link;
    struct mira_waitq *const qs[1] = { q };
    return wait_links(self, &link, qs, 1, deadline) == WOKEN_BY_TIMER
               ? MIRA_ETIMEDOUT : MIRA_OK;
}

int mira_wait(struct mira_waitq *q)
{
    return mira_wait_until(q, MIRA_TIME_NEVER);
}

int mira_wait_any(struct mira_waitq *const qs[], int n, mira_time_t deadline)
{
    struct mira_fiber *self = self_fiber("mira_wait_any");
    if (n < 1 || n > MIRA_WAIT_ANY_MAX)
        mira_panic("mira_wait_any: %d queues (1..%d)", n, MIRA_WAIT_ANY_MAX);
    struct mira_wait_link links[MIRA_WAIT_ANY_MAX];
    int r = wait_links(self, links, qs, n, deadline);
    return r == WOKEN_BY_TIMER ? MIRA_ETIMEDOUT : r;
}

void mira_sleep_until(mira_time_t deadline)
{
    struct mira_fiber *self = self_fiber("mira_sleep");
    if (deadline <= mira_clock_monotonic()) {
        mira_yield();
        return;
    }
    /* MIRA_TIME_NEVER arms nothing: the fiber waits for good, and counts
     * as such for the deadlock check. */
    wait_links(self, NULL, NULL, 0, deadline);
}

void mira_sleep(mira_time_t duration)
{
    mira_sleep_until(mira_time_add(mira_clock_monotonic(),
                                   duration > 0 ? duration : 0));
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

/* Runs every timer due at now, in (deadline, arming) order.  Timers armed
 * by the callbacks of this pass wait for the next pass, so a callback that
 * re-arms itself in the past cannot keep the scheduler here. */
static void fire_timers(mira_time_t now)
{
    uint64_t pass_end = S.timer_seq;
    while (S.heap_len > 0 && S.heap[0]->deadline <= now &&
           S.heap[0]->seq < pass_end) {
        struct mira_timer *t = S.heap[0];
        timer_remove(t);
        t->fn(t->arg);
    }
}

/* Called when no fiber is runnable, no timer is armed and no fiber waits on
 * an external queue: so every live fiber waits on fiber-only queues or
 * sleeps until MIRA_TIME_NEVER. */
static void report_deadlock(void)
{
    mira_log(MIRA_LOG_ERROR, "sched",
             "deadlock: all %zu fibers wait and no timer or I/O can wake one",
             S.live);
    for (struct mira_fiber *f = S.all; f; f = f->all_next) {
        if (f->nlinks == 0)
            mira_log(MIRA_LOG_ERROR, "sched", "  fiber '%s' sleeps forever",
                     f->name);
        else if (f->nlinks == 1)
            mira_log(MIRA_LOG_ERROR, "sched", "  fiber '%s' waits on a wait queue",
                     f->name);
        else
            mira_log(MIRA_LOG_ERROR, "sched",
                     "  fiber '%s' waits on any of %d wait queues", f->name,
                     f->nlinks);
    }
}

int mira_sched_run(struct mira_fiber *main_fiber)
{
    for (;;) {
        if (S.rq_head == NULL || ++S.dispatches % POLL_EVERY == 0) {
            fire_timers(mira_platform_monotonic());
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
            mira_platform_wait(MIRA_PLATFORM_POLL);
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
    if (S.current != NULL) {
        /* A fiber left by a longjmp (a failed test assertion) instead of a
         * switch: we run on the scheduler's stack again, and ASan must be
         * told so before the fiber's stack is unmapped. */
#ifdef MIRA_ASAN
        __sanitizer_start_switch_fiber(NULL, S.sched_bottom, S.sched_size);
        __sanitizer_finish_switch_fiber(S.asan_fake_stack, NULL, NULL);
#endif
        S.current = NULL;
    }
    while (S.all) {
        struct mira_fiber *f = S.all;
        S.all = f->all_next;
        free_fiber(f);
    }
    if (S.reap)
        free_fiber(S.reap);
    free(S.heap);
    memset(&S, 0, sizeof(S));
}

size_t mira_sched_live(void)
{
    return S.live;
}

size_t mira_sched_timers_armed(void)
{
    return S.heap_len;
}

size_t mira_sched_waitq_length(const struct mira_waitq *q)
{
    size_t n = 0;
    for (const struct mira_wait_link *l = q->head; l; l = l->next)
        n++;
    return n;
}
