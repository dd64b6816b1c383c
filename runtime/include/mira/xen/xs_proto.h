/*
 * mira/xen/xs_proto.h - xenstore wire messages (xs_wire.h), encoded and
 * parsed without any I/O so that they are unit tested on the build machine.
 *
 * A message is a struct xsd_sockmsg header {type, req_id, tx_id, len}
 * followed by len payload bytes (at most XENSTORE_PAYLOAD_MAX).  Payloads
 * are NUL-separated strings: "path\0" (READ, DIRECTORY, RM),
 * "path\0value" (WRITE: the value is not NUL-terminated),
 * "path\0token\0" (WATCH, UNWATCH, and WATCH_EVENT from xenstored),
 * "ENOENT\0" (ERROR replies), "\0" (TRANSACTION_START; the reply is the
 * new id in decimal, "17\0"), "T\0" or "F\0" (TRANSACTION_END: commit or
 * abort; the header's tx_id names the transaction).
 */
#ifndef MIRA_XEN_XS_PROTO_H
#define MIRA_XEN_XS_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/io/xs_wire.h>

/* Encodes a request into buf (cap bytes): header (tx_id 0: outside any
 * transaction), then a and a NUL, then b (if not NULL) followed by a NUL if
 * b_nul.  Returns the total length or MIRA_EINVAL when the payload exceeds
 * XENSTORE_PAYLOAD_MAX or cap. */
long mira_xsp_encode(void *buf, size_t cap, uint32_t type, uint32_t req_id,
                     uint32_t tx_id, const char *a, const char *b, bool b_nul);

/* Validates a received header: 0, or MIRA_ECORRUPT (payload longer than
 * XENSTORE_PAYLOAD_MAX, or a type xs_wire.h does not define).  After
 * MIRA_ECORRUPT the stream's framing is lost: len cannot be trusted. */
int mira_xsp_check(const struct xsd_sockmsg *h);

/* Parses the reply to TRANSACTION_START (a decimal id, NUL-terminated or
 * not): 0 with *tx set, or MIRA_ECORRUPT (empty, not a number, trailing
 * bytes, 0, or above UINT32_MAX). */
int mira_xsp_tx_id(const char *payload, size_t len, uint32_t *tx);

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
