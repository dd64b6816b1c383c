/* platform/unix/stop.c - SIGINT and SIGTERM ask the unikernel to stop
 * (mira/stop.h).  The signals are blocked and read from a signalfd that
 * waiting fibers poll like any descriptor, so a signal is an ordinary I/O
 * event for the scheduler: no handler runs between two instructions of a
 * fiber. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <mira/log.h>
#include <mira/stop.h>
#include <mira/unix.h>

static int stop_fd = -1;
static bool stop_asked;

void mira_stop_catch(void)
{
    if (stop_fd >= 0)
        return;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        mira_panic("sigprocmask: %s", strerror(errno));
    stop_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (stop_fd < 0)
        mira_panic("signalfd: %s", strerror(errno));
}

/* Reads a pending signal, if any. */
static void read_signal(void)
{
    struct signalfd_siginfo si;
    ssize_t n = read(stop_fd, &si, sizeof(si));
    if (n == (ssize_t)sizeof(si)) {
        stop_asked = true;
        mira_log(MIRA_LOG_DEBUG, "stop", "%s: asked to stop", strsignal((int)si.ssi_signo));
    }
}

int mira_stop_wait(mira_time_t deadline)
{
    mira_stop_catch();
    for (;;) {
        read_signal();
        if (stop_asked)
            return MIRA_OK;
        int r = mira_unix_wait_fd(stop_fd, POLLIN, deadline);
        if (r == MIRA_ETIMEDOUT)
            return stop_asked ? MIRA_OK : MIRA_ETIMEDOUT;
    }
}

bool mira_stop_requested(void)
{
    return stop_asked;
}
