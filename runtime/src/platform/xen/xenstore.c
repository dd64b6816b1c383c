/*
 * xenstore.c - the xenstore client of the xen guest (see mira/xen/xenstore.h).
 *
 * The ring (xenstore_domain_interface) and its event channel come from
 * HVM_PARAM_STORE_PFN / HVM_PARAM_STORE_EVTCHN.
 *
 * Reading: the reader (reader_step) takes whatever bytes are on the
 * response ring, assembles messages in rx and dispatches each one at once:
 * a reply to the pending request with its req_id, a watch event to its
 * token's queue.  It never waits, so anyone may run it: the event channel
 * handler does, and so does every call before it waits or gives up.  Hence
 * no message stays on the ring because the fiber that happened to read
 * before went away (a watch event left behind a reply used to be lost).
 *
 * Writing: one message at a time (the writing flag), since a message larger
 * than the free space goes out in pieces and another message must not land
 * between them.  Several requests may wait for replies at once.
 *
 * Every request has a deadline.  A message whose framing cannot be trusted
 * (a length above XENSTORE_PAYLOAD_MAX, an unknown type, a message still
 * incomplete at a deadline, corrupt indices, a request cut short) breaks
 * the connection for good: there is no way to find the next message
 * boundary in a byte stream, so every later call fails with MIRA_EIO.
 *
 * A fiber waits on a wait queue; before the scheduler runs, or while the
 * guest stops, the caller polls (halting until an event or 1 ms).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mira/error.h>
#include <mira/fiber.h>
#include <mira/log.h>
#include <mira/param.h>
#include <mira/xen/evtchn.h>
#include <mira/xen/idle.h>
#include <mira/xen/byte_ring.h>
#include <mira/xen/xenstore.h>
#include <mira/xen/xs_proto.h>
#include "../../platform.h"
#include "xen_internal.h"

#define XS_TIMEOUT_DEFAULT_MS 5000
/* Distinct paths queued per token; beyond, events are dropped (counted). */
#define XS_EVENTS_MAX 64

static struct xenstore_domain_interface *intf;
static evtchn_port_t port;
static unsigned domid;
static bool broken;
static struct mira_xs_stats stats;

/* --- writers --- */
static struct mira_waitq spaceq; /* woken when xenstored may have made space */
static struct mira_waitq writeq; /* fibers waiting for the writer's turn */
static bool writing;
static uint32_t next_req_id;
static char txbuf[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];

/* --- requests waiting for their reply (on their fiber's stack) --- */
struct pending {
    struct pending *next;
    uint32_t req_id, type;
    char *out;       /* the reply's payload goes here, cut to out_size */
    size_t out_size;
    long result;     /* the reply's full length, or a negative code */
    bool done;
    struct mira_waitq q;
};
static struct pending *pendings;

/* --- the reader's message being assembled --- */
static struct {
    struct xsd_sockmsg h;
    char payload[XENSTORE_PAYLOAD_MAX + 1]; /* + a NUL of ours */
} rx;
static size_t rx_have;        /* bytes of rx (header, then payload) so far */
static mira_time_t rx_last;   /* when the last byte of rx came */

/* --- watches: one record per token, with its queue of changed paths --- */
struct xs_event {
    struct xs_event *next;
    char path[];
};
struct xs_watch {
    struct xs_watch *next;
    unsigned paths;  /* registered watches (paths) with this token */
    unsigned queued;
    struct xs_event *head, **tail;
    char token[];
};
static struct xs_watch *watches;
static struct mira_waitq watchq;

static mira_time_t now(void)
{
    return mira_platform_monotonic();
}

static bool fiber_mode(void)
{
    return mira_xen_sched_running && !mira_xen_stopping && mira_self() != NULL;
}

/* The deadline of a call starting now (runtime parameter
 * xenstore-timeout-ms; read at every call since xenstore is used before
 * the command line is parsed). */
static mira_time_t call_deadline(void)
{
    static bool warned;
    long ms = XS_TIMEOUT_DEFAULT_MS;
    const char *v = mira_param("xenstore-timeout-ms", NULL);
    if (v != NULL) {
        char *end;
        unsigned long n = strtoul(v, &end, 10);
        if (*v != 0 && *end == 0 && n > 0 && n <= 3600000)
            ms = (long)n;
        else if (!warned) {
            warned = true;
            mira_log(MIRA_LOG_WARN, "xenstore", "xenstore-timeout-ms=%s is not a "
                     "count of milliseconds (1..3600000): using %ld", v, ms);
        }
    }
    return now() + MIRA_MILLISECONDS(ms);
}

