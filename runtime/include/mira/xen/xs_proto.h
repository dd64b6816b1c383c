/*
 * mira/xen/xs_proto.h - xenstore wire messages (xs_wire.h), encoded and
 * parsed without any I/O so that they are unit tested on the build machine.
 *
 * A message is a struct xsd_sockmsg header {type, req_id, tx_id, len}
 * followed by len payload bytes (at most XENSTORE_PAYLOAD_MAX).  Payloads
 * are NUL-separated strings: "path\0" (READ, DIRECTORY, RM),
 * "path\0value" (WRITE: the value is not NUL-terminated),
 * "path\0token\0" (WATCH, UNWATCH, and WATCH_EVENT from xenstored),
 * "ENOENT\0" (ERROR replies).
 */
#ifndef MIRA_XEN_XS_PROTO_H
#define MIRA_XEN_XS_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/io/xs_wire.h>

/* Encodes a request into buf (cap bytes): header, then a and a NUL, then b
 * (if not NULL) followed by a NUL if b_nul.  Returns the total length or
 * MIRA_EINVAL when the payload exceeds XENSTORE_PAYLOAD_MAX or cap. */
long mira_xsp_encode(void *buf, size_t cap, uint32_t type, uint32_t req_id,
                     const char *a, const char *b, bool b_nul);

/* Validates a received header: 0, or MIRA_ECORRUPT (payload too long). */
int mira_xsp_check(const struct xsd_sockmsg *h);

/* Maps an XS_ERROR payload ("ENOENT", "EACCES", ...) to a MIRA_E* code. */
int mira_xsp_error(const char *payload, size_t len);

/* Copies the NUL-separated names of a DIRECTORY reply into buf (size
 * bytes), each NUL-terminated; returns their number or MIRA_ERANGE. */
long mira_xsp_directory(const char *payload, size_t len, char *buf,
                        size_t size);

/* Splits a WATCH_EVENT payload into its path and token (pointers into
 * payload); 0 or MIRA_ECORRUPT. */
int mira_xsp_watch_event(const char *payload, size_t len, const char **path,
                         const char **token);

#endif
