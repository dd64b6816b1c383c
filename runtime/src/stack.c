/* stack.c - the network stack's public functions: arguments are checked
 * here for every driver, and a socket closed while fibers wait in it is
 * freed only when the last of them has left (see mira/driver/stack.h). */
#include <mira/driver/stack.h>
#include <mira/log.h>

static struct mira_stack *stack_checked(struct mira_stack *s, const char *fn)
{
    if (s == NULL || s->ops == NULL)
        mira_panic("%s: NULL network stack", fn);
    return s;
}

static void sock_checked(const struct mira_sock *k, const char *fn)
{
    if (k == NULL)
        mira_panic("%s: NULL socket", fn);
    if (k->closed)
        mira_panic("%s: socket used after it was closed", fn);
}

void mira_sock_init(struct mira_sock *k, struct mira_stack *s)
{
    *k = (struct mira_sock){ .stack = s };
}

/* A fiber enters a call on k / leaves it: true when it was the last one
 * inside a closed socket, which the caller must then free. */
static void enter(struct mira_sock *k)
{
    k->busy++;
}

static bool leave(struct mira_sock *k)
{
    k->busy--;
    return k->closed && k->busy == 0;
}

/* A result of a call that was inside k when k was closed. */
static long closed_result(const struct mira_sock *k, long r)
{
    return k->closed ? MIRA_ECLOSED : r;
}

int mira_stack_ipv4(struct mira_stack *s, struct mira_ipv4_config *cfg)
{
    return stack_checked(s, "mira_stack_ipv4")->ops->ipv4(s, cfg);
}

/* --- UDP --- */

int mira_udp_bind(struct mira_stack *s, uint16_t port, struct mira_udp **out)
{
    return stack_checked(s, "mira_udp_bind")->ops->udp_bind(s, port, out);
}

long mira_udp_recv(struct mira_udp *u, void *buf, size_t len, struct mira_endpoint *from,
                   struct mira_endpoint *to, mira_time_t deadline)
{
    sock_checked(&u->sock, "mira_udp_recv");
    enter(&u->sock);
    long r = u->sock.stack->ops->udp_recv(u, buf, len, from, to, deadline);
    r = closed_result(&u->sock, r);
    if (leave(&u->sock))
        u->sock.stack->ops->udp_free(u);
    return r;
}

int mira_udp_send(struct mira_udp *u, const struct mira_endpoint *to, const void *buf,
                  size_t len)
{
    sock_checked(&u->sock, "mira_udp_send");
    if (to == NULL)
        mira_panic("mira_udp_send: NULL destination");
    if (len > MIRA_UDP_MAX_PAYLOAD || to->port == 0 || to->addr == MIRA_IPV4_ANY)
        return MIRA_EINVAL;
    enter(&u->sock);
    int r = u->sock.stack->ops->udp_send(u, to, buf, len);
    r = (int)closed_result(&u->sock, r);
    if (leave(&u->sock))
        u->sock.stack->ops->udp_free(u);
    return r;
}

void mira_udp_local(const struct mira_udp *u, struct mira_endpoint *local)
{
    sock_checked(&u->sock, "mira_udp_local");
    *local = u->local;
}

void mira_udp_close(struct mira_udp *u)
{
    sock_checked(&u->sock, "mira_udp_close");
    u->sock.closed = true;
    struct mira_stack *s = u->sock.stack;
    s->ops->udp_close(u);
    if (u->sock.busy == 0)
        s->ops->udp_free(u);
}

/* --- TCP --- */

int mira_tcp_listen(struct mira_stack *s, uint16_t port, int backlog,
                    struct mira_tcp_listener **out)
{
    stack_checked(s, "mira_tcp_listen");
    if (backlog < 0)
        return MIRA_EINVAL;
    return s->ops->tcp_listen(s, port, backlog, out);
}

int mira_tcp_accept(struct mira_tcp_listener *l, struct mira_tcp **out, mira_time_t deadline)
{
    sock_checked(&l->sock, "mira_tcp_accept");
    enter(&l->sock);
    struct mira_tcp *c = NULL;
    int r = l->sock.stack->ops->tcp_accept(l, &c, deadline);
    if (r == 0 && l->sock.closed) {
        /* Closed while this fiber was on its way out with a connection. */
        mira_tcp_close(c);
        r = MIRA_ECLOSED;
    }
    r = (int)closed_result(&l->sock, r);
    if (r == 0)
        *out = c;
    if (leave(&l->sock))
        l->sock.stack->ops->listener_free(l);
    return r;
}

