/* debugcon.c - output on I/O port 0xe9 (see mira/xen/debugcon.h). */
#include <stdint.h>
#include <mira/xen/debugcon.h>
#include "xen_internal.h"

void mira_xen_debugcon_write(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        outb(0xe9, (uint8_t)buf[i]);
}
