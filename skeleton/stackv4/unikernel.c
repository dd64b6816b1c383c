/* skeleton/stackv4: the tutorial's network test.  Listens on UDP port 53
 * and TCP port 8080 (--udp-port, --tcp-port) and prints what arrives:
 *
 *   UDP 10.0.0.1.58784 > 10.0.0.2.53: "hello udp world"
 *   TCP 10.0.0.1.47329 > _.8080
 *   read: 15 "hello tcp world"
 *
 * (keywords and data coloured when the console is a terminal), with
 * one fiber per UDP socket, listener and connection.  Runs until asked to
 * stop (unix: SIGINT or SIGTERM), then closes everything, waits for its
 * fibers to end and returns 0. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mira/console.h>
#include <mira/fiber.h>
#include <mira/format.h>
#include <mira/param.h>
#include <mira/stack.h>
#include <mira/stop.h>

MIRA_PARAM_DECLARE(udp_port, "udp-port", "53", "the UDP port to listen on");
MIRA_PARAM_DECLARE(tcp_port, "tcp-port", "8080", "the TCP port to listen on");

/* How many bytes of a datagram or a read are shown. */
#define SHOW_MAX 2048

struct conn {
    struct conn *next;
    struct mira_tcp *tcp;
};

static struct {
    struct mira_console *c;
    struct mira_stack *s;
    struct conn *conns;        /* open connections, closed at stop */
    int fibers;                /* fibers still running */
    struct mira_waitq ended;   /* woken as each one ends */
    bool stopping;
    bool colour;               /* the console is a terminal */
} A = { .ended = MIRA_WAITQ_INIT };

/* Starts a fiber that calls fiber_ended when it ends. */
static int spawn(const char *name, void (*fn)(void *), void *arg)
{
    int r = mira_spawn(name, fn, arg, 0);
    if (r == 0)
        A.fibers++;
    return r;
}

static void fiber_ended(void)
{
    A.fibers--;
    mira_wake_all(&A.ended);
}

/* buf[0..n) as a quoted string: printable ASCII as it is, '"' and '\' and
 * control bytes escaped (\n, \t, \r, else \ddd). */
static void quote(char *out, size_t size, const uint8_t *buf, size_t n)
{
    size_t k = 0;
    out[k++] = '"';
    for (size_t i = 0; i < n && k + 6 < size; i++) {
        uint8_t b = buf[i];
        if (b == '"' || b == '\\') {
            out[k++] = '\\';
            out[k++] = (char)b;
        } else if (b == '\n' || b == '\t' || b == '\r') {
            out[k++] = '\\';
            out[k++] = b == '\n' ? 'n' : b == '\t' ? 't' : 'r';
        } else if (b < 0x20 || b >= 0x7f) {
            k += (size_t)mira_snprintf(out + k, size - k, "\\%03u", (unsigned)b);
        } else {
            out[k++] = (char)b;
        }
    }
    out[k++] = '"';
    out[k] = '\0';
}

/* ANSI colours for a terminal (A.colour), nothing otherwise. */
static const char *on(const char *code)
{
    return A.colour ? code : "";
}

static const char *off(void)
{
    return A.colour ? "\033[0m" : "";
}

#define GREEN "\033[32m"
#define CYAN "\033[36m"
#define YELLOW "\033[33m"

static const char *addr(mira_ipv4_t a, char buf[MIRA_IPV4_STRLEN])
{
    return mira_ipv4_format(a, buf);
}

static void udp_fiber(void *arg)
{
    struct mira_udp *u = arg;
    static uint8_t buf[SHOW_MAX];
    static char shown[SHOW_MAX * 4 + 3];
    for (;;) {
        struct mira_endpoint from, to;
        long n = mira_udp_recv(u, buf, sizeof(buf), &from, &to, MIRA_TIME_NEVER);
        if (n < 0) {
            if (n != MIRA_ECLOSED)
                mira_console_log(A.c, "UDP receive failed: %s", mira_strerror((int)n));
            break;
        }
        char a[MIRA_IPV4_STRLEN], b[MIRA_IPV4_STRLEN];
        quote(shown, sizeof(shown), buf, (size_t)n);
        mira_console_log(A.c, "%sUDP%s %s.%u > %s.%u: %s%s%s", on(GREEN), off(),
                         addr(from.addr, a), (unsigned)from.port, addr(to.addr, b),
                         (unsigned)to.port, on(YELLOW), shown, off());
    }
    fiber_ended();
}

