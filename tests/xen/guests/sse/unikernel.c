/* tests/xen/guests/sse: floating point (SSE) works, in two fibers that switch
 * back and forth, each keeping its own values. */
#include <mira/console.h>
#include <mira/fiber.h>

static volatile double results[2];

static double series(double x, int n)
{
    /* e^x by its Taylor series */
    double term = 1, sum = 1;
    for (int i = 1; i < n; i++) {
        term *= x / i;
        sum += term;
        if (i % 5 == 0)
            mira_yield();
    }
    return sum;
}

static void worker(void *arg)
{
    int i = (int)(long)arg;
    results[i] = series(i ? 2.0 : 1.0, 30);
}

int unikernel_start(struct mira_console *c)
{
    struct mira_fiber *a = mira_spawn_joinable("e1", worker, (void *)0L, 0);
    struct mira_fiber *b = mira_spawn_joinable("e2", worker, (void *)1L, 0);
    if (!a || !b)
        return 1;
    mira_join(a);
    mira_join(b);
    long e1 = (long)(results[0] * 1e9), e2 = (long)(results[1] * 1e9);
    float f = 1.5f;
    f = f * f / 0.25f; /* 9 */
    mira_console_log(c, "sse: e = %ld e-9, e^2 = %ld e-9, f = %d", e1, e2, (int)f);
    if (e1 != 2718281828 || e2 != 7389056098 || (int)f != 9) {
        mira_console_log(c, "sse: FAIL");
        return 1;
    }
    mira_console_log(c, "sse: ok");
    return 0;
}
