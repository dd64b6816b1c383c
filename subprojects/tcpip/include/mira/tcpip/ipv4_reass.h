/*
 * mira/tcpip/ipv4_reass.h - IPv4 fragment reassembly (RFC 791 3.2, the
 * hole bookkeeping of RFC 815 done as a sorted fragment list) in bounded
 * memory and time.
 *
 * A reassembler is a plain struct owned by the caller; it has no clock and
 * no global state: every call that ages datagrams takes `now` (ns, the
 * caller's monotonic clock).  Fragment payloads are copied into memory from
 * the caller's allocator (malloc, a pool: anything), so the packet buffer
 * can go back to the netif at once.
 *
 * Limits (struct mira_ipv4_reass_limits), all enforced before memory is
 * taken:
 *   - max_datagrams in progress: a fragment of a new datagram beyond it
 *     evicts the oldest one (MIRA_DROP_REASS_EVICTED, counted in
 *     stats.evicted);
 *   - max_len payload bytes of one datagram (at most 65515: a datagram's
 *     total length is at most 65535); a fragment ending past it drops the
 *     datagram (REASS_TOO_BIG, MIRA_ENOMEM);
 *   - max_bytes: every byte asked from the allocator (fragment copies and
 *     bookkeeping, so sizeof overheads count too) stays within it: oldest
 *     other datagrams are evicted to make room; if the datagram alone would
 *     pass it, it is dropped (REASS_TOO_BIG);
 *   - timeout_ns from a datagram's first fragment: mira_ipv4_reass_expire
 *     (and each input, first) drops datagrams that reached it
 *     (REASS_TIMEOUT, counted in stats.timed_out).
 * Time: an input costs O(datagrams in progress + fragments of its
 * datagram), both bounded by the limits.
 *
 * Policy on overlaps (RFC 5722's for IPv6, as Linux does for IPv4 since
 * 2018): a fragment that overlaps one already held drops the whole
 * datagram (REASS_OVERLAP, MIRA_ECORRUPT), whatever the bytes, so no
 * overlap can ever choose which data a transport sees; the only exception
 * is an exact duplicate (same offset, length and bytes), which is dropped
 * alone (REASS_DUPLICATE) and leaves the datagram as it was.  A second
 * last fragment with a different end, or data past the end a last
 * fragment set, drops the datagram (REASS_INCONSISTENT).  A fragment that
 * is not the last must carry a multiple of 8 bytes (REASS_FRAG_ALIGN) and
 * none may be empty (REASS_EMPTY); those drop only the fragment.
 */
#ifndef MIRA_TCPIP_IPV4_REASS_H
#define MIRA_TCPIP_IPV4_REASS_H

#include <stddef.h>
#include <stdint.h>
#include <mira/error.h>
#include <mira/tcpip/drop.h>
#include <mira/tcpip/ipv4.h>

/* Where the reassembler's memory comes from.  alloc returns size bytes
 * aligned for any object, or NULL; free gets back the same size. */
struct mira_ipv4_reass_allocator {
    void *(*alloc)(void *ctx, size_t size);
    void (*free)(void *ctx, void *p, size_t size);
    void *ctx;
};

struct mira_ipv4_reass_limits {
    size_t max_datagrams;  /* in progress at once, >= 1 */
    size_t max_len;        /* payload bytes of one datagram, 8 to 65515 */
    size_t max_bytes;      /* all memory held, bookkeeping included */
    uint64_t timeout_ns;   /* from the first fragment (RFC 791 suggests 15 s) */
};

/* Counters of what happened to whole datagrams (fragments dropped alone are
 * reported by mira_ipv4_reass_input's return). */
struct mira_ipv4_reass_stats {
    uint64_t completed;
    uint64_t evicted;    /* to make room (REASS_EVICTED) */
    uint64_t timed_out;  /* REASS_TIMEOUT */
    uint64_t not_taken;  /* complete, released by the next input (REASS_NOT_TAKEN) */
};

struct mira_ipv4_reass_dgram; /* private to ipv4_reass.c */

/* A reassembler.  Fields are read-only for callers. */
struct mira_ipv4_reass {
    struct mira_ipv4_reass_limits limits;
    struct mira_ipv4_reass_allocator allocator;
    struct mira_ipv4_reass_dgram *oldest, *newest; /* in progress, by age */
    struct mira_ipv4_reass_dgram *done;            /* complete, not yet taken */
    size_t count;                                  /* datagrams in progress */
    size_t bytes;                                  /* memory held now */
    struct mira_ipv4_reass_stats stats;
};

/* mira_ipv4_reass_init: an empty reassembler with these limits and
 * allocator (both copied).  Returns 0, or MIRA_EINVAL when a limit is out of
 * its range above or an allocator function is NULL. */
int mira_ipv4_reass_init(struct mira_ipv4_reass *r, const struct mira_ipv4_reass_limits *limits,
                         const struct mira_ipv4_reass_allocator *allocator);

/* mira_ipv4_reass_input: takes the fragment whose header h was parsed by
 * mira_ipv4_hdr_parse and whose payload (mira_ipv4_payload_len(h) bytes) is at
 * payload, at time now.  First expires old datagrams and releases a
 * complete one not taken.  Returns 0 when the fragment is kept and its
 * datagram still incomplete; the datagram's payload length (> 0) when this
 * fragment completed it (then call mira_ipv4_reass_take before the next
 * input); a negative MIRA_E* with *why when the fragment, or as the reason
 * says its whole datagram, was dropped. */
int mira_ipv4_reass_input(struct mira_ipv4_reass *r, const struct mira_ipv4_hdr *h,
                          const uint8_t *payload, uint64_t now, enum mira_tcpip_drop *why);

/* mira_ipv4_reass_take: copies the complete datagram's payload to dst and
 * its header to *h, and releases it.  The header is the first fragment's
 * with total_len for the whole datagram, mf clear, frag_off 0, and without
 * options (hdr_len 20, options NULL: they are not kept).  Returns the
 * payload length; MIRA_ENOENT when no datagram is complete; MIRA_ENOMEM
 * when cap is too small (the datagram stays). */
int mira_ipv4_reass_take(struct mira_ipv4_reass *r, struct mira_ipv4_hdr *h, uint8_t *dst, size_t cap);

/* mira_ipv4_reass_expire: drops every datagram in progress whose first
 * fragment came timeout_ns or longer before now; returns how many. */
int mira_ipv4_reass_expire(struct mira_ipv4_reass *r, uint64_t now);

/* mira_ipv4_reass_fini: releases everything held; r is empty afterwards
 * (and may be used again). */
void mira_ipv4_reass_fini(struct mira_ipv4_reass *r);

#endif
