/*
 * xenstore.c - the xenstore client of the xen guest (see mira/xen/xenstore.h).
 *
 * The ring (xenstore_domain_interface) and its event channel come from
 * HVM_PARAM_STORE_PFN / HVM_PARAM_STORE_EVTCHN.  One request is in flight
 * at a time (a fiber-level lock); the requester reads replies itself and
 * queues any watch event it meets on the way.  A fiber waits on the ring's
 * wait queue; before the scheduler runs, or while the guest stops, the
 * caller polls (halting until an event or 1 ms).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mira/error.h>
#include <mira/fiber.h>
#include <mira/log.h>
#include <mira/xen/evtchn.h>
#include <mira/xen/idle.h>
#include <mira/xen/byte_ring.h>
#include <mira/xen/xenstore.h>
#include <mira/xen/xs_proto.h>
#include "../../platform.h"
#include "xen_internal.h"

static struct xenstore_domain_interface *intf;
static evtchn_port_t port;
static struct mira_waitq ringq = {NULL, NULL, 1};
static struct mira_waitq lockq = {NULL, NULL, 0};
static struct mira_waitq watchq = {NULL, NULL, 1};
static bool busy;
static uint32_t next_req_id = 1;
static unsigned domid;

static char msgbuf[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX + 1];
static char replybuf[XENSTORE_PAYLOAD_MAX + 1];

struct watch_event {
    struct watch_event *next;
    char *token, *path;
};
static struct watch_event *events_head, **events_tail = &events_head;

static void xs_event(evtchn_port_t p, void *arg)
{
    (void)p;
    (void)arg;
    mira_wake_all(&ringq);
    mira_wake_all(&watchq);
}

static bool fiber_mode(void)
{
    return mira_xen_sched_running && !mira_xen_stopping && mira_self() != NULL;
}

static void wait_ring(void)
{
    if (fiber_mode()) {
        mira_wait(&ringq);
    } else {
        mira_evtchn_dispatch();
        mira_xen_idle_until(mira_platform_monotonic() + MIRA_MILLISECONDS(1));
    }
}

static void lock(void)
{
    if (fiber_mode())
        while (busy)
            mira_wait(&lockq);
    busy = true;
}

static void unlock(void)
{
    busy = false;
    mira_wake_one(&lockq);
}

static void ring_write(const char *data, size_t len)
{
    while (len) {
        uint32_t cons = __atomic_load_n(&intf->req_cons, __ATOMIC_ACQUIRE);
        uint32_t prod = intf->req_prod;
        size_t n = mira_byte_ring_put(intf->req, XENSTORE_RING_SIZE, prod, cons, data, len);
        if (n == 0) {
            wait_ring();
            continue;
        }
        __atomic_store_n(&intf->req_prod, prod + (uint32_t)n, __ATOMIC_RELEASE);
        mira_evtchn_notify(port);
        data += n;
        len -= n;
    }
}

static size_t rsp_avail(void)
{
    uint32_t prod = __atomic_load_n(&intf->rsp_prod, __ATOMIC_ACQUIRE);
    return mira_byte_ring_used(prod, intf->rsp_cons);
}

static void ring_read(char *data, size_t len)
{
    while (len) {
        uint32_t prod = __atomic_load_n(&intf->rsp_prod, __ATOMIC_ACQUIRE);
        uint32_t cons = intf->rsp_cons;
        size_t n = mira_byte_ring_get(intf->rsp, XENSTORE_RING_SIZE, prod, cons, data, len);
        if (n == 0) {
            wait_ring();
            continue;
        }
        __atomic_store_n(&intf->rsp_cons, cons + (uint32_t)n, __ATOMIC_RELEASE);
        mira_evtchn_notify(port);
        data += n;
        len -= n;
    }
}

/* Reads one message; queues it if it is a watch event (returns 1), else
 * leaves it in *h and replybuf (returns 0). */
