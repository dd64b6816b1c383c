/*
 * mira/console_unix.h - the console driver of the unix target.
 *
 * Writes go to the process's standard output (file descriptor 1), whole
 * lines at a time, unbuffered: what the app logs appears at once.
 */
#ifndef MIRA_CONSOLE_UNIX_H
#define MIRA_CONSOLE_UNIX_H

#include <mira/console.h>

/* mira_console_unix_connect: creates console device name (kept by pointer)
 * on standard output and stores it in *out.  Returns 0 or MIRA_ENOMEM. */
int mira_console_unix_connect(struct mira_console **out, const char *name);

/* mira_console_unix_connect_fd: as above, on file descriptor fd (tests). */
int mira_console_unix_connect_fd(struct mira_console **out, const char *name, int fd);

#endif
