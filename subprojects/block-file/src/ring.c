/* ring.c - requests of many fibers on one io_uring (see ring.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <mira/log.h>
#include <mira/unix.h>

#include "ring.h"

/* One request in flight; lives on its fiber's stack until it completes. */
struct bf_req {
    struct bf_req *prev, *next; /* in r->pending */
    struct mira_waitq q;        /* its fiber waits here unless it polls */
    int res;
    bool done;
};

int bf_ring_init(struct bf_ring *r, unsigned entries)
{
    memset(r, 0, sizeof(*r));
    r->entries = entries;
    mira_waitq_init(&r->slot_q, false);
    int err = io_uring_queue_init(entries, &r->uring, 0);
    if (err < 0)
        return err;
    r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (r->efd < 0) {
        err = -errno;
        io_uring_queue_exit(&r->uring);
        return err;
    }
    err = io_uring_register_eventfd(&r->uring, r->efd);
    if (err < 0) {
        close(r->efd);
        io_uring_queue_exit(&r->uring);
        return err;
    }
    return 0;
}

void bf_ring_exit(struct bf_ring *r)
{
    if (r->in_flight != 0)
        mira_panic("block-file: device closed with %u requests in flight", r->in_flight);
    io_uring_queue_exit(&r->uring);
    close(r->efd);
}

/* Takes every completion off the ring and wakes the fibers they finish. */
static void reap(struct bf_ring *r)
{
    struct io_uring_cqe *cqe;
    while (io_uring_peek_cqe(&r->uring, &cqe) == 0) {
        struct bf_req *q = io_uring_cqe_get_data(cqe);
        q->res = cqe->res;
        io_uring_cqe_seen(&r->uring, cqe);
        q->done = true;
        if (q->prev)
            q->prev->next = q->next;
        else
            r->pending = q->next;
        if (q->next)
            q->next->prev = q->prev;
        r->in_flight--;
        mira_wake_one(&q->q);
        mira_wake_one(&r->slot_q);
    }
}

/* Clears the eventfd's count, so that the next poll waits for a new CQE. */
static void drain_eventfd(struct bf_ring *r)
{
    uint64_t n;
    while (read(r->efd, &n, sizeof(n)) < 0 && errno == EINTR)
        ;
}

/* Waits as the poller until q completes.  Drain, then reap, then wait:
 * a completion that lands after the drain signals the eventfd again, so
 * none can be missed. */
static void poll_until_done(struct bf_ring *r, struct bf_req *q)
{
    reap(r);
    while (!q->done) {
        drain_eventfd(r);
        reap(r);
        if (q->done)
            break;
        mira_unix_wait_fd(r->efd, POLLIN, MIRA_TIME_NEVER);
    }
}

static void submit(struct bf_ring *r)
{
    for (;;) {
        int n = io_uring_submit(&r->uring);
        if (n >= 0)
            return;
        if (n != -EINTR && n != -EAGAIN && n != -EBUSY)
            mira_panic("block-file: io_uring_submit: %s", strerror(-n));
        /* The kernel is short of room for completions: make some. */
        reap(r);
        mira_yield();
    }
}

int bf_ring_run(struct bf_ring *r, bf_prep_fn prep, void *arg)
{
    while (r->in_flight >= r->entries)
        mira_wait(&r->slot_q);
    struct io_uring_sqe *sqe = io_uring_get_sqe(&r->uring);
    if (sqe == NULL) /* every earlier SQE was submitted at once */
        mira_panic("block-file: io_uring submission queue full");
    struct bf_req q = { .next = r->pending };
    mira_waitq_init(&q.q, false);
    prep(sqe, arg);
    io_uring_sqe_set_data(sqe, &q);
    if (r->pending)
        r->pending->prev = &q;
    r->pending = &q;
    if (++r->in_flight > r->max_in_flight)
        r->max_in_flight = r->in_flight;
    r->requests++;
    submit(r);

    while (!q.done) {
        if (r->polling) {
            mira_wait(&q.q);
            continue;
        }
        r->polling = true;
        poll_until_done(r, &q);
        r->polling = false;
        /* Hand the poller's role to a fiber still waiting for the ring. */
        if (r->pending)
            mira_wake_one(&r->pending->q);
    }
    return q.res;
}
