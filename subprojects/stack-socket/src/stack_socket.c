/* stack_socket.c - mira/stack.h over the host kernel's sockets (see
 * mira/stack_socket.h).  Every socket is non-blocking; a call that would
 * block waits for its descriptor with mira_unix_wait_fd, and looks at the
 * socket's closed flag after every wait (a close from another fiber shuts
 * the descriptor down, which wakes the wait). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mira/driver/stack.h>
#include <mira/log.h>
#include <mira/param.h>
#include <mira/runtime.h>
#include <mira/stack_socket.h>
#include <mira/unix.h>

#define DRIVER "stack-socket"
/* Connections a listener queues before they are accepted, by default. */
#define DEFAULT_BACKLOG 128

MIRA_PARAM_DECLARE(ipv4, "*-ipv4", "0.0.0.0",
                   "host address to bind and connect from (0.0.0.0: every address)");

/* Every socket of a stack is on its list, so that closing the stack can
 * close what the app left open. */
struct node {
    struct node *prev, *next;
    int fd;
    enum { UDP, LISTENER, TCP } kind;
};

struct sstack {
    struct mira_stack dev; /* first: the runtime sees only this */
    struct mira_ipv4_config cfg;
    struct node all;       /* list head */
};

struct sudp {
    struct mira_udp u; /* first */
    struct node n;
};

struct slistener {
    struct mira_tcp_listener l; /* first */
    struct node n;
};

struct stcp {
    struct mira_tcp c; /* first */
    struct node n;
};

static struct sstack *stack_of(struct mira_sock *k)
{
    return (struct sstack *)k->stack;
}

static void node_link(struct sstack *s, struct node *n, int fd, int kind)
{
    n->fd = fd;
    n->kind = kind;
    n->next = s->all.next;
    n->prev = &s->all;
    s->all.next->prev = n;
    s->all.next = n;
}

static void node_unlink(struct node *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    if (n->fd >= 0)
        close(n->fd);
    n->fd = -1;
}

static void sin_of(const struct mira_endpoint *e, struct sockaddr_in *sin)
{
    *sin = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(e->port),
                                 .sin_addr.s_addr = htonl(e->addr) };
}

static struct mira_endpoint endpoint_of(const struct sockaddr_in *sin)
{
    return (struct mira_endpoint){ .addr = ntohl(sin->sin_addr.s_addr),
                                   .port = ntohs(sin->sin_port) };
}

static void local_of(int fd, struct mira_endpoint *e)
{
    struct sockaddr_in sin = { 0 };
    socklen_t len = sizeof(sin);
    getsockname(fd, (struct sockaddr *)&sin, &len);
    *e = endpoint_of(&sin);
}

/* Waits for events on fd; MIRA_ECLOSED when the socket was closed
 * meanwhile, MIRA_ETIMEDOUT at the deadline, else 0. */
static int wait_fd(struct mira_sock *k, int fd, short events, mira_time_t deadline)
{
    int r = mira_unix_wait_fd(fd, events, deadline);
    if (k->closed)
        return MIRA_ECLOSED;
    return r < 0 ? r : 0;
}

/* A kernel error on a connection, in mira/error.h's terms. */
static int conn_error(int e)
{
    switch (e) {
    case ECONNREFUSED:
        return MIRA_ECONNREFUSED;
    case ETIMEDOUT:
        return MIRA_ETIMEDOUT;
    case ECONNRESET:
    case EPIPE:
    case ENOTCONN:
    case ESHUTDOWN:
        return MIRA_ECLOSED;
    case ENOMEM:
    case ENOBUFS:
    case EMFILE:
    case ENFILE:
        return MIRA_ENOMEM;
    default:
        return MIRA_EIO;
    }
}

/* A socket bound to the stack's address and port; -errno on failure. */
static int bound_socket(struct sstack *s, int type, uint16_t port, const char *what)
{
    int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    if (type == SOCK_STREAM)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    else
        setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
    struct sockaddr_in sin;
    sin_of(&(struct mira_endpoint){ s->cfg.addr, port }, &sin);
    if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
        int e = errno;
        close(fd);
        if (e == EACCES)
            mira_log(MIRA_LOG_WARN, DRIVER, "%s: %s port %u: permission denied (ports "
                     "below 1024 need root or CAP_NET_BIND_SERVICE)", s->dev.name, what,
                     (unsigned)port);
        return -e;
    }
    return fd;
}

