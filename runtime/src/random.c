/* random.c - mira/random.h over the platform's source. */
#include <mira/random.h>
#include "platform.h"

void mira_random_bytes(void *buf, size_t n)
{
    if (n > 0)
        mira_platform_random(buf, n);
}

uint32_t mira_random_u32(void)
{
    uint32_t v;
    mira_platform_random(&v, sizeof(v));
    return v;
}
