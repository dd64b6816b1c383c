/*
 * mira/runtime.h - what generated main.c files use to start an app.
 */
#ifndef MIRA_RUNTIME_H
#define MIRA_RUNTIME_H

#include <mira/error.h>
#include <mira/fiber.h>
#include <mira/log.h>
#include <mira/param.h>

/* mira_app_main: written by the generator for each app: connects the devices
 * and calls unikernel_start. Its return value is the unikernel's exit status. */
int mira_app_main(void);

/* mira_boot_done: called by the generated mira_app_main once every device
 * is connected, right before unikernel_start.  With the runtime parameter
 * boot-time=1 it prints how long the boot took, as one line on the
 * diagnostic channel, whatever the log level:
 *   mira: boot-time: <ns> ns to unikernel_start (<clock>)
 * (docs/performance.md; the Xen rig's benchmark reads it). */
void mira_boot_done(void);

/* mira_connect_failed: reports that device dev (driven by driver) could not
 * be connected, with the reason err, and returns the exit status to use. */
int mira_connect_failed(const char *dev, const char *driver, int err);

/* mira_connect_error: for drivers whose connect fails for a reason the
 * user can fix (a missing file, a bad parameter): logs, as one error line,
 * that device dev (driven by driver) cannot be connected and why (fmt,
 * printf subset of mira/log.h).  mira_connect_failed then adds nothing. */
void mira_connect_error(const char *dev, const char *driver, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