static int bind_error(int e)
{
    if (e == EADDRINUSE)
        return MIRA_EADDRINUSE;
    if (e == EACCES || e == EADDRNOTAVAIL || e == EINVAL)
        return MIRA_EINVAL;
    return conn_error(e);
}

static int sstack_ipv4(struct mira_stack *st, struct mira_ipv4_config *cfg)
{
    *cfg = ((struct sstack *)st)->cfg;
    return MIRA_OK;
}

/* --- UDP --- */

static int sudp_bind(struct mira_stack *st, uint16_t port, struct mira_udp **out)
{
    struct sstack *s = (struct sstack *)st;
    struct sudp *u = calloc(1, sizeof(*u));
    if (u == NULL)
        return MIRA_ENOMEM;
    int fd = bound_socket(s, SOCK_DGRAM, port, "UDP");
    if (fd < 0) {
        free(u);
        return bind_error(-fd);
    }
    mira_sock_init(&u->u.sock, st);
    local_of(fd, &u->u.local);
    node_link(s, &u->n, fd, UDP);
    *out = &u->u;
    return MIRA_OK;
}

static long sudp_recv(struct mira_udp *uu, void *buf, size_t len, struct mira_endpoint *from,
                      struct mira_endpoint *to, mira_time_t deadline)
{
    struct sudp *u = (struct sudp *)uu;
    for (;;) {
        struct sockaddr_in src;
        char control[CMSG_SPACE(sizeof(struct in_pktinfo))];
        struct iovec iov = { buf, len };
        struct msghdr msg = { .msg_name = &src, .msg_namelen = sizeof(src),
                              .msg_iov = &iov, .msg_iovlen = 1,
                              .msg_control = control, .msg_controllen = sizeof(control) };
        ssize_t n = recvmsg(u->n.fd, &msg, MSG_DONTWAIT);
        if (n >= 0) {
            if (from)
                *from = endpoint_of(&src);
            if (to) {
                *to = uu->local;
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
                    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
                        struct in_pktinfo pi;
                        memcpy(&pi, CMSG_DATA(c), sizeof(pi));
                        to->addr = ntohl(pi.ipi_addr.s_addr);
                    }
                }
            }
            return (long)n;
        }
        if (errno == EINTR)
            continue;
        /* An ICMP error for an earlier send is reported on this call:
         * not this datagram's business. */
        if (errno == ECONNREFUSED)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return uu->sock.closed ? MIRA_ECLOSED : conn_error(errno);
        int r = wait_fd(&uu->sock, u->n.fd, POLLIN, deadline);
        if (r < 0)
            return r;
    }
}

static int sudp_send(struct mira_udp *uu, const struct mira_endpoint *to, const void *buf,
                     size_t len)
{
    struct sudp *u = (struct sudp *)uu;
    struct sockaddr_in dst;
    sin_of(to, &dst);
    for (;;) {
        ssize_t n = sendto(u->n.fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL,
                           (struct sockaddr *)&dst, sizeof(dst));
        if (n >= 0)
            return MIRA_OK;
        if (errno == EINTR || errno == ECONNREFUSED)
            continue;
        if (errno == EMSGSIZE || errno == EINVAL)
            return MIRA_EINVAL;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return conn_error(errno);
        int r = wait_fd(&uu->sock, u->n.fd, POLLOUT, MIRA_TIME_NEVER);
        if (r < 0)
            return r;
    }
}

/* Wakes every fiber waiting on fd: shutdown makes it readable (UDP and
 * connections) or hung up (a listener) at once; Linux answers ENOTCONN for
 * an unconnected UDP socket but still wakes its waiters. */
static void wake_waiters(const struct mira_sock *k, int fd)
{
    if (k->busy > 0)
        shutdown(fd, SHUT_RDWR);
}

static void sudp_close(struct mira_udp *uu)
{
    wake_waiters(&uu->sock, ((struct sudp *)uu)->n.fd);
}

static void sudp_free(struct mira_udp *uu)
{
    struct sudp *u = (struct sudp *)uu;
    node_unlink(&u->n);
    free(u);
}

/* --- TCP --- */

