/* tests/xen/guests/time: five 1 s sleeps, each at least 1 s by the monotonic
 * clock, which never goes back; the wall clock is after 2020. */
#include <mira/console.h>
#include <mira/time.h>

int unikernel_start(struct mira_console *c)
{
    mira_time_t prev = mira_clock_monotonic();
    for (int i = 1; i <= 5; i++) {
        mira_sleep(MIRA_SECONDS(1));
        mira_time_t now = mira_clock_monotonic();
        if (now - prev < MIRA_SECONDS(1)) {
            mira_console_log(c, "time: FAIL: sleep %d lasted %lld ns < 1 s", i,
                             (long long)(now - prev));
            return 1;
        }
        if (now - prev > MIRA_SECONDS(3))
            mira_console_log(c, "time: note: sleep %d lasted %lld ms", i,
                             (long long)((now - prev) / 1000000));
        for (int k = 0; k < 1000; k++) {
            mira_time_t t = mira_clock_monotonic();
            if (t < now) {
                mira_console_log(c, "time: FAIL: monotonic clock went back "
                                 "from %lld to %lld", (long long)now, (long long)t);
                return 1;
            }
            now = t;
        }
        mira_console_log(c, "time: sleep %d: %lld ms", i,
                         (long long)((now - prev) / 1000000));
        prev = now;
    }
    long long year = 1970 + mira_clock_wall() / MIRA_SECONDS(1) / 31556952;
    if (year < 2020) {
        mira_console_log(c, "time: FAIL: the wall clock says year %lld", year);
        return 1;
    }
    mira_console_log(c, "time: ok (wall clock year %lld)", year);
    return 0;
}
