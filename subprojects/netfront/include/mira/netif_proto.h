/*
 * mira/netif_proto.h - the pure core of netfront: Xen's netif ring
 * protocol (<xen/io/netif.h>) without a single Xen call, so that it is
 * unit-tested and fuzzed on the build machine.
 *
 * Transmit: a frame's bytes (any pieces) are cut into page segments
 * (mira_nettx_split: no segment crosses a page, as netback demands), the
 * driver grants each segment's page and mira_nettx_build turns them into
 * ring requests, one id per slot; mira_nettx_response checks each answer
 * against the ids in flight and says when a whole frame is done.
 * Receive: mira_netrx_post gives an id to a granted page;
 * mira_netrx_response checks an answer and hands the page back with the
 * bytes the backend wrote.
 *
 * Never trusted: what the backend writes.  A response whose id is out of
 * range or not in flight, a producer index running past what is in flight
 * (mira_net*_check_rsp_prod), a transmit status other than OKAY, ERROR or
 * DROPPED, a receive status below DROPPED, a receive size of 0 or past the
 * page, receive flags for a feature we did not negotiate: each is refused
 * with MIRA_ECORRUPT and counted by reason (the table's refused[] and
 * last_reason).  A refusal that names a slot we sent (bad size or flags,
 * bad status) gives that slot back, so the driver recycles its buffer and
 * drops only that frame; one that names no such slot (a bad id, a runaway
 * producer) breaks the table: every later call refuses, and the driver
 * fails the device, since the ring can no longer be read with confidence.
 *
 * Hooks for the features not negotiated yet (the wire-speed issue): with
 * MIRA_NETPROTO_SG a received frame may span several slots (the piece says
 * more); with MIRA_NETPROTO_RX_CSUM, NETRXF_csum_blank is accepted and
 * reported as MIRA_PBUF_CSUM_PARTIAL as Linux's netfront does
 * (CHECKSUM_PARTIAL); NETRXF_data_validated is always accepted, reported as
 * MIRA_PBUF_CSUM_VALID (Linux: CHECKSUM_UNNECESSARY).  Extra-info slots
 * (GSO) are refused until MIRA_NETPROTO_GSO4 is implemented.
 *
 * Errors follow mira/error.h.  A table is one page-sized ring's worth of
 * ids (MIRA_NETPROTO_SLOTS); it is plain memory, zero allocation.
 */
#ifndef MIRA_NETIF_PROTO_H
#define MIRA_NETIF_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mira/error.h>
#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/io/netif.h>

/* Slots of a one-page tx or rx ring (__CONST_RING_SIZE(netif_tx, 4096)),
 * and so ids of a table. */
#define MIRA_NETPROTO_SLOTS 256u
/* The most slots per transmitted frame: Linux netback's
 * XEN_NETBK_LEGACY_SLOTS_MAX (a frame in more slots makes it fail the
 * interface); a frame in more pieces is copied first. */
#define MIRA_NETTX_MAX_SLOTS 18
/* Bytes of a page: no segment crosses one. */
#define MIRA_NETPROTO_PAGE 4096u

/* Negotiated features (the tables' features field). */
#define MIRA_NETPROTO_SG 0x1u      /* feature-sg: rx frames over several slots */
#define MIRA_NETPROTO_RX_CSUM 0x2u /* we accept partial checksums on receive */
#define MIRA_NETPROTO_GSO4 0x4u    /* feature-gso-tcpv4 (extra-info slots) */

/* Why a response was refused. */
enum mira_netproto_reason {
    MIRA_NETPROTO_BAD_ID,     /* id out of range, not in flight or answered */
    MIRA_NETPROTO_BAD_STATUS, /* a status the protocol does not have */
    MIRA_NETPROTO_BAD_SIZE,   /* rx: 0 bytes, or offset + size past the page */
    MIRA_NETPROTO_BAD_FLAGS,  /* rx: a flag for a feature not negotiated */
    MIRA_NETPROTO_RSP_PROD,   /* the producer ran past the slots in flight */
    MIRA_NETPROTO_BROKEN,     /* any response after the table broke */
    MIRA_NETPROTO_REASONS
};

/* mira_netproto_reason_name: a short name for reason ("bad-id"). */
const char *mira_netproto_reason_name(enum mira_netproto_reason reason);

/* A part of a frame inside one page: page is the page's address (the
 * driver's; the core only compares and passes it on), gref its grant once
 * the driver has granted it. */
struct mira_nettx_seg {
    uintptr_t page;
    uint16_t offset;
    uint16_t len;
    grant_ref_t gref;
};

/* A piece of a frame's bytes, anywhere in memory. */
struct mira_nettx_piece {
    uintptr_t addr;
    size_t len;
};

/* The transmit table.  Read-only for the driver except through the calls. */
struct mira_nettx {
    uint32_t features;
    uint16_t free_head;   /* first free id, or MIRA_NETPROTO_SLOTS */
    uint16_t nfree;       /* ids free */
    uint16_t unanswered;  /* slots sent and not answered yet */
    bool broken;
    enum mira_netproto_reason last_reason;
    uint64_t refused[MIRA_NETPROTO_REASONS];
    struct {
        void *cookie;     /* the frame's, on every slot of it */
        grant_ref_t gref;
        uint16_t next;    /* free: next free id; sent: next slot of the frame */
        uint16_t head;    /* the frame's first slot */
        uint16_t left;    /* head only: slots of the frame not answered */
        int16_t status;   /* head only: the frame's status so far */
        uint8_t state;    /* free, sent, answered */
    } slot[MIRA_NETPROTO_SLOTS];
};

