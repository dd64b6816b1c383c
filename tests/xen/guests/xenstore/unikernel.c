/* tests/xen/guests/xenstore: the xenstore client (read, write, directory, watch)
 * and the grant table, against the real xenstored (Xen only). */
#include <stdlib.h>
#include <string.h>
#include <mira/console.h>
#include <mira/xen/gnttab.h>
#include <mira/xen/xenstore.h>

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            mira_console_log(c, "xenstore: FAIL: " __VA_ARGS__);              \
            return 1;                                                         \
        }                                                                     \
    } while (0)

int unikernel_start(struct mira_console *c)
{
    char buf[256];
    long n = mira_xs_read("name", buf, sizeof(buf));
    CHECK(n > 0, "read name: %ld", n);
    mira_console_log(c, "xenstore: name=%s domid=%u", buf, mira_xs_domid());
    CHECK(mira_xs_domid() > 0, "domid unknown");

    CHECK(mira_xs_read("data/no-such-key", buf, sizeof(buf)) == MIRA_ENOENT,
          "missing key not ENOENT");
    CHECK(mira_xs_write("data/mira-test", "42") == 0, "write");
    n = mira_xs_read("data/mira-test", buf, sizeof(buf));
    CHECK(n == 2 && strcmp(buf, "42") == 0, "read back: %ld '%s'", n, buf);

    n = mira_xs_directory("data", buf, sizeof(buf));
    CHECK(n >= 1, "directory: %ld", n);
    int found = 0;
    for (char *p = buf; n-- > 0; p += strlen(p) + 1)
        found |= strcmp(p, "mira-test") == 0;
    CHECK(found, "directory lacks mira-test");

    CHECK(mira_xs_watch("data/mira-test", "tok") == 0, "watch");
    CHECK(mira_xs_wait_watch("tok", buf, sizeof(buf)) == 0, "first watch event");
    CHECK(mira_xs_write("data/mira-test", "43") == 0, "write 2");
    CHECK(mira_xs_wait_watch("tok", buf, sizeof(buf)) == 0, "watch event");
    CHECK(strstr(buf, "data/mira-test") != NULL, "event path %s", buf);
    CHECK(mira_xs_unwatch("data/mira-test", "tok") == 0, "unwatch");
    CHECK(mira_xs_rm("data/mira-test") == 0, "rm");
    mira_console_log(c, "xenstore: read/write/directory/watch ok");

    CHECK(mira_gnttab_capacity() > 8, "no grant table");
    void *page = malloc(8192);
    char *aligned = (char *)(((unsigned long)page + 4095) & ~4095ul);
    int ref = mira_gnttab_grant_page(0, aligned, true);
    CHECK(ref >= 8, "grant: %d", ref);
    CHECK(mira_gnttab_end((unsigned)ref) == 0, "end grant");
    free(page);
    mira_console_log(c, "xenstore: grant table ok (%u entries)", mira_gnttab_capacity());
    mira_console_log(c, "xenstore: ok");
    return 0;
}
