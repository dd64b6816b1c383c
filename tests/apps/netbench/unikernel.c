/* tests/apps/netbench: the TCP app the bulk tests, load tests and
 * benchmarks drive from outside with ordinary tools (docs/testing.md).
 *
 *   TCP 7 (--echo-port)     every byte read is written back; at the peer's
 *                           end of stream the app ends its own and closes
 *   TCP 9 (--discard-port)  every byte read is dropped; closes at the
 *                           peer's end of stream
 *   TCP 19 (--chargen-port) the client writes a decimal byte count and a
 *                           newline ("1048576\n", at most 20 digits); the
 *                           app sends that many bytes of the pattern below
 *                           and closes.  Anything else before the newline
 *                           (or no newline within 32 bytes) closes the
 *                           connection with nothing sent.
 *
 * The pattern (pattern.h, shared with tests/bench/nbtool.c): byte i of the stream is
 * byte (i mod 8) of the 64-bit little-endian number i / 8 - consecutive
 * 8-byte counters 0, 1, 2, ...  It never repeats, so a piece of the
 * stream delivered twice or out of place changes its sha256.
 *
 * One fiber per connection, as many connections as the stack accepts.
 * Prints "listening on 7 9 19" once its listeners are up, a line for each
 * connection that ends in error ("echo ended: <error> after N bytes"), and
 * at stop (SIGTERM, SIGINT; xl shutdown on xen) one summary line:
 * "connections N (most at once M), echoed B, discarded B, sent B".
 * Then it closes everything and returns 0. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mira/console.h>
#include <mira/fiber.h>
#include <mira/param.h>
#include <mira/stack.h>
#include <mira/stop.h>
#include "pattern.h"

MIRA_PARAM_DECLARE(echo_port, "echo-port", "7", "the TCP echo port");
MIRA_PARAM_DECLARE(discard_port, "discard-port", "9", "the TCP discard port");
MIRA_PARAM_DECLARE(chargen_port, "chargen-port", "19",
                   "the TCP port that sends the pattern (count and newline first)");

/* The size of each read and of each pattern chunk written. */
#define CHUNK 65536
/* Echo's first buffer, on the fiber's stack. */
#define SMALL 256
/* The longest chargen request: 20 digits and a newline, with room. */
#define REQUEST_MAX 32

enum service { ECHO, DISCARD, CHARGEN, SERVICES };

static const char *const service_name[SERVICES] = { "echo", "discard", "chargen" };

/* An open connection, on the list of those closed at stop. */
struct conn {
    struct conn *prev, *next;
    struct mira_tcp *tcp;
    enum service service;
};

static struct {
    struct mira_console *c;
    struct conn *conns;          /* open connections */
    unsigned long open, most, total;
    unsigned long long bytes[SERVICES];
    int fibers;                  /* fibers still running */
    struct mira_waitq ended;     /* woken as each one ends */
    bool stopping;
} A = { .ended = MIRA_WAITQ_INIT };

/* What discard reads into: its bytes are never looked at, so every
 * discarding fiber shares it. */
static uint8_t discard_buf[CHUNK];

static void fiber_ended(void)
{
    A.fibers--;
    mira_wake_all(&A.ended);
}

static void conn_remove(struct conn *k)
{
    if (k->prev != NULL)
        k->prev->next = k->next;
    else
        A.conns = k->next;
    if (k->next != NULL)
        k->next->prev = k->prev;
    A.open--;
}

/* Logs how a connection ended when that was not its peer's orderly end
 * (nor our own stop). */
static void conn_error(struct conn *k, long r, unsigned long long n)
{
    if (r == MIRA_ECLOSED && A.stopping)
        return;
    mira_console_log(A.c, "%s ended: %s after %llu bytes", service_name[k->service],
                     mira_strerror((int)r), n);
}

/* Echo: returns the bytes echoed, *err the error that ended it (0: the
 * peer's end of stream, answered with ours).  Small exchanges go through
 * a buffer on the fiber's stack, in the page the fiber uses anyway; the
 * first read that fills it brings a CHUNK-sized one from the heap, so a
 * thousand idle or chatty connections cost no more memory than that. */
static unsigned long long run_echo(struct mira_tcp *t, long *err)
{
    unsigned long long n = 0;
    uint8_t small[SMALL];
    uint8_t *buf = small, *big = NULL;
    size_t size = sizeof small;
    long r;
    for (;;) {
        r = mira_tcp_read(t, buf, size, MIRA_TIME_NEVER);
        if (r <= 0)
            break;
        long w = mira_tcp_write(t, buf, (size_t)r, MIRA_TIME_NEVER);
        if (w < 0) {
            r = w;
            break;
        }
        n += (unsigned long long)r;
        A.bytes[ECHO] += (unsigned long long)r;
        if ((size_t)r == size && big == NULL && (big = malloc(CHUNK)) != NULL) {
            buf = big;
            size = CHUNK;
        }
    }
    free(big);
    if (r == 0)
        r = mira_tcp_shutdown(t);
    *err = r;
    return n;
}

static unsigned long long run_discard(struct mira_tcp *t, long *err)
{
    unsigned long long n = 0;
    long r;
    while ((r = mira_tcp_read(t, discard_buf, sizeof discard_buf, MIRA_TIME_NEVER)) > 0) {
        n += (unsigned long long)r;
        A.bytes[DISCARD] += (unsigned long long)r;
    }
    *err = r;
    return n;
}

/* Reads the chargen request: the count into *count; 0, a negative error,
 * or MIRA_EINVAL for a malformed request. */
