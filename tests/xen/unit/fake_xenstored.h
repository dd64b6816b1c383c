/*
 * fake_xenstored.h - a small xenstored for the hosted test of xenstore.c.
 *
 * It serves a real xenstore_domain_interface ring in memory, from a fiber
 * of the hosted runtime (or synchronously, from the shim's mira_xen_block,
 * when the client polls): an in-memory tree, watches (fired at once on
 * registration, then at every change at or below their path) and
 * transactions (a commit conflicts when anything was written since the
 * start, as xenstored's EAGAIN).  Faults make it misbehave on purpose.
 */
#ifndef FAKE_XENSTORED_H
#define FAKE_XENSTORED_H

#include <stdbool.h>
#include <stddef.h>
#include <xen/xen.h>
#include <xen/io/xs_wire.h>

/* How the reply to the next request goes wrong. */
enum fake_xsd_fault {
    FAKE_XSD_OK,
    FAKE_XSD_SWALLOW,        /* read, never answered */
    FAKE_XSD_OVERSIZED,      /* a header with len XENSTORE_PAYLOAD_MAX + 1 */
    FAKE_XSD_BAD_TYPE,       /* a header with a type xs_wire.h lacks */
    FAKE_XSD_UNKNOWN_REQ_ID, /* a stray reply (req_id + 1000), then the real one */
    FAKE_XSD_TRUNCATED,      /* a header of len 100, 10 bytes, then a stall */
    FAKE_XSD_EVENT_NO_NUL,   /* a WATCH_EVENT "abc" (no NUL), then the reply */
    FAKE_XSD_WRONG_TYPE,     /* the right payload under another type */
    FAKE_XSD_BAD_TX_ID,      /* TRANSACTION_START answered "x1" */
};

/* The shared page (what HVM_PARAM_STORE_PFN names on Xen). */
extern struct xenstore_domain_interface fake_xsd_ring;

/* Empties ring, tree (then domid=7, name=fake), watches, transactions,
 * faults and counters. */
void fake_xsd_reset(void);

/* Starts the server fiber (call from a fiber); fake_xsd_stop ends it. */
void fake_xsd_spawn(void);
void fake_xsd_stop(void);

/* Serves what can be served now (flushes replies, handles every complete
 * request unless stalled); true if anything moved. */
bool fake_xsd_step(void);

/* The guest notified the port. */
void fake_xsd_kick(void);

/* Applies fault to the reply of the next request. */
void fake_xsd_fault(enum fake_xsd_fault fault);

/* Stops (true) or resumes reading requests; replies already made still go. */
void fake_xsd_stall(bool stalled);

/* Sends a watch event now, whether or not a watch has token. */
void fake_xsd_event(const char *path, const char *token);

/* Sends a watch event with the reply to the next request: right behind it
 * (before = false) or right before it. */
void fake_xsd_event_with_next_reply(const char *path, const char *token, bool before);

/* A write by another domain: fires watches, conflicts open transactions. */
void fake_xsd_write(const char *path, const char *value);

/* Requests handled so far. */
unsigned fake_xsd_requests(void);

#endif
