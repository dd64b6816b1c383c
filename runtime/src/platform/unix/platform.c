/*
 * platform/unix/platform.c - Mira as a Linux process.
 *
 * The scheduler runs on the process's own stack; fibers get mmap'ed stacks
 * with a PROT_NONE guard page.  Idle waiting is poll(2) over the file
 * descriptors that fibers wait on, with the next timer as the timeout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <mira/error.h>
#include <mira/fiber.h>
#include <mira/log.h>
#include <mira/unix.h>

#include "../../platform.h"
#include "unix_internal.h"

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define STACK_REGISTER(lo, hi) VALGRIND_STACK_REGISTER(lo, hi)
#define STACK_DEREGISTER(id) VALGRIND_STACK_DEREGISTER(id)
#else
#define STACK_REGISTER(lo, hi) 0
#define STACK_DEREGISTER(id) ((void)(id))
#endif

#if defined(__SANITIZE_ADDRESS__)
#define MIRA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MIRA_ASAN 1
#endif
#endif
#ifdef MIRA_ASAN
#include <sanitizer/asan_interface.h>
/* A fiber that never returned (deadlocked, abandoned by a failed test
 * assertion) leaves its frames' redzones poisoned in ASan's shadow, and
 * mmap may hand the same addresses to the next stack: start it clean. */
#define STACK_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define STACK_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

mira_time_t mira_unix_boot_ns;

mira_time_t mira_unix_clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (mira_time_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

mira_time_t mira_platform_monotonic(void)
{
    return mira_unix_clock_ns(CLOCK_MONOTONIC) - mira_unix_boot_ns;
}

long long mira_platform_boot_ns(const char **clock)
{
    *clock = "CLOCK_MONOTONIC from main()";
    return (long long)mira_platform_monotonic();
}

mira_time_t mira_platform_wall(void)
{
    return mira_unix_clock_ns(CLOCK_REALTIME);
}

/* A fiber waiting on a file descriptor; lives on that fiber's stack. */
struct fd_waiter {
    struct fd_waiter *next;
    int fd;
    short events, revents;
    struct mira_waitq q;
};

static struct fd_waiter *fd_waiters;
static size_t fd_waiter_count;

int mira_unix_wait_fd(int fd, short events, mira_time_t deadline)
{
    struct fd_waiter w = { .fd = fd, .events = events };
    mira_waitq_init(&w.q, true);
    w.next = fd_waiters;
    fd_waiters = &w;
    fd_waiter_count++;
    int r = mira_wait_until(&w.q, deadline);
    struct fd_waiter **pp = &fd_waiters;
    while (*pp != &w)
        pp = &(*pp)->next;
    *pp = w.next;
    fd_waiter_count--;
    return r < 0 ? r : w.revents;
}

int mira_unix_poll_timeout(mira_time_t deadline, mira_time_t now)
{
    if (deadline == MIRA_TIME_NEVER)
        return -1;
    if (deadline <= now)
        return 0;
    /* deadline - now cannot overflow: both are >= 0 on the monotonic clock,
     * but a caller may pass any now, so check. */
    if (now < 0 && deadline > MIRA_TIME_NEVER + now)
        return INT_MAX;
    mira_time_t left = deadline - now;
    /* Round up: waking a little late is fine, early is a busy loop. */
    mira_time_t ms = left / 1000000 + (left % 1000000 != 0);
    /* Farther than poll can say (~24.8 days): wait as long as it can; the
     * scheduler calls again with the same deadline. */
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

size_t mira_unix_fd_waiting(void)
{
    return fd_waiter_count;
}

void mira_unix_forget_waiters(void)
{
    fd_waiters = NULL;
    fd_waiter_count = 0;
}

void mira_platform_wait(mira_time_t deadline)
{
    struct pollfd stackfds[16];
    struct pollfd *fds = stackfds;
    if (fd_waiter_count > 16) {
        fds = calloc(fd_waiter_count, sizeof(*fds));
        if (fds == NULL)
            mira_panic("out of memory for poll");
    }
    size_t n = 0;
    for (struct fd_waiter *w = fd_waiters; w; w = w->next, n++)
        fds[n] = (struct pollfd){ .fd = w->fd, .events = w->events };

    int timeout_ms = mira_unix_poll_timeout(deadline, mira_platform_monotonic());
    int r = poll(fds, n, timeout_ms);
    if (r < 0 && errno != EINTR)
        mira_panic("poll: %s", strerror(errno));
    if (r > 0) {
        n = 0;
        for (struct fd_waiter *w = fd_waiters; w; w = w->next, n++) {
            if (fds[n].revents) {
                w->revents = fds[n].revents;
                mira_wake_all(&w->q);
            }
        }
    }
    if (fds != stackfds)
        free(fds);
}

void mira_platform_diag_write(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
}

/* Stack layout: [guard page][usable ...][stack_head].  The head (the
 * valgrind stack id) sits at the very top, in the page the fiber's first
 * frames use anyway: an idle fiber so touches only its top page(s), and
 * the pages below stay unbacked (MAP_NORESERVE) until the fiber goes deep.
 * The head takes 16 bytes so that the stack's top stays 16-byte aligned. */
struct stack_head {
    unsigned valgrind_id;
};

#define STACK_HEAD_ROOM 16
_Static_assert(sizeof(struct stack_head) <= STACK_HEAD_ROOM, "stack head room");

static struct stack_head *stack_head_of(char *m, size_t page, size_t size)
{
    return (struct stack_head *)(m + page + size - STACK_HEAD_ROOM);
}

void *mira_platform_stack_alloc(size_t size, void **bottom, size_t *usable)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size = (size + page - 1) & ~(page - 1);
    char *m = mmap(NULL, size + page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    if (mprotect(m, page, PROT_NONE) != 0) {
        munmap(m, size + page);
        return NULL;
    }
    STACK_UNPOISON(m + page, size);
    struct stack_head *h = stack_head_of(m, page, size);
    h->valgrind_id = STACK_REGISTER(m + page, m + page + size);
    *bottom = m + page;
    *usable = size - STACK_HEAD_ROOM;
    return m;
}

void mira_platform_stack_free(void *stack, size_t size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size = (size + page - 1) & ~(page - 1);
    STACK_DEREGISTER(stack_head_of(stack, page, size)->valgrind_id);
    munmap(stack, size + page);
}

_Noreturn void mira_platform_exit(int status)
{
    fflush(stdout);
    exit(status);
}

_Noreturn void mira_platform_crash(void)
{
    fflush(stdout);
    abort();
}
