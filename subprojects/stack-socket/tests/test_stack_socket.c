/* test_stack_socket.c - stack-socket against the host kernel on loopback:
 * UDP with both addresses, TCP both ways with a stream larger than the
 * socket buffers, deadlines, refusals, and closes while other fibers wait.
 *
 * The runtime's own main() runs mira_app_main in the main fiber, as in a
 * unikernel; the cmocka group runs there.  Assertions stay in the main
 * fiber (a failed one longjmps); helper fibers only record results. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <mira/driver/stack.h>
#include <mira/fiber.h>
#include <mira/runtime.h>
#include <mira/stack_socket.h>
#include <mira/time.h>

static const mira_ipv4_t LOOPBACK = MIRA_IPV4(127, 0, 0, 1);

static int setup(void **state)
{
    struct mira_stack *s = NULL;
    if (mira_stack_socket_connect(&s, "stack0") < 0)
        return -1;
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    mira_stack_close(*state);
    return 0;
}

static mira_time_t in_ms(int ms)
{
    return mira_time_add(mira_clock_monotonic(), MIRA_MILLISECONDS(ms));
}

static void test_ipv4_config(void **state)
{
    struct mira_ipv4_config cfg;
    assert_int_equal(mira_stack_ipv4(*state, &cfg), 0);
    assert_int_equal(cfg.addr, MIRA_IPV4_ANY);
    assert_false(cfg.dhcp);
}

static void test_udp_both_addresses(void **state)
{
    struct mira_udp *a, *b;
    assert_int_equal(mira_udp_bind(*state, 0, &a), 0);
    assert_int_equal(mira_udp_bind(*state, 0, &b), 0);
    struct mira_endpoint la, lb;
    mira_udp_local(a, &la);
    mira_udp_local(b, &lb);
    assert_int_not_equal(la.port, 0);
    assert_int_not_equal(lb.port, la.port);

    struct mira_endpoint to = { LOOPBACK, lb.port };
    assert_int_equal(mira_udp_send(a, &to, "hello udp world", 15), 0);
    assert_int_equal(mira_udp_send(a, &to, "", 0), 0);
    char buf[64];
    struct mira_endpoint from, dst;
    assert_int_equal(mira_udp_recv(b, buf, sizeof(buf), &from, &dst, MIRA_TIME_NEVER), 15);
    assert_memory_equal(buf, "hello udp world", 15);
    assert_int_equal(from.addr, LOOPBACK);
    assert_int_equal(from.port, la.port);
    assert_int_equal(dst.addr, LOOPBACK);
    assert_int_equal(dst.port, lb.port);
    /* An empty datagram is one too. */
    assert_int_equal(mira_udp_recv(b, buf, sizeof(buf), NULL, NULL, MIRA_TIME_NEVER), 0);
    /* A longer one is cut to the buffer. */
    assert_int_equal(mira_udp_send(a, &to, "0123456789", 10), 0);
    assert_int_equal(mira_udp_recv(b, buf, 4, NULL, NULL, MIRA_TIME_NEVER), 4);
    assert_memory_equal(buf, "0123", 4);
    /* Nothing more: the deadline. */
    assert_int_equal(mira_udp_recv(b, buf, sizeof(buf), NULL, NULL, in_ms(20)), MIRA_ETIMEDOUT);
    /* Refused before the driver. */
    struct mira_endpoint bad = { LOOPBACK, 0 };
    assert_int_equal(mira_udp_send(a, &bad, "x", 1), MIRA_EINVAL);
    assert_int_equal(mira_udp_send(a, &to, buf, MIRA_UDP_MAX_PAYLOAD + 1), MIRA_EINVAL);
    mira_udp_close(a);
    mira_udp_close(b);
}

static void test_udp_port_in_use(void **state)
{
    struct mira_udp *a, *b = NULL;
    assert_int_equal(mira_udp_bind(*state, 0, &a), 0);
    struct mira_endpoint la;
    mira_udp_local(a, &la);
    assert_int_equal(mira_udp_bind(*state, la.port, &b), MIRA_EADDRINUSE);
    assert_null(b);
    mira_udp_close(a);
}

/* A fiber waiting in a call that another fiber's close must end. */
struct waiter {
    struct mira_udp *u;
    struct mira_tcp_listener *l;
    struct mira_tcp *c;
    long result;
    bool done;
};

static void udp_waiter(void *arg)
{
    struct waiter *w = arg;
    char buf[16];
    w->result = mira_udp_recv(w->u, buf, sizeof(buf), NULL, NULL, MIRA_TIME_NEVER);
    w->done = true;
}