static int read_message(struct xsd_sockmsg *h)
{
    ring_read((char *)h, sizeof(*h));
    if (mira_xsp_check(h))
        mira_panic("xenstore: reply of %u bytes exceeds the protocol's limit", h->len);
    ring_read(replybuf, h->len);
    replybuf[h->len] = 0;
    if (h->type != XS_WATCH_EVENT)
        return 0;
    const char *path, *token;
    if (mira_xsp_watch_event(replybuf, h->len, &path, &token) == 0) {
        struct watch_event *e = malloc(sizeof(*e));
        if (e) {
            e->token = strdup(token);
            e->path = strdup(path);
            e->next = NULL;
            *events_tail = e;
            events_tail = &e->next;
        }
        mira_wake_all(&watchq);
    }
    return 1;
}

/* Sends one request and waits for its reply (in replybuf); returns the
 * reply length or a negative code. */
static long request(uint32_t type, const char *a, const char *b, bool b_nul)
{
    if (intf == NULL)
        return MIRA_ENOTSUP;
    lock();
    uint32_t id = next_req_id++;
    long n = mira_xsp_encode(msgbuf, sizeof(msgbuf), type, id, a, b, b_nul);
    if (n < 0) {
        unlock();
        return n;
    }
    ring_write(msgbuf, (size_t)n);
    struct xsd_sockmsg h;
    for (;;) {
        if (read_message(&h))
            continue;
        if (h.req_id == id)
            break;
    }
    long r = h.type == XS_ERROR ? mira_xsp_error(replybuf, h.len) : (long)h.len;
    unlock();
    return r;
}

long mira_xs_read(const char *path, char *buf, size_t size)
{
    long n = request(XS_READ, path, NULL, false);
    if (n < 0)
        return n;
    if (size) {
        size_t c = (size_t)n < size - 1 ? (size_t)n : size - 1;
        memcpy(buf, replybuf, c);
        buf[c] = 0;
    }
    return n;
}

int mira_xs_write(const char *path, const char *value)
{
    long n = request(XS_WRITE, path, value, false);
    return n < 0 ? (int)n : 0;
}

int mira_xs_rm(const char *path)
{
    long n = request(XS_RM, path, NULL, false);
    return n < 0 ? (int)n : 0;
}

long mira_xs_directory(const char *path, char *buf, size_t size)
{
    long n = request(XS_DIRECTORY, path, NULL, false);
    if (n < 0)
        return n;
    return mira_xsp_directory(replybuf, (size_t)n, buf, size);
}

int mira_xs_watch(const char *path, const char *token)
{
    long n = request(XS_WATCH, path, token, true);
    return n < 0 ? (int)n : 0;
}

int mira_xs_unwatch(const char *path, const char *token)
{
    long n = request(XS_UNWATCH, path, token, true);
    return n < 0 ? (int)n : 0;
}

int mira_xs_wait_watch(const char *token, char *path_buf, size_t size)
{
    if (intf == NULL)
        return MIRA_ENOTSUP;
    for (;;) {
        for (struct watch_event **pp = &events_head; *pp; pp = &(*pp)->next) {
            struct watch_event *e = *pp;
            if (strcmp(e->token, token) != 0)
                continue;
            *pp = e->next;
            if (events_tail == &e->next)
                events_tail = pp;
            if (size) {
                strncpy(path_buf, e->path, size - 1);
                path_buf[size - 1] = 0;
            }
            free(e->token);
            free(e->path);
            free(e);
            return 0;
        }
        /* Nobody is reading the ring: read what is there ourselves. */
        if (!busy && rsp_avail() >= sizeof(struct xsd_sockmsg)) {
            lock();
            struct xsd_sockmsg h;
            read_message(&h); /* a stray reply is dropped */
            unlock();
            continue;
        }
        if (fiber_mode())
            mira_wait(&watchq);
        else
            wait_ring();
    }
}

unsigned mira_xs_domid(void)
{
    return domid;
}

void mira_xen_xs_init(void)
{
    void *ring;
    if (mira_xen_hvm_ring(HVM_PARAM_STORE_PFN, HVM_PARAM_STORE_EVTCHN, &ring, &port))
        return;
    intf = ring;
    mira_evtchn_bind(port, xs_event, NULL);
    char v[16];
    if (mira_xs_read("domid", v, sizeof(v)) > 0)
        domid = (unsigned)strtoul(v, NULL, 10);
}