void mira_tcp_listener_local(const struct mira_tcp_listener *l, struct mira_endpoint *local)
{
    sock_checked(&l->sock, "mira_tcp_listener_local");
    *local = l->local;
}

void mira_tcp_listener_close(struct mira_tcp_listener *l)
{
    sock_checked(&l->sock, "mira_tcp_listener_close");
    l->sock.closed = true;
    struct mira_stack *s = l->sock.stack;
    s->ops->listener_close(l);
    if (l->sock.busy == 0)
        s->ops->listener_free(l);
}

int mira_tcp_connect(struct mira_stack *s, const struct mira_endpoint *to,
                     struct mira_tcp **out, mira_time_t deadline)
{
    stack_checked(s, "mira_tcp_connect");
    if (to == NULL)
        mira_panic("mira_tcp_connect: NULL destination");
    if (to->port == 0 || to->addr == MIRA_IPV4_ANY)
        return MIRA_EINVAL;
    return s->ops->tcp_connect(s, to, out, deadline);
}

long mira_tcp_read(struct mira_tcp *c, void *buf, size_t len, mira_time_t deadline)
{
    sock_checked(&c->sock, "mira_tcp_read");
    if (len == 0)
        mira_panic("mira_tcp_read: len 0 (0 means end of stream)");
    enter(&c->sock);
    long r = c->sock.stack->ops->tcp_read(c, buf, len, deadline);
    r = closed_result(&c->sock, r);
    if (leave(&c->sock))
        c->sock.stack->ops->tcp_free(c);
    return r;
}

long mira_tcp_write(struct mira_tcp *c, const void *buf, size_t len, mira_time_t deadline)
{
    sock_checked(&c->sock, "mira_tcp_write");
    if (len == 0)
        return 0;
    if (len > (size_t)(((unsigned long)-1) >> 1))
        len = (size_t)(((unsigned long)-1) >> 1);
    enter(&c->sock);
    long r = c->sock.stack->ops->tcp_write(c, buf, len, deadline);
    r = closed_result(&c->sock, r);
    if (leave(&c->sock))
        c->sock.stack->ops->tcp_free(c);
    return r;
}

int mira_tcp_shutdown(struct mira_tcp *c)
{
    sock_checked(&c->sock, "mira_tcp_shutdown");
    return c->sock.stack->ops->tcp_shutdown(c);
}

void mira_tcp_peer(const struct mira_tcp *c, struct mira_endpoint *peer)
{
    sock_checked(&c->sock, "mira_tcp_peer");
    *peer = c->peer;
}

void mira_tcp_local(const struct mira_tcp *c, struct mira_endpoint *local)
{
    sock_checked(&c->sock, "mira_tcp_local");
    *local = c->local;
}

void mira_tcp_close(struct mira_tcp *c)
{
    sock_checked(&c->sock, "mira_tcp_close");
    c->sock.closed = true;
    struct mira_stack *s = c->sock.stack;
    s->ops->tcp_close(c);
    if (c->sock.busy == 0)
        s->ops->tcp_free(c);
}

int mira_tcp_set_nodelay(struct mira_tcp *c, bool on)
{
    sock_checked(&c->sock, "mira_tcp_set_nodelay");
    return c->sock.stack->ops->tcp_set_nodelay(c, on);
}

/* Linux's limits (MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL, MAX_TCP_KEEPCNT), so
 * both stacks take the same values. */
static bool keepalive_time_ok(mira_time_t t)
{
    return t >= MIRA_SECONDS(1) && t <= MIRA_SECONDS(32767) && t % MIRA_SECONDS(1) == 0;
}

int mira_tcp_set_keepalive(struct mira_tcp *c, const struct mira_tcp_keepalive *ka)
{
    sock_checked(&c->sock, "mira_tcp_set_keepalive");
    if (ka == NULL)
        mira_panic("mira_tcp_set_keepalive: NULL settings");
    if (ka->on && (!keepalive_time_ok(ka->idle) || !keepalive_time_ok(ka->interval) ||
                   ka->count < 1 || ka->count > 127))
        return MIRA_EINVAL;
    return c->sock.stack->ops->tcp_set_keepalive(c, ka);
}

/* --- the stack --- */

void mira_stack_close(struct mira_stack *s)
{
    stack_checked(s, "mira_stack_close")->ops->close(s);
}

const char *mira_stack_name(const struct mira_stack *s)
{
    if (s == NULL)
        mira_panic("mira_stack_name: NULL network stack");
    return s->name;
}
