/*
 * mira/driver/stack.h - what a network stack driver implements.
 *
 * A driver embeds struct mira_stack first in its state, and struct
 * mira_udp, mira_tcp_listener and mira_tcp first in its sockets; it fills
 * their `stack` and endpoints when it creates them (mira_sock_init).  The
 * runtime's functions (runtime/src/stack.c) check arguments, then call ops.
 *
 * Closing while other fibers wait (mira/stack.h) is the runtime's: it
 * counts the fibers inside each socket's calls (sock.busy).  A close sets
 * sock.closed and calls the op `*_close`, which must stop the socket at
 * once and make every call waiting in it return soon (wake its queues;
 * unix: shutdown(2) the descriptor, so poll wakes the waiters); those calls
 * see sock.closed and return MIRA_ECLOSED.  When the last of them has
 * returned, or at once when there were none, the runtime calls `*_free`,
 * which releases the memory (and, unix, the descriptor).
 */
#ifndef MIRA_DRIVER_STACK_H
#define MIRA_DRIVER_STACK_H

#include <mira/stack.h>

/* What every socket starts with, after its type's first member. */
struct mira_sock {
    struct mira_stack *stack;
    unsigned busy;  /* fibers inside a call on this socket */
    bool closed;    /* closed by the app; freed when busy reaches 0 */
};

struct mira_udp {
    struct mira_sock sock;
    struct mira_endpoint local;
};

struct mira_tcp_listener {
    struct mira_sock sock;
    struct mira_endpoint local;
};

struct mira_tcp {
    struct mira_sock sock;
    struct mira_endpoint local, peer;
};

struct mira_stack_ops {
    /* ipv4: as mira_stack_ipv4. */
    int (*ipv4)(struct mira_stack *s, struct mira_ipv4_config *cfg);

    /* UDP: bind, recv, send as the public functions (recv and send return
     * MIRA_ECLOSED once u->sock.closed is set); close stops u, free frees
     * it (see above). */
    int (*udp_bind)(struct mira_stack *s, uint16_t port, struct mira_udp **out);
    long (*udp_recv)(struct mira_udp *u, void *buf, size_t len, struct mira_endpoint *from,
                     struct mira_endpoint *to, mira_time_t deadline);
    int (*udp_send)(struct mira_udp *u, const struct mira_endpoint *to, const void *buf,
                    size_t len);
    void (*udp_close)(struct mira_udp *u);
    void (*udp_free)(struct mira_udp *u);

    /* TCP: as the public functions, with the same close/free split. */
    int (*tcp_listen)(struct mira_stack *s, uint16_t port, int backlog,
                      struct mira_tcp_listener **out);
    int (*tcp_accept)(struct mira_tcp_listener *l, struct mira_tcp **out,
                      mira_time_t deadline);
    void (*listener_close)(struct mira_tcp_listener *l);
    void (*listener_free)(struct mira_tcp_listener *l);
    int (*tcp_connect)(struct mira_stack *s, const struct mira_endpoint *to,
                       struct mira_tcp **out, mira_time_t deadline);
    long (*tcp_read)(struct mira_tcp *c, void *buf, size_t len, mira_time_t deadline);
    long (*tcp_write)(struct mira_tcp *c, const void *buf, size_t len, mira_time_t deadline);
    int (*tcp_shutdown)(struct mira_tcp *c);
    void (*tcp_close)(struct mira_tcp *c);
    void (*tcp_free)(struct mira_tcp *c);

    /* close: closes and frees every socket left, then s itself. */
    void (*close)(struct mira_stack *s);

    /* Per-connection switches, as the public functions (the runtime has
     * checked the ranges; they return MIRA_ECLOSED once c is dead). */
    int (*tcp_set_nodelay)(struct mira_tcp *c, bool on);
    int (*tcp_set_keepalive)(struct mira_tcp *c, const struct mira_tcp_keepalive *ka);
};

struct mira_stack {
    const struct mira_stack_ops *ops;
    const char *name;
};

/* mira_sock_init: prepares a socket's common part for stack s. */
void mira_sock_init(struct mira_sock *k, struct mira_stack *s);

#endif