/* Fails every pending request and wakes every waiter; logs why once. */
static void set_broken(const char *why)
{
    if (!broken) {
        mira_log(MIRA_LOG_ERROR, "xenstore", "%s: connection broken, every "
                 "later call fails with EIO", why);
        broken = true;
        stats.broken = true;
    }
    while (pendings) {
        struct pending *p = pendings;
        pendings = p->next;
        p->result = MIRA_EIO;
        p->done = true;
        mira_wake_all(&p->q);
    }
    mira_wake_all(&watchq);
    mira_wake_all(&spaceq);
    mira_wake_all(&writeq);
}

/* Counts a dropped message; the first of each kind is a warning. */
static void dropped(unsigned long *counter, const char *what, const char *detail)
{
    (*counter)++;
    mira_log(*counter == 1 ? MIRA_LOG_WARN : MIRA_LOG_DEBUG, "xenstore",
             "dropped %s (%s)", what, detail);
}

/* Waits for q to be woken or deadline: a fiber sleeps; otherwise poll. */
static void wait_for(struct mira_waitq *q, mira_time_t deadline)
{
    if (fiber_mode()) {
        mira_wait_until(q, deadline);
        return;
    }
    if (mira_evtchn_dispatch() > 0)
        return;
    mira_time_t t = now() + MIRA_MILLISECONDS(1);
    mira_xen_idle_until(t < deadline ? t : deadline);
}

/* --- watches --- */

static struct xs_watch *find_watch(const char *token)
{
    for (struct xs_watch *w = watches; w; w = w->next)
        if (strcmp(w->token, token) == 0)
            return w;
    return NULL;
}

/* True if path is watched path itself or lies below it. */
static bool path_under(const char *path, const char *watched)
{
    size_t n = strlen(watched);
    if (strncmp(path, watched, n) != 0)
        return false;
    return path[n] == 0 || path[n] == '/' || (n > 0 && watched[n - 1] == '/');
}

/* Drops the queued events of w at or below path (all if path is NULL). */
static void purge(struct xs_watch *w, const char *path)
{
    struct xs_event **pp = &w->head;
    while (*pp) {
        struct xs_event *e = *pp;
        if (path == NULL || path_under(e->path, path)) {
            *pp = e->next;
            free(e);
            w->queued--;
        } else {
            pp = &e->next;
        }
    }
    w->tail = pp;
}

static void remove_watch(struct xs_watch *w)
{
    for (struct xs_watch **pp = &watches; *pp; pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    }
    purge(w, NULL);
    free(w);
}

static void queue_event(const char *payload, size_t len)
{
    const char *path, *token;
    if (mira_xsp_watch_event(payload, len, &path, &token) != 0) {
        dropped(&stats.events_malformed, "a malformed watch event", "no path and token");
        return;
    }
    struct xs_watch *w = find_watch(token);
    if (w == NULL) {
        dropped(&stats.events_unknown, "a watch event for an unknown token", token);
        return;
    }
    for (struct xs_event *e = w->head; e; e = e->next) {
        if (strcmp(e->path, path) == 0) {
            mira_wake_all(&watchq); /* already queued: one event says it */
            return;
        }
    }
    if (w->queued >= XS_EVENTS_MAX) {
        dropped(&stats.events_dropped, "a watch event: queue full", token);
        return;
    }
    size_t n = strlen(path) + 1;
    struct xs_event *e = malloc(sizeof(*e) + n);
    if (e == NULL) {
        dropped(&stats.events_dropped, "a watch event: out of memory", token);
        return;
    }
    memcpy(e->path, path, n);
    e->next = NULL;
    *w->tail = e;
    w->tail = &e->next;
    w->queued++;
    mira_wake_all(&watchq);
}

/* Takes token's next event into path_buf: 0, MIRA_EAGAIN (none) or
 * MIRA_ENOENT (no such token). */
static int take_event(const char *token, char *path_buf, size_t size)
{
    struct xs_watch *w = find_watch(token);
    if (w == NULL)
        return MIRA_ENOENT;
    struct xs_event *e = w->head;
    if (e == NULL)
        return MIRA_EAGAIN;
    w->head = e->next;
    if (w->head == NULL)
        w->tail = &w->head;
    w->queued--;
    if (size) {
        size_t n = strnlen(e->path, size - 1);
        memcpy(path_buf, e->path, n);
        path_buf[n] = 0;
    }
    free(e);
    return 0;
}