static long read_request(struct mira_tcp *t, unsigned long long *count)
{
    char req[REQUEST_MAX];
    size_t have = 0;
    for (;;) {
        long r = mira_tcp_read(t, req + have, sizeof req - have, MIRA_TIME_NEVER);
        if (r < 0)
            return r;
        if (r == 0)
            return MIRA_EINVAL;
        have += (size_t)r;
        char *nl = memchr(req, '\n', have);
        if (nl != NULL)
            return netbench_parse_count(req, (size_t)(nl - req), count) ? 0 : MIRA_EINVAL;
        if (have == sizeof req)
            return MIRA_EINVAL;
    }
}

static unsigned long long run_chargen(struct mira_tcp *t, long *err)
{
    unsigned long long count, n = 0;
    long r = read_request(t, &count);
    if (r < 0) {
        *err = r;
        return 0;
    }
    uint8_t *buf = malloc(CHUNK);
    if (buf == NULL) {
        *err = MIRA_ENOMEM;
        return 0;
    }
    while (n < count) {
        size_t len = count - n < CHUNK ? (size_t)(count - n) : CHUNK;
        netbench_pattern_fill(buf, n, len);
        long w = mira_tcp_write(t, buf, len, MIRA_TIME_NEVER);
        if (w < 0) {
            r = w;
            break;
        }
        n += (unsigned long long)w;
        A.bytes[CHARGEN] += (unsigned long long)w;
    }
    free(buf);
    *err = r;
    return n;
}

static void conn_fiber(void *arg)
{
    struct conn *k = arg;
    long err = 0;
    unsigned long long n;
    if (k->service == ECHO)
        n = run_echo(k->tcp, &err);
    else if (k->service == DISCARD)
        n = run_discard(k->tcp, &err);
    else
        n = run_chargen(k->tcp, &err);
    if (err < 0)
        conn_error(k, err, n);
    if (!A.stopping) {
        conn_remove(k);
        mira_tcp_close(k->tcp);
        free(k);
    }
    fiber_ended();
}

/* Starts the service's fiber on t; t is closed when that fails. */
static void conn_start(struct mira_tcp *t, enum service service)
{
    struct conn *k = malloc(sizeof *k);
    if (k == NULL) {
        mira_tcp_close(t);
        return;
    }
    *k = (struct conn){ .prev = NULL, .next = A.conns, .tcp = t, .service = service };
    if (mira_spawn(service_name[service], conn_fiber, k, 0) != 0) {
        mira_console_log(A.c, "no fiber for a connection: closed");
        mira_tcp_close(t);
        free(k);
        return;
    }
    if (A.conns != NULL)
        A.conns->prev = k;
    A.conns = k;
    A.fibers++;
    A.total++;
    if (++A.open > A.most)
        A.most = A.open;
}

struct listener {
    struct mira_tcp_listener *l;
    enum service service;
};

static void accept_fiber(void *arg)
{
    struct listener *ls = arg;
    for (;;) {
        struct mira_tcp *t;
        int r = mira_tcp_accept(ls->l, &t, MIRA_TIME_NEVER);
        if (r < 0) {
            if (r != MIRA_ECLOSED)
                mira_console_log(A.c, "accept failed: %s", mira_strerror(r));
            break;
        }
        conn_start(t, ls->service);
    }
    fiber_ended();
}

int unikernel_start(struct mira_console *c, struct mira_stack *s)
{
    A.c = c;
    mira_stop_catch();
    static const char *const keys[SERVICES] = { "echo-port", "discard-port", "chargen-port" };
    static const char *const dflts[SERVICES] = { "7", "9", "19" };
    static struct listener ls[SERVICES];
    unsigned long port[SERVICES];
    for (int i = 0; i < SERVICES; i++) {
        const char *v = mira_param(keys[i], dflts[i]);
        char *end;
        port[i] = strtoul(v, &end, 10);
        if (*v == '\0' || *end != '\0' || port[i] == 0 || port[i] > 65535) {
            mira_console_log(c, "bad --%s: %s (a port, 1 to 65535)", keys[i], v);
            return 2;
        }
    }
    int status = 0;
    for (int i = 0; i < SERVICES; i++) {
        ls[i].service = (enum service)i;
        int r = mira_tcp_listen(s, (uint16_t)port[i], 0, &ls[i].l);
        if (r < 0) {
            mira_console_log(c, "cannot listen on %lu: %s", port[i], mira_strerror(r));
            status = 1;
            break;
        }
        if (mira_spawn("accept", accept_fiber, &ls[i], 0) != 0) {
            mira_console_log(c, "no fiber for the listener on %lu", port[i]);
            status = 1;
            break;
        }
        A.fibers++;
    }
    if (status == 0) {
        mira_console_log(c, "listening on %lu %lu %lu", port[ECHO], port[DISCARD], port[CHARGEN]);
        mira_stop_wait(MIRA_TIME_NEVER);
    }
    A.stopping = true;
    for (int i = 0; i < SERVICES; i++)
        if (ls[i].l != NULL)
            mira_tcp_listener_close(ls[i].l);
    for (struct conn *k = A.conns; k != NULL; k = k->next)
        mira_tcp_close(k->tcp);
    while (A.fibers > 0)
        mira_wait(&A.ended);
    while (A.conns != NULL) {
        struct conn *k = A.conns;
        A.conns = k->next;
        free(k);
    }
    mira_console_log(c, "connections %lu (most at once %lu), echoed %llu, discarded %llu, sent %llu",
                     A.total, A.most, A.bytes[ECHO], A.bytes[DISCARD], A.bytes[CHARGEN]);
    return status;
}
