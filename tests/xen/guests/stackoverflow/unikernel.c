/* tests/xen/guests/stackoverflow: unbounded recursion in a fiber hits the guard
 * page below its stack and is reported as a crash with a message. */
#include <mira/console.h>
#include <mira/fiber.h>

/* The recursion is the point of this test. */
#pragma GCC diagnostic ignored "-Winfinite-recursion"

static int depth(volatile char *prev, int n)
{
    volatile char buf[256];
    buf[0] = (char)n;
    buf[255] = prev ? prev[0] : 0;
    return depth(buf, n + 1) + buf[1];
}

static void overflow(void *arg)
{
    (void)arg;
    depth(NULL, 0);
}

int unikernel_start(struct mira_console *c)
{
    mira_console_log(c, "stackoverflow: recursing in a 16 KiB fiber");
    struct mira_fiber *f = mira_spawn_joinable("deep", overflow, NULL, 16 * 1024);
    if (f == NULL)
        return 1;
    mira_join(f);
    mira_console_log(c, "stackoverflow: FAIL: came back");
    return 1;
}