/* --- reading and dispatching --- */

static void dispatch_reply(void)
{
    struct pending **pp = &pendings;
    while (*pp && (*pp)->req_id != rx.h.req_id)
        pp = &(*pp)->next;
    struct pending *p = *pp;
    if (p == NULL) {
        dropped(&stats.replies_unmatched, "a reply nobody waits for",
                "late, or an unknown req_id");
        return;
    }
    *pp = p->next;
    if (rx.h.type == XS_ERROR) {
        p->result = mira_xsp_error(rx.payload, rx.h.len);
    } else if (rx.h.type != p->type) {
        mira_log(MIRA_LOG_WARN, "xenstore", "reply of type %u to a request of "
                 "type %u", rx.h.type, p->type);
        p->result = MIRA_ECORRUPT;
    } else {
        size_t n = rx.h.len < p->out_size ? rx.h.len : p->out_size;
        if (n)
            memcpy(p->out, rx.payload, n);
        p->result = (long)rx.h.len;
    }
    p->done = true;
    mira_wake_all(&p->q);
}

/* Reads and dispatches every complete message on the ring; never waits.
 * Returns true if it consumed anything. */
static bool reader_step(void)
{
    bool progress = false, consumed = false;
    while (intf != NULL && !broken) {
        const size_t hsize = sizeof(rx.h);
        if (rx_have >= hsize && rx_have == hsize + rx.h.len) {
            rx.payload[rx.h.len] = 0;
            rx_have = 0;
            if (rx.h.type == XS_WATCH_EVENT)
                queue_event(rx.payload, rx.h.len);
            else
                dispatch_reply();
            progress = true;
            continue;
        }
        uint32_t prod = __atomic_load_n(&intf->rsp_prod, __ATOMIC_ACQUIRE);
        uint32_t cons = intf->rsp_cons;
        if (mira_byte_ring_used(prod, cons) > XENSTORE_RING_SIZE) {
            set_broken("corrupt response ring indices");
            break;
        }
        char *dst;
        size_t want;
        if (rx_have < hsize) {
            dst = (char *)&rx.h + rx_have;
            want = hsize - rx_have;
        } else {
            dst = rx.payload + (rx_have - hsize);
            want = hsize + rx.h.len - rx_have;
        }
        size_t n = mira_byte_ring_get(intf->rsp, XENSTORE_RING_SIZE, prod, cons, dst, want);
        if (n == 0)
            break;
        __atomic_store_n(&intf->rsp_cons, cons + (uint32_t)n, __ATOMIC_RELEASE);
        consumed = progress = true;
        rx_have += n;
        rx_last = now();
        if (rx_have == hsize && mira_xsp_check(&rx.h) != 0) {
            mira_log(MIRA_LOG_ERROR, "xenstore", "bad message header: type %u, "
                     "len %u", rx.h.type, rx.h.len);
            set_broken("unframeable message from xenstored");
            break;
        }
    }
    if (consumed)
        mira_evtchn_notify(port); /* xenstored may wait for space */
    return progress;
}

static void xs_event(evtchn_port_t p, void *arg)
{
    (void)p;
    (void)arg;
    reader_step();
    mira_wake_all(&spaceq);
}

/* --- writing --- */

/* Sends one request (the writer's turn is taken inside): 0, MIRA_EINVAL
 * (too long), MIRA_ETIMEDOUT (nothing sent) or MIRA_EIO. */
static int send_request(uint32_t type, uint32_t req_id, uint32_t tx,
                        const char *a, const char *b, bool b_nul,
                        mira_time_t deadline)
{
    while (writing) {
        /* Polling while a fiber stopped halfway through a message (the
         * guest shuts down): a message of ours would land inside it. */
        if (!fiber_mode())
            return MIRA_EIO;
        if (broken)
            return MIRA_EIO;
        if (now() >= deadline)
            return MIRA_ETIMEDOUT;
        mira_wait_until(&writeq, deadline);
    }
    long len = mira_xsp_encode(txbuf, sizeof(txbuf), type, req_id, tx, a, b, b_nul);
    if (len < 0)
        return (int)len;
    writing = true;
    size_t off = 0;
    int r = 0;
    while (off < (size_t)len) {
        if (broken) {
            r = MIRA_EIO;
            break;
        }
        uint32_t cons = __atomic_load_n(&intf->req_cons, __ATOMIC_ACQUIRE);
        uint32_t prod = intf->req_prod;
        if (mira_byte_ring_used(prod, cons) > XENSTORE_RING_SIZE) {
            set_broken("corrupt request ring indices");
            r = MIRA_EIO;
            break;
        }
        size_t n = mira_byte_ring_put(intf->req, XENSTORE_RING_SIZE, prod, cons,
                                      txbuf + off, (size_t)len - off);
        if (n) {
            __atomic_store_n(&intf->req_prod, prod + (uint32_t)n, __ATOMIC_RELEASE);
            mira_evtchn_notify(port);
            off += n;
            continue;
        }
        if (now() >= deadline) {
            if (off == 0) {
                r = MIRA_ETIMEDOUT;
            } else { /* xenstored holds half a message: no way back */
                set_broken("a request cut short at its deadline");
                r = MIRA_EIO;
            }
            break;
        }
        reader_step();
        wait_for(&spaceq, deadline);
    }
    writing = false;
    mira_wake_all(&writeq);
    return r;
}

