/* tests/bench/nbtool.c: both ends of netbench's protocol over the Linux
 * kernel's sockets, so a benchmark measures Mira's stack and Linux's with
 * the same client, and Linux's reference server runs the same logic as
 * tests/apps/netbench (echo 7, discard 9, chargen 19 with the pattern of
 * tests/apps/netbench/pattern.h; one thread per connection as the app has
 * one fiber per connection).
 *
 *   nbtool serve ADDR             listen on ADDR ports 7, 9, 19 until killed
 *   nbtool send ADDR BYTES        BYTES to discard (9), then half-close and
 *                                 wait for the server's close (all read)
 *   nbtool recv ADDR BYTES        ask chargen (19) for BYTES, read them
 *                                 checking the pattern, until its close
 *   nbtool rr ADDR CONNS SECONDS  CONNS connections to echo (7), each
 *                                 sending 64 bytes and waiting for them
 *                                 back, again and again, for SECONDS
 *   nbtool hold ADDR CONNS        CONNS connections to echo, one byte
 *                                 echoed on each, then held open until
 *                                 stdin ends
 *
 * Prints one result line: "send BYTES bytes SECONDS s MB/s",
 * "recv BYTES bytes SECONDS s MB/s", "rr N transactions SECONDS s RATE/s",
 * "held CONNS"; errors on stderr, exit status 1. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "pattern.h"

#define CHUNK 65536
#define RR_SIZE 64

static void die(const char *what)
{
    fprintf(stderr, "nbtool: %s: %s\n", what, strerror(errno));
    exit(1);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct sockaddr_in addr_of(const char *host, int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        fprintf(stderr, "nbtool: bad address %s\n", host);
        exit(2);
    }
    return a;
}

static int dial(const char *host, int port)
{
    struct sockaddr_in a = addr_of(host, port);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        die("socket");
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        die("connect");
    return fd;
}

static void write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            die("write");
        }
        p += w;
        len -= (size_t)w;
    }
}

/* --- the server --- */

struct service {
    int fd;
    int port;
};

static void serve_echo(int fd, uint8_t *buf)
{
    ssize_t r;
    while ((r = read(fd, buf, CHUNK)) > 0) {
        const uint8_t *p = buf;
        while (r > 0) {
            ssize_t w = write(fd, p, (size_t)r);
            if (w <= 0)
                return;
            p += w;
            r -= w;
        }
    }
    if (r == 0)
        shutdown(fd, SHUT_WR);
}

static void serve_chargen(int fd, uint8_t *buf)
{
    char req[32];
    size_t have = 0;
    char *nl = NULL;
    while (nl == NULL && have < sizeof req) {
        ssize_t r = read(fd, req + have, sizeof req - have);
        if (r <= 0)
            return;
        have += (size_t)r;
        nl = memchr(req, '\n', have);
    }
    unsigned long long count, n = 0;
    if (nl == NULL || !netbench_parse_count(req, (size_t)(nl - req), &count))
        return;
    while (n < count) {
        size_t len = count - n < CHUNK ? (size_t)(count - n) : CHUNK;
        netbench_pattern_fill(buf, n, len);
        ssize_t w = write(fd, buf, len);
        if (w <= 0)
            return;
        n += (unsigned long long)w;
    }
}

static void *conn_thread(void *arg)
{
    long v = (long)arg;
    int fd = (int)(v & 0xffffffff), port = (int)(v >> 32);
    uint8_t *buf = malloc(CHUNK);
    if (buf != NULL) {
        if (port == 7)
            serve_echo(fd, buf);
        else if (port == 9)
            while (read(fd, buf, CHUNK) > 0)
                ;
        else
            serve_chargen(fd, buf);
    }
    free(buf);
    close(fd);
    return NULL;
}

static void *accept_thread(void *arg)
{
    struct service *s = arg;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&at, 64 * 1024);
    for (;;) {
        int fd = accept(s->fd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            die("accept");
        }
        pthread_t t;
        if (pthread_create(&t, &at, conn_thread, (void *)(((long)s->port << 32) | fd)) != 0)
            close(fd);
    }
    return NULL;
}

static int serve(const char *host)
{
    static struct service svc[3] = { { -1, 7 }, { -1, 9 }, { -1, 19 } };
    signal(SIGPIPE, SIG_IGN);
    for (int i = 0; i < 3; i++) {
        struct sockaddr_in a = addr_of(host, svc[i].port);
        int one = 1;
        svc[i].fd = socket(AF_INET, SOCK_STREAM, 0);
        if (svc[i].fd < 0)
            die("socket");
        setsockopt(svc[i].fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(svc[i].fd, (struct sockaddr *)&a, sizeof a) != 0)
            die("bind");
        if (listen(svc[i].fd, 1024) != 0)
            die("listen");
        pthread_t t;
        if (pthread_create(&t, NULL, accept_thread, &svc[i]) != 0)
            die("pthread_create");
    }
    printf("listening on 7 9 19\n");
    fflush(stdout);
    for (;;)
        pause();
    return 0;
}

/* --- the clients --- */