static void accept_waiter(void *arg)
{
    struct waiter *w = arg;
    struct mira_tcp *c = NULL;
    w->result = mira_tcp_accept(w->l, &c, MIRA_TIME_NEVER);
    w->done = true;
}

static void read_waiter(void *arg)
{
    struct waiter *w = arg;
    char buf[16];
    w->result = mira_tcp_read(w->c, buf, sizeof(buf), MIRA_TIME_NEVER);
    w->done = true;
}

static void yield_until(const bool *flag)
{
    for (int i = 0; i < 100000 && !*flag; i++)
        mira_yield();
    assert_true(*flag);
}

/* Until the helper sits inside its call (the socket counts it busy). */
static void yield_until_busy(const struct mira_sock *k, unsigned n)
{
    for (int i = 0; i < 1000 && k->busy < n; i++)
        mira_yield();
    assert_int_equal(k->busy, n);
}

static void test_udp_close_wakes_waiters(void **state)
{
    struct waiter w1 = { 0 }, w2 = { 0 };
    assert_int_equal(mira_udp_bind(*state, 0, &w1.u), 0);
    w2.u = w1.u;
    assert_int_equal(mira_spawn("udp-waiter-1", udp_waiter, &w1, 0), 0);
    assert_int_equal(mira_spawn("udp-waiter-2", udp_waiter, &w2, 0), 0);
    yield_until_busy(&w1.u->sock, 2);
    mira_udp_close(w1.u);
    yield_until(&w1.done);
    yield_until(&w2.done);
    assert_int_equal(w1.result, MIRA_ECLOSED);
    assert_int_equal(w2.result, MIRA_ECLOSED);
}

static void test_accept_close_wakes_waiter(void **state)
{
    struct waiter w = { 0 };
    assert_int_equal(mira_tcp_listen(*state, 0, 0, &w.l), 0);
    assert_int_equal(mira_spawn("accept-waiter", accept_waiter, &w, 0), 0);
    yield_until_busy(&w.l->sock, 1);
    mira_tcp_listener_close(w.l);
    yield_until(&w.done);
    assert_int_equal(w.result, MIRA_ECLOSED);
}

/* The client side of the TCP test, in its own fiber. */
struct client {
    struct mira_stack *s;
    uint16_t port;
    size_t len;            /* bytes to send: a pattern */
    struct mira_endpoint local;
    long connect_result, write_result, shutdown_result, echoed;
    bool done;
};

static uint8_t pattern(size_t i)
{
    return (uint8_t)(i * 31 + (i >> 12));
}

static void client_fiber(void *arg)
{
    struct client *cl = arg;
    struct mira_tcp *c;
    struct mira_endpoint to = { LOOPBACK, cl->port };
    cl->connect_result = mira_tcp_connect(cl->s, &to, &c, MIRA_TIME_NEVER);
    if (cl->connect_result == 0) {
        mira_tcp_local(c, &cl->local);
        static uint8_t buf[1 << 16];
        size_t sent = 0;
        cl->write_result = 0;
        while (sent < cl->len && cl->write_result >= 0) {
            size_t n = cl->len - sent < sizeof(buf) ? cl->len - sent : sizeof(buf);
            for (size_t i = 0; i < n; i++)
                buf[i] = pattern(sent + i);
            cl->write_result = mira_tcp_write(c, buf, n, MIRA_TIME_NEVER);
            if (cl->write_result > 0)
                sent += (size_t)cl->write_result;
        }
        cl->shutdown_result = mira_tcp_shutdown(c);
        /* The server answers with the count it read, then ends. */
        char reply[32];
        long n, got = 0;
        while ((n = mira_tcp_read(c, reply + got, sizeof(reply) - 1 - (size_t)got,
                                  MIRA_TIME_NEVER)) > 0)
            got += n;
        reply[got] = '\0';
        cl->echoed = n < 0 ? n : strtol(reply, NULL, 10);
        mira_tcp_close(c);
    }
    cl->done = true;
}

