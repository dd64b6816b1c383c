/*
 * mira/log.h - the runtime's diagnostic log.
 *
 * Log lines go to the platform's diagnostic channel (stderr on unix, the
 * guest console on xen), never to an application's console device, and are
 * prefixed with the level and the source, as in "mira: warn: [tcpip] ...".
 * The threshold is set with the runtime parameter log-level
 * (--log-level=debug on unix, log-level=debug on the xen command line).
 */
#ifndef MIRA_LOG_H
#define MIRA_LOG_H

enum mira_log_level {
    MIRA_LOG_ERROR = 0,
    MIRA_LOG_WARN = 1,
    MIRA_LOG_INFO = 2,
    MIRA_LOG_DEBUG = 3,
};

/* mira_log: formats fmt (printf subset: %d %i %u %x %X %p %s %c %%, with
 * l/ll/z modifiers, width, '-' and '0' flags) and writes one line at level
 * from source src (a short module name) if level passes the threshold. */
void mira_log(enum mira_log_level level, const char *src, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* mira_log_enabled: true if a line at level would be written. */
int mira_log_enabled(enum mira_log_level level);

/* mira_log_set_level: changes the threshold. */
void mira_log_set_level(enum mira_log_level level);

/* mira_panic: writes "mira: panic: <message>" on the diagnostic channel and
 * stops the unikernel as crashed (unix: abort(); xen: SHUTDOWN_crash). */
_Noreturn void mira_panic(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

#define MIRA_ASSERT(cond)                                                     \
    do {                                                                      \
        if (!(cond))                                                          \
            mira_panic("assertion failed: %s (%s:%d)", #cond, __FILE__,       \
                       __LINE__);                                             \
    } while (0)

#endif
