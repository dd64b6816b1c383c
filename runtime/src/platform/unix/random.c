/*
 * platform/unix/random.c - randomness from the host kernel: getrandom(2),
 * which blocks only until the kernel's pool is initialised at boot.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <mira/log.h>

#include "../../platform.h"

void mira_platform_random(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            mira_panic("getrandom: %s", strerror(errno));
        }
        p += r;
        n -= (size_t)r;
    }
}
