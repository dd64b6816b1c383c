/*
 * mira/xen/xenbus_proto.h - the pure decisions of the xenbus frontend
 * handshake (mira/xen/xenbus.h): xenstore path building, parsing what a
 * backend writes, and what a backend state means to a frontend waiting for
 * some other state.  No I/O, so tests/xen/unit checks it on the build
 * machine.
 *
 * Errors: MIRA_EINVAL (a path that does not fit), MIRA_ECORRUPT (a value
 * that is not what the protocol allows).
 */
#ifndef MIRA_XEN_XENBUS_PROTO_H
#define MIRA_XEN_XENBUS_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <xen/io/xenbus.h>

/* A set of XenbusState values, for waits: MIRA_XENBUS_BIT(XenbusStateConnected). */
#define MIRA_XENBUS_BIT(state) (1u << (unsigned)(state))

/* Writes "<a>/<b>" into buf (size bytes).  0, or MIRA_EINVAL (buf keeps an
 * empty string) when it does not fit or a part is empty. */
int mira_xenbus_join(char *buf, size_t size, const char *a, const char *b);

/* Writes "device/<type>/<id>" (the frontend's node, relative to the
 * guest's home) into buf.  0 or MIRA_EINVAL. */
int mira_xenbus_frontend_path(char *buf, size_t size, const char *type, int id);

/* Parses a xenstore decimal (no sign, no spaces, at least one digit, no
 * overflow) into *v.  0 or MIRA_ECORRUPT. */
int mira_xenbus_parse_u64(const char *s, uint64_t *v);

/* Parses a state node's value ("1".."8", or "0").  0 or MIRA_ECORRUPT. */
int mira_xenbus_parse_state(const char *s, XenbusState *state);

/* Parses a backend-id (a domain id below DOMID_FIRST_RESERVED).  0 or
 * MIRA_ECORRUPT. */
int mira_xenbus_parse_domid(const char *s, uint16_t *domid);

/* What a frontend waiting for one of the states in want (MIRA_XENBUS_BIT
 * set) does when the backend is in state. */
enum mira_xenbus_verdict {
    MIRA_XENBUS_WAIT,   /* not yet: keep waiting */
    MIRA_XENBUS_REACHED, /* state is one of want */
    MIRA_XENBUS_GONE,   /* Closing/Closed (unwanted): the backend went away */
};
/* (Closing while want has Closed but not Closing is WAIT: a closing
 * backend is on its way there.) */
enum mira_xenbus_verdict mira_xenbus_verdict(XenbusState state, unsigned want);

/* The name of a state ("Connected"), for logs; "?" for unknown values. */
const char *mira_xenbus_state_name(XenbusState state);

#endif