/* mira_nettx_init: every id free, nothing refused. */
void mira_nettx_init(struct mira_nettx *tx, uint32_t features);

/* mira_nettx_split: cuts n pieces into at most max page segments (empty
 * pieces skipped; gref left 0) in segs.  Returns the count, or MIRA_EINVAL
 * when more than max are needed or a piece is longer than 0xffff bytes. */
int mira_nettx_split(const struct mira_nettx_piece *pieces, size_t n,
                     struct mira_nettx_seg *segs, int max);

/* mira_nettx_build: n granted segments of one frame (n from 1 to
 * MIRA_NETTX_MAX_SLOTS, each 1 byte or more and inside its page, 0xffff
 * bytes at most in all) become n requests in out[]: first slot's size is
 * the frame's length, first slot's flags are flags (NETTXF_csum_blank /
 * NETTXF_data_validated: the checksum hook) with NETTXF_more_data on all
 * but the last slot.  cookie comes back when the frame is done.  Returns
 * n, MIRA_EAGAIN (fewer than n ids free; nothing taken), MIRA_EINVAL (bad
 * segments) or MIRA_EIO (the table is broken). */
int mira_nettx_build(struct mira_nettx *tx, const struct mira_nettx_seg *segs, int n,
                     uint16_t flags, void *cookie, netif_tx_request_t *out);

/* What one accepted transmit response hands back. */
struct mira_nettx_done {
    grant_ref_t gref; /* the answered slot's grant: end it */
    void *cookie;     /* when the frame is done: its cookie */
    int status;       /* when done: NETIF_RSP_OKAY, _ERROR or _DROPPED (the
                         first failure among its slots) */
};

/* mira_nettx_check_rsp_prod: 0 if the backend's response producer is at
 * most the unanswered slots ahead of our consumer, else MIRA_ECORRUPT (the
 * table breaks). */
int mira_nettx_check_rsp_prod(struct mira_nettx *tx, RING_IDX rsp_cons, RING_IDX rsp_prod);

/* mira_nettx_response: checks rsp.  Returns 1 (the slot's frame is done:
 * done->cookie and ->status set; its ids are free again), 0 (accepted; the
 * frame has slots unanswered), or MIRA_ECORRUPT (refused, counted; the
 * table is broken).  done->gref is set whenever 0 or 1 is returned. */
int mira_nettx_response(struct mira_nettx *tx, const netif_tx_response_t *rsp,
                        struct mira_nettx_done *done);

/* mira_nettx_drain: after the backend has let go (closed), hands back one
 * slot still unanswered as if answered with NETIF_RSP_DROPPED: returns 1
 * (done->gref set; done->cookie too when it was the frame's last such
 * slot) or 0 when none is left.  Works on a broken table. */
int mira_nettx_drain(struct mira_nettx *tx, struct mira_nettx_done *done);

/* The receive table. */
struct mira_netrx {
    uint32_t features;
    uint16_t free_head;
    uint16_t nfree;
    uint16_t posted;      /* slots posted and not answered */
    bool broken;
    enum mira_netproto_reason last_reason;
    uint64_t refused[MIRA_NETPROTO_REASONS];
    struct {
        void *cookie;
        grant_ref_t gref;
        uint16_t next;
        uint8_t state;
    } slot[MIRA_NETPROTO_SLOTS];
};

/* What one receive response hands back. */
struct mira_netrx_piece {
    void *cookie;     /* the posted buffer's cookie (NULL: no slot named) */
    grant_ref_t gref; /* and its grant */
    uint16_t offset;  /* data: where the bytes start in the page */
    uint16_t len;     /* and how many */
    bool more;        /* the frame continues in the next response (SG) */
    uint8_t csum;     /* MIRA_PBUF_CSUM_VALID / _PARTIAL bits */
};

/* mira_netrx_init: every id free, nothing refused. */
void mira_netrx_init(struct mira_netrx *rx, uint32_t features);

/* mira_netrx_post: takes an id for the granted receive page (cookie
 * identifies it) and fills *out.  0, MIRA_EAGAIN (every id posted) or
 * MIRA_EIO (broken). */
int mira_netrx_post(struct mira_netrx *rx, grant_ref_t gref, void *cookie,
                    netif_rx_request_t *out);

/* mira_netrx_check_rsp_prod: as mira_nettx_check_rsp_prod, against the
 * posted slots. */
int mira_netrx_check_rsp_prod(struct mira_netrx *rx, RING_IDX rsp_cons, RING_IDX rsp_prod);

/* mira_netrx_response: checks rsp.  Returns 1 (bytes: piece filled), or,
 * with piece->cookie set (the slot is free again: post its buffer anew),
 * MIRA_EIO (the backend reported an error for it: NETIF_RSP_ERROR or
 * _DROPPED) or MIRA_ECORRUPT (refused: bad size, flags or status; counted).
 * MIRA_ECORRUPT with piece->cookie NULL: refused naming no slot of ours
 * (counted; the table is broken). */
int mira_netrx_response(struct mira_netrx *rx, const netif_rx_response_t *rsp,
                        struct mira_netrx_piece *piece);

/* mira_netrx_drain: after the backend closed, hands back one posted slot
 * (piece->cookie and gref): 1, or 0 when none is left. */
int mira_netrx_drain(struct mira_netrx *rx, struct mira_netrx_piece *piece);

#endif
