/*
 * mira/pbuf.h - packet buffers: the frames that network drivers and the
 * TCP/IP stack hand each other, without a copy per layer.
 *
 * A packet is a chain of pieces (struct mira_pbuf).  Each piece is a window
 * [data, data + len) onto a block of memory (struct mira_pbuf_mem) that
 * counts its references.  Memory comes from two places:
 *
 *   - mira_pbuf_alloc: whole pages.  A piece never straddles a page, so a
 *     Xen driver can grant any piece as it is, and the first piece keeps
 *     free bytes before the data (headroom) so that every layer can put
 *     its header there (mira_pbuf_push) instead of copying the payload.
 *   - mira_pbuf_wrap: memory that a driver owns (netfront's granted receive
 *     pages).  When the last piece referring to it goes, the owner's
 *     release callback gets it back (to grant it to the backend again).
 *
 * mira_pbuf_clone makes a second chain over the same memory (a TCP
 * retransmission queue keeps a clone of what it sent); memory goes back
 * to its page cache or owner when the last chain that uses it is freed.
 * Shared memory is read-only by convention: mira_pbuf_push never writes
 * into the headroom of memory that another chain also sees, it puts a
 * fresh piece in front instead.
 *
 * Offload metadata (struct mira_pbuf_offload) travels in a packet's first
 * piece; it mirrors the virtio-net header, which is what tap (IFF_VNET_HDR)
 * and netfront's flags both express.
 *
 * Errors follow mira/error.h; functions that return a pointer return NULL
 * when memory runs out.  Nothing here waits, so everything is callable from
 * timer callbacks.  Not shared between fibers by locks: there is no
 * preemption.
 */
#ifndef MIRA_PBUF_H
#define MIRA_PBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mira/error.h>

/* The headroom most senders want: Ethernet (14) + IPv4 with options (60) +
 * TCP with options (60), rounded up, with room for a 12-byte virtio-net
 * header in front. */
#define MIRA_PBUF_HEADROOM 160u

/* The most headroom mira_pbuf_alloc gives, and the most bytes one
 * mira_pbuf_push or mira_pbuf_pullup handles. */
#define MIRA_PBUF_HEADROOM_MAX 2048u

/* Called when the last piece referring to wrapped memory is freed:
 * base is what mira_pbuf_wrap was given, arg its arg. */
typedef void (*mira_pbuf_release_fn)(void *base, void *arg);

/* One block of memory and its references.  Read-only for users. */
struct mira_pbuf_mem {
    uint8_t *base;               /* the block's first byte */
    uint32_t size;               /* its size */
    uint32_t refs;               /* pieces that refer to it */
    mira_pbuf_release_fn release; /* NULL: a page of the pbuf cache */
    void *arg;
};

/* Offloads of one packet, in its first piece; as in the virtio-net header
 * (all 0: nothing asked, nothing known). */
struct mira_pbuf_offload {
    uint8_t flags;        /* MIRA_PBUF_CSUM_* */
    uint8_t gso_type;     /* MIRA_PBUF_GSO_* */
    uint16_t gso_size;    /* with a GSO type: the payload bytes per segment */
    uint16_t hdr_len;     /* with a GSO type: the bytes of headers */
    uint16_t csum_start;  /* with CSUM_PARTIAL: where checksumming starts */
    uint16_t csum_offset; /* ... and where after csum_start the sum goes */
};

/* flags: the checksum from csum_start on is still to be computed (sending
 * to a device with MIRA_NETIF_TX_CSUM). */
#define MIRA_PBUF_CSUM_PARTIAL 0x1u
/* flags: the device has checked the packet's checksums (received). */
#define MIRA_PBUF_CSUM_VALID 0x2u

#define MIRA_PBUF_GSO_NONE 0u
#define MIRA_PBUF_GSO_TCPV4 1u

/* One piece of a packet.  Users read data/len/next and the first piece's
 * tot_len and offload; they change them only through the functions below. */
struct mira_pbuf {
    struct mira_pbuf *next;   /* the packet's next piece, or NULL */
    uint8_t *data;            /* this piece's first byte */
    uint32_t len;             /* bytes in this piece (may be 0) */
    uint32_t tot_len;         /* bytes in this piece and every later one */
    struct mira_pbuf_mem *mem; /* the memory that holds [data, data + len) */
    struct mira_pbuf_offload offload; /* first piece only */
};

/* mira_pbuf_alloc: a packet of len bytes (contents unspecified) in page
 * pieces, with headroom bytes free before its first byte (at most
 * MIRA_PBUF_HEADROOM_MAX, else a panic).  len may be 0: a packet that will
 * be only headers.  NULL when memory runs out. */
