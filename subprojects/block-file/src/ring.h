/* ring.h - one io_uring per device, shared by every fiber that has a
 * request on it.  A request waits only for its own fiber: the fiber that
 * first needs to wait becomes the ring's poller (it waits on the ring's
 * completion eventfd through the platform's poll loop, reaps every
 * completion and wakes the fibers they belong to); the others wait on
 * their own request.  When the poller's request is done it hands the role
 * to a fiber whose request is still in flight. */
#ifndef BLOCK_FILE_RING_H
#define BLOCK_FILE_RING_H

#include <stdbool.h>
#include <stdint.h>
#include <liburing.h>
#include <mira/fiber.h>

struct bf_req;

struct bf_ring {
    struct io_uring uring;
    int efd;                  /* completion eventfd, registered with uring */
    unsigned entries;         /* most requests in flight at once */
    unsigned in_flight;
    unsigned max_in_flight;   /* the most there ever were (statistics) */
    uint64_t requests;        /* requests submitted (statistics) */
    bool polling;             /* some fiber is the poller now */
    struct bf_req *pending;   /* submitted, not yet completed */
    struct mira_waitq slot_q; /* fibers waiting for in_flight < entries */
};

/* bf_ring_init: sets up r with room for entries requests in flight.
 * Returns 0 or a negative errno (io_uring_setup's: ENOSYS, EPERM when
 * io_uring is unavailable or forbidden). */
int bf_ring_init(struct bf_ring *r, unsigned entries);

/* bf_ring_exit: releases r; no request may be in flight. */
void bf_ring_exit(struct bf_ring *r);

/* What one request does; fill an io_uring SQE for it. */
typedef void (*bf_prep_fn)(struct io_uring_sqe *sqe, void *arg);

/* bf_ring_run: submits one request (prep fills its SQE), waits - the
 * calling fiber only - until it completes, and returns its result (the
 * CQE's res: a count, 0, or a negative errno). */
int bf_ring_run(struct bf_ring *r, bf_prep_fn prep, void *arg);

#endif