/* Sends one request and waits for its reply, whose payload goes to out
 * (cut to out_size); returns the reply's full length or a negative code. */
static long request(uint32_t type, uint32_t tx, const char *a, const char *b,
                    bool b_nul, char *out, size_t out_size)
{
    if (intf == NULL)
        return MIRA_ENOTSUP;
    reader_step();
    if (broken)
        return MIRA_EIO;
    mira_time_t start = now(), deadline = call_deadline();
    struct pending p = {
        .req_id = next_req_id++, .type = type, .out = out, .out_size = out_size,
    };
    mira_waitq_init(&p.q, true);
    p.next = pendings;
    pendings = &p;
    int r = send_request(type, p.req_id, tx, a, b, b_nul, deadline);
    while (r == 0 && !p.done) {
        reader_step();
        if (p.done)
            break;
        if (now() >= deadline) {
            r = MIRA_ETIMEDOUT;
            /* A message begun and not finished for half a call's time:
             * xenstored stopped inside it and the framing is lost. */
            if (rx_have > 0 && now() - rx_last >= (deadline - start) / 2)
                set_broken("a message from xenstored cut short");
            break;
        }
        wait_for(&p.q, deadline);
    }
    if (!p.done) { /* not answered: its late reply will find nobody */
        for (struct pending **pp = &pendings; *pp; pp = &(*pp)->next) {
            if (*pp == &p) {
                *pp = p.next;
                break;
            }
        }
        if (r == MIRA_ETIMEDOUT) {
            stats.timeouts++;
            mira_log(MIRA_LOG_WARN, "xenstore", "no reply to a request of type %u "
                     "before its deadline", type);
        }
        return r < 0 ? r : MIRA_EIO;
    }
    return p.result;
}

/* --- the calls --- */

long mira_xs_read_tx(mira_xs_tx tx, const char *path, char *buf, size_t size)
{
    long n = request(XS_READ, tx, path, NULL, false, buf, size ? size - 1 : 0);
    if (n >= 0 && size)
        buf[(size_t)n < size - 1 ? (size_t)n : size - 1] = 0;
    return n;
}

long mira_xs_read(const char *path, char *buf, size_t size)
{
    return mira_xs_read_tx(MIRA_XS_NO_TX, path, buf, size);
}

int mira_xs_write_tx(mira_xs_tx tx, const char *path, const char *value)
{
    long n = request(XS_WRITE, tx, path, value, false, NULL, 0);
    return n < 0 ? (int)n : 0;
}

int mira_xs_write(const char *path, const char *value)
{
    return mira_xs_write_tx(MIRA_XS_NO_TX, path, value);
}

int mira_xs_rm(const char *path)
{
    long n = request(XS_RM, MIRA_XS_NO_TX, path, NULL, false, NULL, 0);
    return n < 0 ? (int)n : 0;
}

long mira_xs_directory(const char *path, char *buf, size_t size)
{
    /* The whole reply is needed to split it: a page, not a fiber's stack. */
    char *reply = malloc(XENSTORE_PAYLOAD_MAX);
    if (reply == NULL)
        return MIRA_ENOMEM;
    long n = request(XS_DIRECTORY, MIRA_XS_NO_TX, path, NULL, false, reply,
                     XENSTORE_PAYLOAD_MAX);
    if (n >= 0)
        n = mira_xsp_directory(reply, (size_t)n, buf, size);
    free(reply);
    return n;
}

