/* tests/apps/tcpmany: a TCP echo for many connections at once, for
 * tests/integration/tcpip_load.py: one fiber per connection on a small
 * stack, no limit of its own on the count (the stack's tcp-max-conns
 * is the limit).  Every byte read is written back; at the peer's end of
 * stream the echo ends its own and closes.
 *
 *   --port      the port to listen on (default 7, the echo port)
 *   --nodelay   true: Nagle off on every connection (mira_tcp_set_nodelay)
 *   --keepalive IDLE,INTERVAL,COUNT in seconds: keepalive on every
 *               connection (mira_tcp_set_keepalive); empty: off
 *   --close-first true: after echoing its first read the app ends the
 *               connection itself (its side, not the peer's, goes through
 *               TIME-WAIT)
 *
 * Lines: "listening on PORT"; "echo ended: <error>" for a connection that
 * fails (reset, retransmission or keepalive gave up); at stop "open N,
 * accepted M".  Runs until asked to stop (SIGTERM), then closes
 * everything and returns 0. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mira/console.h>
#include <mira/fiber.h>
#include <mira/param.h>
#include <mira/stack.h>
#include <mira/stop.h>

MIRA_PARAM_DECLARE(port, "port", "7", "the TCP port to listen on");
MIRA_PARAM_DECLARE(nodelay, "nodelay", "false", "true: Nagle off on every connection");
MIRA_PARAM_DECLARE(close_first, "close-first", "false",
                   "true: the app closes each connection after its first echo");
MIRA_PARAM_DECLARE(keepalive, "keepalive", "",
                   "IDLE,INTERVAL,COUNT (seconds): keepalive on every connection");

/* A small stack: the echo loop needs little, and there are thousands. */
#define ECHO_STACK (16 * 1024)

struct conn {
    struct conn *prev, *next; /* open connections, closed at stop */
    struct mira_tcp *t;
};

static struct {
    struct mira_console *c;
    struct conn all;          /* list head */
    unsigned long open, accepted;
    int fibers;
    struct mira_waitq ended;
    bool stopping, nodelay, close_first;
    struct mira_tcp_keepalive ka;
} A = { .ended = MIRA_WAITQ_INIT };

static void ended(void)
{
    A.fibers--;
    mira_wake_all(&A.ended);
}

static void echo_fiber(void *arg)
{
    struct conn *k = arg;
    uint8_t buf[2048];
    long r;
    for (;;) {
        r = mira_tcp_read(k->t, buf, sizeof(buf), MIRA_TIME_NEVER);
        if (r <= 0)
            break;
        long w = mira_tcp_write(k->t, buf, (size_t)r, MIRA_TIME_NEVER);
        if (w < 0) {
            r = w;
            break;
        }
        if (A.close_first) {
            r = 0;
            break;
        }
    }
    if (r == 0)
        mira_tcp_shutdown(k->t);
    else if (r != MIRA_ECLOSED || !A.stopping)
        mira_console_log(A.c, "echo ended: %s", mira_strerror((int)r));
    if (!A.stopping) {
        k->prev->next = k->next;
        k->next->prev = k->prev;
        A.open--;
        mira_tcp_close(k->t);
        free(k);
    }
    ended();
}

static void start_echo(struct mira_tcp *t)
{
    struct conn *k = malloc(sizeof(*k));
    if (k == NULL) {
        mira_tcp_close(t);
        return;
    }
    k->t = t;
    if ((A.nodelay && mira_tcp_set_nodelay(t, true) < 0) ||
        (A.ka.on && mira_tcp_set_keepalive(t, &A.ka) < 0) ||
        mira_spawn("echo", echo_fiber, k, ECHO_STACK) < 0) {
        mira_tcp_close(t);
        free(k);
        return;
    }
    k->next = A.all.next;
    k->prev = &A.all;
    A.all.next->prev = k;
    A.all.next = k;
    A.open++;
    A.fibers++;
}

static void accept_fiber(void *arg)
{
    struct mira_tcp_listener *l = arg;
    for (;;) {
        struct mira_tcp *t;
        int r = mira_tcp_accept(l, &t, MIRA_TIME_NEVER);
        if (r < 0) {
            if (r != MIRA_ECLOSED)
                mira_console_log(A.c, "accept failed: %s", mira_strerror(r));
            break;
        }
        A.accepted++;
        start_echo(t);
    }
    ended();
}

int unikernel_start(struct mira_console *c, struct mira_stack *s)
{
    A.c = c;
    A.all.next = A.all.prev = &A.all;
    mira_stop_catch();
    char *end;
    unsigned long port = strtoul(mira_param("port", "7"), &end, 10);
    if (*end != '\0' || port == 0 || port > 65535) {
        mira_console_log(c, "bad --port");
        return 2;
    }
    A.nodelay = strcmp(mira_param("nodelay", "false"), "true") == 0;
    A.close_first = strcmp(mira_param("close-first", "false"), "true") == 0;
    const char *ka = mira_param("keepalive", "");
    if (ka[0] != '\0') {
        unsigned long idle = strtoul(ka, &end, 10), intvl = 0, count = 0;
        if (*end == ',')
            intvl = strtoul(end + 1, &end, 10);
        if (*end == ',')
            count = strtoul(end + 1, &end, 10);
        if (*end != '\0' || count == 0) {
            mira_console_log(c, "bad --keepalive");
            return 2;
        }
        A.ka = (struct mira_tcp_keepalive){ true, MIRA_SECONDS(idle), MIRA_SECONDS(intvl), count };
    }
    struct mira_tcp_listener *l;
    int r = mira_tcp_listen(s, (uint16_t)port, 0, &l);
    if (r < 0) {
        mira_console_log(c, "cannot listen: %s", mira_strerror(r));
        return 1;
    }
    mira_console_log(c, "listening on %lu", port);
    if (mira_spawn("accept", accept_fiber, l, 0) == 0)
        A.fibers++;
    mira_stop_wait(MIRA_TIME_NEVER);
    A.stopping = true;
    mira_console_log(c, "open %lu, accepted %lu", A.open, A.accepted);
    mira_tcp_listener_close(l);
    for (struct conn *k = A.all.next; k != &A.all; k = k->next)
        mira_tcp_close(k->t);
    while (A.fibers > 0)
        mira_wait(&A.ended);
    while (A.all.next != &A.all) {
        struct conn *k = A.all.next;
        A.all.next = k->next;
        free(k);
    }
    return 0;
}