static int stcp_listen(struct mira_stack *st, uint16_t port, int backlog,
                       struct mira_tcp_listener **out)
{
    struct sstack *s = (struct sstack *)st;
    struct slistener *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return MIRA_ENOMEM;
    int fd = bound_socket(s, SOCK_STREAM, port, "TCP");
    if (fd < 0) {
        free(l);
        return bind_error(-fd);
    }
    if (listen(fd, backlog ? backlog : DEFAULT_BACKLOG) < 0) {
        int e = errno;
        close(fd);
        free(l);
        return bind_error(e);
    }
    mira_sock_init(&l->l.sock, st);
    local_of(fd, &l->l.local);
    node_link(s, &l->n, fd, LISTENER);
    *out = &l->l;
    return MIRA_OK;
}

/* A connection object around connected descriptor fd. */
static int new_conn(struct sstack *s, int fd, struct mira_tcp **out)
{
    struct stcp *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        close(fd);
        return MIRA_ENOMEM;
    }
    mira_sock_init(&c->c.sock, &s->dev);
    local_of(fd, &c->c.local);
    struct sockaddr_in peer = { 0 };
    socklen_t plen = sizeof(peer);
    getpeername(fd, (struct sockaddr *)&peer, &plen);
    c->c.peer = endpoint_of(&peer);
    node_link(s, &c->n, fd, TCP);
    *out = &c->c;
    return MIRA_OK;
}

static int stcp_accept(struct mira_tcp_listener *ll, struct mira_tcp **out,
                       mira_time_t deadline)
{
    struct slistener *l = (struct slistener *)ll;
    for (;;) {
        int fd = accept4(l->n.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0)
            return new_conn(stack_of(&ll->sock), fd, out);
        if (ll->sock.closed)
            return MIRA_ECLOSED;
        /* A connection that died in the queue, or a signal: the next one. */
        if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return conn_error(errno);
        int r = wait_fd(&ll->sock, l->n.fd, POLLIN, deadline);
        if (r < 0)
            return r;
    }
}

static void slistener_close(struct mira_tcp_listener *ll)
{
    wake_waiters(&ll->sock, ((struct slistener *)ll)->n.fd);
}

static void slistener_free(struct mira_tcp_listener *ll)
{
    struct slistener *l = (struct slistener *)ll;
    node_unlink(&l->n);
    free(l);
}

static int stcp_connect(struct mira_stack *st, const struct mira_endpoint *to,
                        struct mira_tcp **out, mira_time_t deadline)
{
    struct sstack *s = (struct sstack *)st;
    int fd = s->cfg.addr != MIRA_IPV4_ANY ? bound_socket(s, SOCK_STREAM, 0, "TCP")
                                          : socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
                                                   SOCK_CLOEXEC, 0);
    if (fd < 0)
        return conn_error(fd == -1 ? errno : -fd);
    struct sockaddr_in dst;
    sin_of(to, &dst);
    if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
        if (errno != EINPROGRESS) {
            int e = errno;
            close(fd);
            return conn_error(e);
        }
        /* Not a socket of the app's yet: nobody can close it meanwhile. */
        int r = mira_unix_wait_fd(fd, POLLOUT, deadline);
        int err = 0;
        socklen_t elen = sizeof(err);
        if (r >= 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
            err = errno;
        if (r < 0 || err != 0) {
            close(fd);
            return r < 0 ? r : conn_error(err);
        }
    }
    return new_conn(s, fd, out);
}

static long stcp_read(struct mira_tcp *cc, void *buf, size_t len, mira_time_t deadline)
{
    struct stcp *c = (struct stcp *)cc;
    for (;;) {
        ssize_t n = recv(c->n.fd, buf, len, MSG_DONTWAIT);
        if (cc->sock.closed)
            return MIRA_ECLOSED;
        if (n >= 0)
            return (long)n;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return conn_error(errno);
        int r = wait_fd(&cc->sock, c->n.fd, POLLIN, deadline);
        if (r < 0)
            return r;
    }
}