static void test_tcp_stream_both_ways(void **state)
{
    struct mira_tcp_listener *l;
    assert_int_equal(mira_tcp_listen(*state, 0, 0, &l), 0);
    struct mira_endpoint ll;
    mira_tcp_listener_local(l, &ll);
    /* 8 MiB: far more than the socket buffers, so writes must wait. */
    struct client cl = { .s = *state, .port = ll.port, .len = (size_t)8 << 20 };
    assert_int_equal(mira_spawn("client", client_fiber, &cl, 0), 0);
    struct mira_tcp *c;
    assert_int_equal(mira_tcp_accept(l, &c, MIRA_TIME_NEVER), 0);
    struct mira_endpoint peer, local;
    mira_tcp_peer(c, &peer);
    mira_tcp_local(c, &local);
    assert_int_equal(peer.addr, LOOPBACK);
    assert_int_equal(local.port, ll.port);

    static uint8_t buf[100000];
    size_t total = 0;
    long n;
    bool same = true;
    while ((n = mira_tcp_read(c, buf, sizeof(buf), MIRA_TIME_NEVER)) > 0) {
        for (long i = 0; i < n; i++)
            same &= buf[i] == pattern(total + (size_t)i);
        total += (size_t)n;
    }
    assert_int_equal(n, 0);
    assert_true(same);
    assert_int_equal(total, cl.len);
    /* After the end of the stream, still the end. */
    assert_int_equal(mira_tcp_read(c, buf, 1, MIRA_TIME_NEVER), 0);
    char reply[32];
    int len = snprintf(reply, sizeof(reply), "%zu", total);
    assert_int_equal(mira_tcp_write(c, reply, (size_t)len, MIRA_TIME_NEVER), len);
    mira_tcp_close(c);
    yield_until(&cl.done);
    assert_int_equal(cl.connect_result, 0);
    assert_true(cl.write_result > 0);
    assert_int_equal(cl.shutdown_result, 0);
    assert_int_equal(cl.echoed, (long)cl.len);
    assert_int_equal(cl.local.port, peer.port);
    mira_tcp_listener_close(l);
}

static void test_tcp_read_deadline_and_close(void **state)
{
    struct mira_tcp_listener *l;
    assert_int_equal(mira_tcp_listen(*state, 0, 0, &l), 0);
    struct mira_endpoint ll;
    mira_tcp_listener_local(l, &ll);
    struct mira_tcp *a, *b;
    struct mira_endpoint to = { LOOPBACK, ll.port };
    /* The kernel completes the handshake before accept. */
    assert_int_equal(mira_tcp_connect(*state, &to, &a, MIRA_TIME_NEVER), 0);
    assert_int_equal(mira_tcp_accept(l, &b, MIRA_TIME_NEVER), 0);
    char buf[8];
    assert_int_equal(mira_tcp_read(b, buf, sizeof(buf), in_ms(20)), MIRA_ETIMEDOUT);
    /* A read waiting in b ends when b is closed. */
    struct waiter w = { .c = b };
    assert_int_equal(mira_spawn("read-waiter", read_waiter, &w, 0), 0);
    yield_until_busy(&b->sock, 1);
    mira_tcp_close(b);
    yield_until(&w.done);
    assert_int_equal(w.result, MIRA_ECLOSED);
    /* a sees the end of the stream. */
    assert_int_equal(mira_tcp_read(a, buf, sizeof(buf), MIRA_TIME_NEVER), 0);
    mira_tcp_close(a);
    mira_tcp_listener_close(l);
}

static void test_tcp_refused_and_in_use(void **state)
{
    struct mira_tcp_listener *l, *l2 = NULL;
    assert_int_equal(mira_tcp_listen(*state, 0, 0, &l), 0);
    struct mira_endpoint ll;
    mira_tcp_listener_local(l, &ll);
    assert_int_equal(mira_tcp_listen(*state, ll.port, 0, &l2), MIRA_EADDRINUSE);
    mira_tcp_listener_close(l);
    struct mira_tcp *c = NULL;
    struct mira_endpoint to = { LOOPBACK, ll.port };
    assert_int_equal(mira_tcp_connect(*state, &to, &c, MIRA_TIME_NEVER), MIRA_ECONNREFUSED);
    assert_null(c);
    to.port = 0;
    assert_int_equal(mira_tcp_connect(*state, &to, &c, MIRA_TIME_NEVER), MIRA_EINVAL);
}

/* The kernel socket behind connection c: the descriptor of this process
 * whose local and peer addresses are c's. */
static int fd_of(const struct mira_tcp *c)
{
    struct mira_endpoint local, peer;
    mira_tcp_local(c, &local);
    mira_tcp_peer(c, &peer);
    for (int fd = 3; fd < 1024; fd++) {
        struct sockaddr_in a, b;
        socklen_t la = sizeof(a), lb = sizeof(b);
        if (getsockname(fd, (struct sockaddr *)&a, &la) == 0 && a.sin_family == AF_INET &&
            getpeername(fd, (struct sockaddr *)&b, &lb) == 0 &&
            ntohs(a.sin_port) == local.port && ntohs(b.sin_port) == peer.port)
            return fd;
    }
    return -1;
}