struct mira_pbuf *mira_pbuf_alloc(size_t len, size_t headroom);

/* mira_pbuf_wrap: a one-piece packet over size bytes at base that the
 * caller owns, holding the len bytes at base + offset (offset + len <= size,
 * else a panic).  The bytes before offset are headroom.  release(base, arg)
 * is called once, when the last piece referring to the memory (this one or
 * a clone) is freed.  NULL when memory runs out; the memory is then still
 * the caller's and release is not called. */
struct mira_pbuf *mira_pbuf_wrap(void *base, size_t size, size_t offset, size_t len,
                                 mira_pbuf_release_fn release, void *arg);

/* mira_pbuf_clone: a new chain with the same bytes and offloads as p,
 * sharing p's memory (nothing is copied).  NULL when memory runs out. */
struct mira_pbuf *mira_pbuf_clone(const struct mira_pbuf *p);

/* mira_pbuf_free: frees every piece of packet p (NULL: nothing); memory no
 * other piece refers to goes back to the page cache or to its owner. */
void mira_pbuf_free(struct mira_pbuf *p);

/* mira_pbuf_push: makes the packet *pp n bytes longer at the front and
 * returns the first byte (the n bytes are unspecified: the caller writes
 * its header there).  In place when the first piece has n bytes of
 * headroom and its memory is not shared; otherwise a fresh page piece goes
 * in front and *pp changes.  NULL (packet unchanged) when memory runs out
 * or n > MIRA_PBUF_HEADROOM_MAX. */
void *mira_pbuf_push(struct mira_pbuf **pp, size_t n);

/* mira_pbuf_pull: removes n bytes from the front of *pp (a header that
 * has been read).  Leading pieces left empty are freed, except the last,
 * so *pp may change.  Returns 0, or MIRA_EINVAL (packet unchanged) when the
 * packet is shorter than n. */
int mira_pbuf_pull(struct mira_pbuf **pp, size_t n);

/* mira_pbuf_trim: cuts the packet to its first len bytes (Ethernet padding
 * after an IP packet); pieces left empty after the first are freed.
 * Returns 0, or MIRA_EINVAL (unchanged) when the packet is shorter. */
int mira_pbuf_trim(struct mira_pbuf *p, size_t len);

/* mira_pbuf_pullup: makes the first n bytes of *pp contiguous in its first
 * piece and returns them (to parse a header that a device split across
 * pieces).  Copies only when they are not contiguous already; then the
 * first piece is a fresh page piece and *pp changes.  NULL (packet
 * unchanged) when the packet is shorter than n, n > MIRA_PBUF_HEADROOM_MAX
 * or memory runs out. */
void *mira_pbuf_pullup(struct mira_pbuf **pp, size_t n);

/* mira_pbuf_cat: appends packet tail to packet head; tail's pieces then
 * belong to head (tail's offloads are dropped). */
void mira_pbuf_cat(struct mira_pbuf *head, struct mira_pbuf *tail);

/* mira_pbuf_copy_out: copies up to len bytes of p, from byte offset off,
 * into buf.  Returns the count copied: len, less at the packet's end. */
size_t mira_pbuf_copy_out(const struct mira_pbuf *p, size_t off, void *buf, size_t len);

/* mira_pbuf_copy_in: writes len bytes of buf into p from byte offset off;
 * stops at the packet's end.  Returns the count written.  p's memory must
 * not be shared (see mira_pbuf_writable). */
size_t mira_pbuf_copy_in(struct mira_pbuf *p, size_t off, const void *buf, size_t len);

/* mira_pbuf_headroom: the free bytes before the first piece's data. */
size_t mira_pbuf_headroom(const struct mira_pbuf *p);

/* mira_pbuf_writable: true when no other chain shares any of p's memory. */
bool mira_pbuf_writable(const struct mira_pbuf *p);

/* mira_pbuf_pieces: how many pieces packet p has. */
size_t mira_pbuf_pieces(const struct mira_pbuf *p);

/* What packet buffers hold now, for leak checks in tests and for
 * diagnostics. */
struct mira_pbuf_stats {
    size_t pieces;       /* struct mira_pbuf alive */
    size_t mems;         /* memory blocks alive (pages and wrapped) */
    size_t pages;        /* pages held by live packets */
    size_t pages_cached; /* free pages kept for the next allocations */
};

/* mira_pbuf_stats: copies the counts into *st. */
void mira_pbuf_stats(struct mira_pbuf_stats *st);

/* mira_pbuf_cache_release: gives every cached free page back to the
 * platform's page allocator. */
void mira_pbuf_cache_release(void);

#endif
