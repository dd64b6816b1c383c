/* tests/apps/tcpecho: a TCP echo for tests/integration/tcpip_tcp.py.  Each
 * connection's bytes are written back as they come; at the peer's end of
 * stream the echo ends its own (shutdown) and closes.
 *
 *   --mode=server  listens on --port (default 5001), one fiber per
 *                  connection
 *   --mode=client  connects to --peer (default 10.0.0.1) port --port
 *
 * Lines: "listening on PORT", "connected to A.B.C.D.PORT" (both modes),
 * "echoed N bytes" at a clean end, "echo ended: <error>" (the peer reset
 * it, retransmission gave up) with the count so far.  Runs until asked to
 * stop (SIGTERM), then closes everything and returns 0. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mira/console.h>
#include <mira/fiber.h>
#include <mira/param.h>
#include <mira/stack.h>
#include <mira/stop.h>

MIRA_PARAM_DECLARE(mode, "mode", "server", "server (listen) or client (connect)");
MIRA_PARAM_DECLARE(port, "port", "5001", "the TCP port to listen on or connect to");
MIRA_PARAM_DECLARE(peer, "peer", "10.0.0.1", "the address a client connects to");

#define MAX_CONNS 16

static struct {
    struct mira_console *c;
    struct mira_tcp *conns[MAX_CONNS]; /* open connections, closed at stop */
    int fibers;
    struct mira_waitq ended;
    bool stopping;
} A = { .ended = MIRA_WAITQ_INIT };

static void ended(void)
{
    A.fibers--;
    mira_wake_all(&A.ended);
}

static void echo_fiber(void *arg)
{
    struct mira_tcp *t = arg;
    static uint8_t bufs[MAX_CONNS][65536];
    int slot = 0;
    while (A.conns[slot] != t)
        slot++;
    uint8_t *buf = bufs[slot];
    unsigned long total = 0;
    long r;
    for (;;) {
        r = mira_tcp_read(t, buf, sizeof(bufs[0]), MIRA_TIME_NEVER);
        if (r <= 0)
            break;
        long w = mira_tcp_write(t, buf, (size_t)r, MIRA_TIME_NEVER);
        if (w < 0) {
            r = w;
            break;
        }
        total += (unsigned long)r;
    }
    if (r == 0) {
        mira_tcp_shutdown(t);
        mira_console_log(A.c, "echoed %lu bytes", total);
    } else if (r != MIRA_ECLOSED || !A.stopping) {
        mira_console_log(A.c, "echo ended: %s after %lu bytes", mira_strerror((int)r), total);
    }
    if (!A.stopping) {
        A.conns[slot] = NULL;
        mira_tcp_close(t);
    }
    ended();
}

/* Starts an echo on t; false (t closed) when there is no room. */
static bool start_echo(struct mira_tcp *t)
{
    struct mira_endpoint peer;
    mira_tcp_peer(t, &peer);
    char a[MIRA_IPV4_STRLEN];
    mira_console_log(A.c, "connected to %s.%u", mira_ipv4_format(peer.addr, a),
                     (unsigned)peer.port);
    for (int i = 0; i < MAX_CONNS; i++) {
        if (A.conns[i] == NULL) {
            A.conns[i] = t;
            if (mira_spawn("echo", echo_fiber, t, 0) == 0) {
                A.fibers++;
                return true;
            }
            A.conns[i] = NULL;
            break;
        }
    }
    mira_tcp_close(t);
    return false;
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
        start_echo(t);
    }
    ended();
}

int unikernel_start(struct mira_console *c, struct mira_stack *s)
{
    A.c = c;
    mira_stop_catch();
    const char *mode = mira_param("mode", "server");
    const char *pv = mira_param("port", "5001");
    char *end;
    unsigned long port = strtoul(pv, &end, 10);
    mira_ipv4_t peer;
    if (*end != '\0' || port == 0 || port > 65535 ||
        mira_ipv4_parse(mira_param("peer", "10.0.0.1"), &peer) < 0 ||
        (strcmp(mode, "server") != 0 && strcmp(mode, "client") != 0)) {
        mira_console_log(c, "bad --mode, --port or --peer");
        return 2;
    }
    struct mira_tcp_listener *l = NULL;
    if (strcmp(mode, "server") == 0) {
        int r = mira_tcp_listen(s, (uint16_t)port, 0, &l);
        if (r < 0) {
            mira_console_log(c, "cannot listen: %s", mira_strerror(r));
            return 1;
        }
        mira_console_log(c, "listening on %lu", port);
        if (mira_spawn("accept", accept_fiber, l, 0) == 0)
            A.fibers++;
    } else {
        struct mira_endpoint to = { peer, (uint16_t)port };
        struct mira_tcp *t;
        int r = mira_tcp_connect(s, &to, &t, MIRA_TIME_NEVER);
        if (r < 0)
            mira_console_log(c, "connect failed: %s", mira_strerror(r));
        else
            start_echo(t);
    }
    mira_stop_wait(MIRA_TIME_NEVER);
    A.stopping = true;
    if (l != NULL)
        mira_tcp_listener_close(l);
    for (int i = 0; i < MAX_CONNS; i++)
        if (A.conns[i] != NULL)
            mira_tcp_close(A.conns[i]);
    while (A.fibers > 0)
        mira_wait(&A.ended);
    return 0;
}