static int sockopt(int fd, int level, int name)
{
    int v = -1;
    socklen_t len = sizeof(v);
    assert_int_equal(getsockopt(fd, level, name, &v, &len), 0);
    return v;
}

/* mira_tcp_set_nodelay and mira_tcp_set_keepalive reach the kernel's
 * TCP_NODELAY, SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT;
 * values out of range are refused before. */
static void test_tcp_nodelay_keepalive(void **state)
{
    struct mira_tcp_listener *l;
    assert_int_equal(mira_tcp_listen(*state, 0, 0, &l), 0);
    struct mira_endpoint ll;
    mira_tcp_listener_local(l, &ll);
    struct mira_tcp *a, *b;
    struct mira_endpoint to = { LOOPBACK, ll.port };
    assert_int_equal(mira_tcp_connect(*state, &to, &a, MIRA_TIME_NEVER), 0);
    assert_int_equal(mira_tcp_accept(l, &b, MIRA_TIME_NEVER), 0);
    int fd = fd_of(a);
    assert_true(fd >= 0);
    assert_int_equal(sockopt(fd, IPPROTO_TCP, TCP_NODELAY), 0);
    assert_int_equal(sockopt(fd, SOL_SOCKET, SO_KEEPALIVE), 0); /* off by default */
    assert_int_equal(mira_tcp_set_nodelay(a, true), 0);
    assert_int_not_equal(sockopt(fd, IPPROTO_TCP, TCP_NODELAY), 0);
    assert_int_equal(mira_tcp_set_nodelay(a, false), 0);
    assert_int_equal(sockopt(fd, IPPROTO_TCP, TCP_NODELAY), 0);

    struct mira_tcp_keepalive ka = { true, MIRA_SECONDS(30), MIRA_SECONDS(5), 4 };
    assert_int_equal(mira_tcp_set_keepalive(a, &ka), 0);
    assert_int_not_equal(sockopt(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
    assert_int_equal(sockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE), 30);
    assert_int_equal(sockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL), 5);
    assert_int_equal(sockopt(fd, IPPROTO_TCP, TCP_KEEPCNT), 4);
    /* out of range: refused, nothing changed */
    struct mira_tcp_keepalive bad[] = {
        { true, 0, MIRA_SECONDS(5), 4 },
        { true, MIRA_SECONDS(30), MIRA_SECONDS(32768), 4 },
        { true, MIRA_SECONDS(30), MIRA_SECONDS(5), 0 },
        { true, MIRA_SECONDS(30), MIRA_SECONDS(5), 128 },
        { true, MIRA_MILLISECONDS(1500), MIRA_SECONDS(5), 4 },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(mira_tcp_set_keepalive(a, &bad[i]), MIRA_EINVAL);
    assert_int_equal(sockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE), 30);
    ka.on = false;
    assert_int_equal(mira_tcp_set_keepalive(a, &ka), 0);
    assert_int_equal(sockopt(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
    mira_tcp_close(a);
    mira_tcp_close(b);
    mira_tcp_listener_close(l);
}

static void test_stack_close_frees_open_sockets(void **state)
{
    /* Left open on purpose: the stack's close must free them (valgrind). */
    struct mira_udp *u;
    struct mira_tcp_listener *l;
    struct mira_tcp *a, *b;
    assert_int_equal(mira_udp_bind(*state, 0, &u), 0);
    assert_int_equal(mira_tcp_listen(*state, 0, 0, &l), 0);
    struct mira_endpoint ll;
    mira_tcp_listener_local(l, &ll);
    struct mira_endpoint to = { LOOPBACK, ll.port };
    assert_int_equal(mira_tcp_connect(*state, &to, &a, MIRA_TIME_NEVER), 0);
    assert_int_equal(mira_tcp_accept(l, &b, MIRA_TIME_NEVER), 0);
}

int mira_app_main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ipv4_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_udp_both_addresses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_udp_port_in_use, setup, teardown),
        cmocka_unit_test_setup_teardown(test_udp_close_wakes_waiters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accept_close_wakes_waiter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tcp_stream_both_ways, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tcp_read_deadline_and_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tcp_refused_and_in_use, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tcp_nodelay_keepalive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stack_close_frees_open_sockets, setup, teardown),
    };
    return cmocka_run_group_tests_name("stack-socket", tests, NULL, NULL) ? 1 : 0;
}
