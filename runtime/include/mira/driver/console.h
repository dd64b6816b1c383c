/*
 * mira/driver/console.h - what a console driver implements.
 *
 * A driver embeds struct mira_console first in its own state and fills ops;
 * the runtime's mira_console_* functions dispatch through it.
 */
#ifndef MIRA_DRIVER_CONSOLE_H
#define MIRA_DRIVER_CONSOLE_H

#include <mira/console.h>

struct mira_console_ops {
    /* write: as mira_console_write; must write all of buf or fail. */
    long (*write)(struct mira_console *c, const void *buf, size_t len);
    /* is_terminal: as mira_console_is_terminal; NULL means false. */
    bool (*is_terminal)(const struct mira_console *c);
    /* close: releases everything the driver holds for c, c included. */
    void (*close)(struct mira_console *c);
};

struct mira_console {
    const struct mira_console_ops *ops;
    const char *name;
};

#endif