static void conn_fiber(void *arg)
{
    struct conn *k = arg;
    uint8_t buf[512];
    char shown[sizeof(buf) * 4 + 3];
    for (;;) {
        long n = mira_tcp_read(k->tcp, buf, sizeof(buf), MIRA_TIME_NEVER);
        if (n <= 0) {
            if (n < 0 && n != MIRA_ECLOSED)
                mira_console_log(A.c, "TCP read failed: %s", mira_strerror((int)n));
            break;
        }
        quote(shown, sizeof(shown), buf, (size_t)n);
        mira_console_log(A.c, "%sread:%s %ld %s%s%s", on(CYAN), off(), n, on(YELLOW), shown,
                         off());
    }
    /* Still ours unless stop closed it (and unlinked it) already. */
    if (!A.stopping) {
        for (struct conn **pp = &A.conns; *pp; pp = &(*pp)->next) {
            if (*pp == k) {
                *pp = k->next;
                break;
            }
        }
        mira_tcp_close(k->tcp);
    }
    free(k);
    fiber_ended();
}

static void accept_fiber(void *arg)
{
    struct mira_tcp_listener *l = arg;
    for (;;) {
        struct mira_tcp *t;
        int r = mira_tcp_accept(l, &t, MIRA_TIME_NEVER);
        if (r < 0) {
            if (r != MIRA_ECLOSED)
                mira_console_log(A.c, "TCP accept failed: %s", mira_strerror(r));
            break;
        }
        struct mira_endpoint peer, local;
        mira_tcp_peer(t, &peer);
        mira_tcp_local(t, &local);
        char a[MIRA_IPV4_STRLEN];
        mira_console_log(A.c, "%sTCP%s %s.%u > _.%u", on(GREEN), off(), addr(peer.addr, a),
                         (unsigned)peer.port, (unsigned)local.port);
        struct conn *k = malloc(sizeof(*k));
        if (k != NULL)
            k->tcp = t;
        if (k == NULL || spawn("tcp-conn", conn_fiber, k) < 0) {
            free(k);
            mira_tcp_close(t);
            continue;
        }
        k->next = A.conns;
        A.conns = k;
    }
    fiber_ended();
}

/* A port parameter: 1 to 65535. */
static int port_param(const char *key, const char *dflt, uint16_t *port)
{
    const char *v = mira_param(key, dflt);
    char *end;
    unsigned long p = strtoul(v, &end, 10);
    if (v[0] < '0' || v[0] > '9' || *end != '\0' || p == 0 || p > 65535) {
        mira_console_log(A.c, "--%s=%s is not a port (1 to 65535)", key, v);
        return -1;
    }
    *port = (uint16_t)p;
    return 0;
}

int unikernel_start(struct mira_console *c, struct mira_stack *s)
{
    A.c = c;
    A.s = s;
    A.colour = mira_console_is_terminal(c);
    /* A signal after the first line (a test waits for it) must not kill. */
    mira_stop_catch();
    uint16_t udp_port, tcp_port;
    if (port_param("udp-port", "53", &udp_port) < 0 || port_param("tcp-port", "8080", &tcp_port) < 0)
        return 2;

    struct mira_ipv4_config cfg;
    if (mira_stack_ipv4(s, &cfg) == 0) {
        char a[MIRA_IPV4_STRLEN];
        mira_console_log(c, "IP address: %s", addr(cfg.addr, a));
    }

    struct mira_udp *u;
    struct mira_tcp_listener *l;
    int r = mira_udp_bind(s, udp_port, &u);
    if (r < 0) {
        mira_console_log(c, "cannot listen on UDP port %u: %s", (unsigned)udp_port,
                         mira_strerror(r));
        return 1;
    }
    r = mira_tcp_listen(s, tcp_port, 0, &l);
    if (r < 0) {
        mira_console_log(c, "cannot listen on TCP port %u: %s", (unsigned)tcp_port,
                         mira_strerror(r));
        mira_udp_close(u);
        return 1;
    }
    if (spawn("udp", udp_fiber, u) < 0 || spawn("tcp-accept", accept_fiber, l) < 0)
        mira_console_log(c, "out of memory: stopping");
    else
        mira_stop_wait(MIRA_TIME_NEVER);

    /* Close everything: each fiber's call returns MIRA_ECLOSED. */
    A.stopping = true;
    mira_udp_close(u);
    if (l)
        mira_tcp_listener_close(l);
    while (A.conns) {
        struct conn *k = A.conns;
        A.conns = k->next;
        mira_tcp_close(k->tcp);
    }
    while (A.fibers > 0)
        mira_wait(&A.ended);
    return 0;
}