int mira_xs_transaction_start(mira_xs_tx *tx)
{
    char reply[16];
    long n = request(XS_TRANSACTION_START, MIRA_XS_NO_TX, "", NULL, false, reply,
                     sizeof(reply));
    if (n < 0)
        return (int)n;
    if ((size_t)n > sizeof(reply))
        return MIRA_ECORRUPT;
    uint32_t id;
    if (mira_xsp_tx_id(reply, (size_t)n, &id) != 0)
        return MIRA_ECORRUPT;
    *tx = id;
    return 0;
}

int mira_xs_transaction_end(mira_xs_tx tx, bool abort)
{
    long n = request(XS_TRANSACTION_END, tx, abort ? "F" : "T", NULL, false, NULL, 0);
    return n < 0 ? (int)n : 0;
}

int mira_xs_watch(const char *path, const char *token)
{
    if (intf == NULL)
        return MIRA_ENOTSUP;
    /* Registered before the request: xenstored fires the watch right
     * after its reply, and the reader may meet both in one go. */
    struct xs_watch *w = find_watch(token);
    if (w == NULL) {
        size_t n = strlen(token) + 1;
        w = malloc(sizeof(*w) + n);
        if (w == NULL)
            return MIRA_ENOMEM;
        memcpy(w->token, token, n);
        w->paths = 0;
        w->queued = 0;
        w->head = NULL;
        w->tail = &w->head;
        w->next = watches;
        watches = w;
    }
    w->paths++;
    long r = request(XS_WATCH, MIRA_XS_NO_TX, path, token, true, NULL, 0);
    if (r < 0) {
        w = find_watch(token);
        if (w && --w->paths == 0)
            remove_watch(w);
        return (int)r;
    }
    return 0;
}

int mira_xs_unwatch(const char *path, const char *token)
{
    if (intf == NULL)
        return MIRA_ENOTSUP;
    if (find_watch(token) == NULL)
        return MIRA_ENOENT;
    long r = request(XS_UNWATCH, MIRA_XS_NO_TX, path, token, true, NULL, 0);
    if (r < 0)
        return (int)r; /* ENOENT: token watches other paths, not this one */
    /* Events sent before the reply were read before it: purge them now.
     * Looked up again: another fiber may have changed watches meanwhile. */
    struct xs_watch *w = find_watch(token);
    if (w) {
        purge(w, path);
        if (--w->paths == 0)
            remove_watch(w);
    }
    return 0;
}

int mira_xs_poll_watch(const char *token, char *path_buf, size_t size)
{
    if (intf == NULL)
        return MIRA_ENOTSUP;
    reader_step();
    int r = take_event(token, path_buf, size);
    return r == MIRA_EAGAIN && broken ? MIRA_EIO : r;
}

int mira_xs_wait_watch(const char *token, char *path_buf, size_t size,
                       mira_time_t deadline)
{
    if (intf == NULL)
        return MIRA_ENOTSUP;
    for (;;) {
        reader_step();
        int r = take_event(token, path_buf, size);
        if (r != MIRA_EAGAIN)
            return r;
        if (broken)
            return MIRA_EIO;
        if (now() >= deadline)
            return MIRA_ETIMEDOUT;
        wait_for(&watchq, deadline);
    }
}

struct mira_waitq *mira_xs_watch_waitq(void)
{
    return &watchq;
}

unsigned mira_xs_domid(void)
{
    return domid;
}

void mira_xs_get_stats(struct mira_xs_stats *s)
{
    *s = stats;
}

/* Connects to the ring Xen announces and reads domid.  Called once at
 * boot; it starts from a clean state (the hosted unit test calls it again
 * between cases, after the scheduler forgot every fiber). */
void mira_xen_xs_init(void)
{
    while (watches)
        remove_watch(watches);
    pendings = NULL; /* they lived on fibers that no longer exist */
    intf = NULL;
    broken = false;
    memset(&stats, 0, sizeof(stats));
    mira_waitq_init(&spaceq, true);
    mira_waitq_init(&writeq, false);
    mira_waitq_init(&watchq, true);
    writing = false;
    next_req_id = 1;
    rx_have = 0;
    domid = 0;

    void *ring;
    if (mira_xen_hvm_ring(HVM_PARAM_STORE_PFN, HVM_PARAM_STORE_EVTCHN, &ring, &port))
        return;
    intf = ring;
    mira_evtchn_bind(port, xs_event, NULL);
    char v[16];
    if (mira_xs_read("domid", v, sizeof(v)) > 0)
        domid = (unsigned)strtoul(v, NULL, 10);
}
