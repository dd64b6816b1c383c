/*
 * mira/xen/evtchn.h - event channels for Mira's Xen drivers.
 *
 * Two levels.  A driver normally opens a struct mira_evtchn: a port plus
 * an external wait queue that every event on the port wakes, so a fiber
 * waits for "the backend did something" with mira_evtchn_wait(ch,
 * deadline) and nobody writes the handler-wakes-a-queue boilerplate again.
 * The raw level (mira_evtchn_bind with a handler) stays for drivers that
 * want to do work in the handler itself.
 *
 * Handlers run inside the scheduler's idle wait (mira_platform_wait), on
 * the scheduler's stack and never inside an interrupt: they may call
 * mira_wake_* and touch driver state freely, but must not wait.
 *
 * Errors: MIRA_EIO when Xen refuses an operation, MIRA_EINVAL for a port
 * out of range, MIRA_ETIMEDOUT when a wait's deadline passed.
 */
#ifndef MIRA_XEN_EVTCHN_H
#define MIRA_XEN_EVTCHN_H

#include <stdbool.h>
#include <stdint.h>
#include <mira/fiber.h>
#include <mira/time.h>
#include <mira/xen/hypercall.h>

typedef void (*mira_evtchn_handler)(evtchn_port_t port, void *arg);

/* Installs handler for port (replacing any) and unmasks the port.
 * Returns 0 or MIRA_EINVAL for a port out of range. */
int mira_evtchn_bind(evtchn_port_t port, mira_evtchn_handler handler, void *arg);

/* Masks port and removes its handler (the port stays allocated). */
void mira_evtchn_unbind(evtchn_port_t port);

/* Closes port in Xen (EVTCHNOP_close) after unbinding it: the remote end
 * sees it closed and the number can be reused.  0 or MIRA_EIO. */
int mira_evtchn_close_port(evtchn_port_t port);

/* Allocates an unbound port that domain remote may bind to; 0 or a
 * negative MIRA_E* code. */
int mira_evtchn_alloc_unbound(domid_t remote, evtchn_port_t *port);

/* Binds VIRQ virq on vCPU 0 to a new port. */
int mira_evtchn_bind_virq(uint32_t virq, evtchn_port_t *port);

/* Signals the other end of port. */
void mira_evtchn_notify(evtchn_port_t port);

void mira_evtchn_mask(evtchn_port_t port);
void mira_evtchn_unmask(evtchn_port_t port);

/* Dispatches every pending, unmasked event to its handler; returns the
 * number of events handled.  Called by the platform's idle loop; drivers
 * that must poll before the scheduler runs may call it too. */
int mira_evtchn_dispatch(void);

/*
 * A port with its own wait queue.  The struct belongs to the driver (embed
 * it); the fields are read-only for it.
 */
struct mira_evtchn {
    evtchn_port_t port;
    bool open;
    bool fired;              /* an event came since the last wait took it */
    struct mira_waitq waitq; /* external: woken by every event on port */
};

/* Allocates a port that domain remote may bind to (a frontend's half of an
 * inter-domain channel), and opens ch on it.  0 or MIRA_EIO. */
int mira_evtchn_open_unbound(struct mira_evtchn *ch, domid_t remote);

/* Opens ch on an existing local port (e.g. from mira_evtchn_bind_virq).
 * 0 or MIRA_EINVAL. */
int mira_evtchn_open_port(struct mira_evtchn *ch, evtchn_port_t port);

/* Waits until an event has arrived on ch since the previous wait returned
 * (at once if one already has), or the monotonic clock reaches deadline
 * (MIRA_TIME_NEVER: none).  Returns 0, or MIRA_ETIMEDOUT.  Events do not
 * queue: several events before a wait count as one, so a driver checks
 * its ring after every return, in a loop.  From a fiber only the fiber
 * waits; before the scheduler runs, or while the guest stops, it polls. */
int mira_evtchn_wait(struct mira_evtchn *ch, mira_time_t deadline);

/* The queue every event on ch wakes, so that a fiber can wait for the
 * first of several things at once (mira_wait_any of mira/fiber.h, with a
 * xenstore watch's queue for instance).  After such a wait, call
 * mira_evtchn_wait(ch, 0) to learn (0) and consume the event. */
static inline struct mira_waitq *mira_evtchn_waitq(struct mira_evtchn *ch)
{
    return &ch->waitq;
}

/* Signals the remote end of ch. */
void mira_evtchn_kick(const struct mira_evtchn *ch);

/* Closes ch's port (mira_evtchn_close_port) and wakes its waiters, which
 * then return as for an event.  Closing a closed ch does nothing. */
void mira_evtchn_close(struct mira_evtchn *ch);

#endif
