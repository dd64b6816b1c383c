/*
 * mira/console.h - a console device: a line-oriented text output.
 *
 * The console is what the application prints on: stdout on unix, the Xen PV
 * console (what `xl console` shows) on xen.  Errors follow mira/error.h.
 */
#ifndef MIRA_CONSOLE_H
#define MIRA_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <mira/error.h>

struct mira_console;

/* mira_console_write: writes the len bytes of buf as they are; waits (the
 * calling fiber only) while the device is full.  Returns len or MIRA_EIO. */
long mira_console_write(struct mira_console *c, const void *buf, size_t len);

/* mira_console_log: formats fmt (the printf subset of mira/log.h) and writes
 * it followed by a newline, as one write. Returns the bytes written or a
 * negative code. Lines longer than 1023 bytes are cut. */
long mira_console_log(struct mira_console *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* mira_console_is_terminal: true when what is written is shown on a
 * terminal (unix: standard output is a tty), so that an app may colour its
 * output with ANSI escapes; false when it goes to a file, a pipe, or a
 * console whose far end is unknown (xen). */
bool mira_console_is_terminal(const struct mira_console *c);

/* mira_console_close: flushes and frees c; c must not be used afterwards.
 * The generated main.c closes every device after unikernel_start returns. */
void mira_console_close(struct mira_console *c);

/* mira_console_name: the device's name, as the generated main.c gave it. */
const char *mira_console_name(const struct mira_console *c);

#endif