static int send_bulk(const char *host, unsigned long long bytes)
{
    static uint8_t buf[CHUNK];
    netbench_pattern_fill(buf, 0, sizeof buf);
    double t0 = now();
    int fd = dial(host, 9);
    for (unsigned long long n = 0; n < bytes;) {
        size_t len = bytes - n < CHUNK ? (size_t)(bytes - n) : CHUNK;
        write_all(fd, buf, len);
        n += len;
    }
    shutdown(fd, SHUT_WR);
    if (read(fd, buf, 1) != 0)  /* the server's close: it has read it all */
        die("waiting for discard's close");
    double t = now() - t0;
    close(fd);
    printf("send %llu bytes %.3f s %.1f MB/s\n", bytes, t, (double)bytes / t / 1e6);
    return 0;
}

static int recv_bulk(const char *host, unsigned long long bytes)
{
    static uint8_t buf[CHUNK], want[CHUNK];
    char req[32];
    double t0 = now();
    int fd = dial(host, 19);
    int n = snprintf(req, sizeof req, "%llu\n", bytes);
    write_all(fd, req, (size_t)n);
    unsigned long long got = 0;
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0) {
        netbench_pattern_fill(want, got, (size_t)r);
        if (memcmp(buf, want, (size_t)r) != 0) {
            fprintf(stderr, "nbtool: the pattern differs within bytes %llu-%llu\n", got,
                    got + (unsigned long long)r);
            return 1;
        }
        got += (unsigned long long)r;
    }
    if (r < 0)
        die("read");
    double t = now() - t0;
    close(fd);
    if (got != bytes) {
        fprintf(stderr, "nbtool: %llu bytes came, asked for %llu\n", got, bytes);
        return 1;
    }
    printf("recv %llu bytes %.3f s %.1f MB/s\n", bytes, t, (double)bytes / t / 1e6);
    return 0;
}

static void more_files(int n)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 64) {
        rl.rlim_cur = (rlim_t)n + 64;
        if (rl.rlim_max < rl.rlim_cur)
            rl.rlim_max = rl.rlim_cur;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            die("setrlimit (more files)");
    }
}

struct rr_conn {
    int fd;
    size_t got;
};

static int rr(const char *host, int conns, double seconds)
{
    more_files(conns);
    uint8_t req[RR_SIZE], buf[RR_SIZE];
    memset(req, 'r', sizeof req);
    struct rr_conn *c = calloc((size_t)conns, sizeof *c);
    int ep = epoll_create1(0);
    if (c == NULL || ep < 0)
        die("setup");
    for (int i = 0; i < conns; i++) {
        int one = 1;
        c[i].fd = dial(host, 7);
        setsockopt(c[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev) != 0)
            die("epoll_ctl");
    }
    unsigned long long done = 0;
    double t0 = now(), end = t0 + seconds;
    for (int i = 0; i < conns; i++)
        write_all(c[i].fd, req, sizeof req);
    struct epoll_event evs[64];
    for (;;) {
        int n = epoll_wait(ep, evs, 64, 30000);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("epoll_wait");
        }
        if (n == 0) {
            fprintf(stderr, "nbtool: no echo for 30 s\n");
            return 1;
        }
        double t = now();
        if (t >= end)
            break;
        for (int k = 0; k < n; k++) {
            struct rr_conn *x = &c[evs[k].data.u32];
            ssize_t r = read(x->fd, buf, sizeof buf - x->got);
            if (r <= 0) {
                fprintf(stderr, "nbtool: the echo ended\n");
                return 1;
            }
            x->got += (size_t)r;
            if (x->got == RR_SIZE) {
                x->got = 0;
                done++;
                write_all(x->fd, req, sizeof req);
            }
        }
    }
    double t = now() - t0;
    /* An orderly end: no request left unanswered, the echo's FIN read. */
    for (int i = 0; i < conns; i++) {
        shutdown(c[i].fd, SHUT_WR);
        while (read(c[i].fd, buf, sizeof buf) > 0)
            ;
        close(c[i].fd);
    }
    free(c);
    printf("rr %llu transactions %.3f s %.0f/s\n", done, t, (double)done / t);
    return 0;
}

static int hold(const char *host, int conns)
{
    more_files(conns);
    int *fd = calloc((size_t)conns, sizeof *fd);
    if (fd == NULL)
        die("calloc");
    for (int i = 0; i < conns; i++) {
        char b = 'h';
        fd[i] = dial(host, 7);
        write_all(fd[i], &b, 1);
        if (read(fd[i], &b, 1) != 1 || b != 'h') {
            fprintf(stderr, "nbtool: connection %d: no echo\n", i);
            return 1;
        }
    }
    printf("held %d\n", conns);
    fflush(stdout);
    char line[16];
    while (fgets(line, sizeof line, stdin) != NULL)
        ;
    for (int i = 0; i < conns; i++)
        close(fd[i]);
    free(fd);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "serve") == 0)
        return serve(argv[2]);
    if (argc == 4 && strcmp(argv[1], "send") == 0)
        return send_bulk(argv[2], strtoull(argv[3], NULL, 10));
    if (argc == 4 && strcmp(argv[1], "recv") == 0)
        return recv_bulk(argv[2], strtoull(argv[3], NULL, 10));
    if (argc == 5 && strcmp(argv[1], "rr") == 0)
        return rr(argv[2], atoi(argv[3]), atof(argv[4]));
    if (argc == 4 && strcmp(argv[1], "hold") == 0)
        return hold(argv[2], atoi(argv[3]));
    fprintf(stderr, "usage: nbtool serve ADDR | send ADDR BYTES | recv ADDR BYTES |\n"
                    "       rr ADDR CONNS SECONDS | hold ADDR CONNS\n");
    return 2;
}