static long stcp_write(struct mira_tcp *cc, const void *buf, size_t len, mira_time_t deadline)
{
    struct stcp *c = (struct stcp *)cc;
    size_t done = 0;
    while (done < len) {
        ssize_t n = send(c->n.fd, (const char *)buf + done, len - done,
                         MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return conn_error(errno);
        int r = wait_fd(&cc->sock, c->n.fd, POLLOUT, deadline);
        if (r == MIRA_ETIMEDOUT && done > 0)
            return (long)done;
        if (r < 0)
            return r;
    }
    return (long)done;
}

static int stcp_shutdown(struct mira_tcp *cc)
{
    if (shutdown(((struct stcp *)cc)->n.fd, SHUT_WR) < 0)
        return conn_error(errno);
    return MIRA_OK;
}

static void stcp_close(struct mira_tcp *cc)
{
    wake_waiters(&cc->sock, ((struct stcp *)cc)->n.fd);
}

static void stcp_free(struct mira_tcp *cc)
{
    struct stcp *c = (struct stcp *)cc;
    node_unlink(&c->n);
    free(c);
}

/* The per-connection switches: the kernel's own (tcp(7), socket(7)). */
static int stcp_set_nodelay(struct mira_tcp *cc, bool on)
{
    int v = on;
    if (setsockopt(((struct stcp *)cc)->n.fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)) < 0)
        return conn_error(errno);
    return MIRA_OK;
}

static int stcp_set_keepalive(struct mira_tcp *cc, const struct mira_tcp_keepalive *ka)
{
    int fd = ((struct stcp *)cc)->n.fd;
    int on = ka->on;
    if (on) {
        /* Whole seconds in range: checked by the runtime (mira/stack.h). */
        int idle = (int)(ka->idle / MIRA_SECONDS(1));
        int intvl = (int)(ka->interval / MIRA_SECONDS(1));
        int count = (int)ka->count;
        if (setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) < 0 ||
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) < 0 ||
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count)) < 0)
            return errno == EINVAL ? MIRA_EINVAL : conn_error(errno);
    }
    if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) < 0)
        return conn_error(errno);
    return MIRA_OK;
}

/* --- the stack --- */

static void sstack_close(struct mira_stack *st)
{
    struct sstack *s = (struct sstack *)st;
    while (s->all.next != &s->all) {
        struct node *n = s->all.next;
        node_unlink(n);
        /* The node sits right after the public part in each socket type. */
        switch (n->kind) {
        case UDP:
            free((char *)n - offsetof(struct sudp, n));
            break;
        case LISTENER:
            free((char *)n - offsetof(struct slistener, n));
            break;
        default:
            free((char *)n - offsetof(struct stcp, n));
            break;
        }
    }
    free(s);
}

static const struct mira_stack_ops sstack_ops = {
    .ipv4 = sstack_ipv4,
    .udp_bind = sudp_bind,
    .udp_recv = sudp_recv,
    .udp_send = sudp_send,
    .udp_close = sudp_close,
    .udp_free = sudp_free,
    .tcp_listen = stcp_listen,
    .tcp_accept = stcp_accept,
    .listener_close = slistener_close,
    .listener_free = slistener_free,
    .tcp_connect = stcp_connect,
    .tcp_read = stcp_read,
    .tcp_write = stcp_write,
    .tcp_shutdown = stcp_shutdown,
    .tcp_close = stcp_close,
    .tcp_free = stcp_free,
    .close = sstack_close,
    .tcp_set_nodelay = stcp_set_nodelay,
    .tcp_set_keepalive = stcp_set_keepalive,
};

int mira_stack_socket_connect(struct mira_stack **out, const char *name)
{
    char key[128];
    int n = snprintf(key, sizeof(key), "%s-ipv4", name);
    if (n < 0 || (size_t)n >= sizeof(key))
        mira_panic("stack-socket: device name '%s' too long", name);
    const char *v = mira_param(key, "0.0.0.0");
    struct mira_ipv4_config cfg = { 0 };
    if (mira_ipv4_parse_cidr(v, &cfg.addr, &cfg.prefix_len) < 0) {
        mira_connect_error(name, DRIVER, "--%s=%s is not an IPv4 address (e.g. 127.0.0.1, "
                           "or 0.0.0.0 for every address of the host)", key, v);
        return MIRA_EINVAL;
    }
    if (strchr(v, '/') == NULL)
        cfg.prefix_len = cfg.addr == MIRA_IPV4_ANY ? 0 : 32;
    struct sstack *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return MIRA_ENOMEM;
    s->dev.ops = &sstack_ops;
    s->dev.name = name;
    s->cfg = cfg;
    s->all.next = s->all.prev = &s->all;
    char a[MIRA_IPV4_STRLEN];
    mira_log(MIRA_LOG_DEBUG, DRIVER, "%s: host sockets on %s", name,
             mira_ipv4_format(cfg.addr, a));
    *out = &s->dev;
    return MIRA_OK;
}
