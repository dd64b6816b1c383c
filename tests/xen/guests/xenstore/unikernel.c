/* tests/xen/guests/xenstore: the xenstore client (read, write, directory,
 * watch, transactions, deadlines) and the grant table, against the real
 * xenstored (Xen only). */
#include <stdlib.h>
#include <string.h>
#include <mira/console.h>
#include <mira/page.h>
#include <mira/time.h>
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

    mira_time_t later = mira_clock_monotonic() + MIRA_SECONDS(10);
    CHECK(mira_xs_watch("data/mira-test", "tok") == 0, "watch");
    int r = mira_xs_wait_watch("tok", buf, sizeof(buf), later);
    CHECK(r == 0, "first watch event: %d", r);
    CHECK(mira_xs_write("data/mira-test", "43") == 0, "write 2");
    r = mira_xs_wait_watch("tok", buf, sizeof(buf), later);
    CHECK(r == 0, "watch event: %d", r);
    CHECK(strstr(buf, "data/mira-test") != NULL, "event path %s", buf);
    /* nothing changes now: a short deadline passes */
    r = mira_xs_wait_watch("tok", buf, sizeof(buf),
                           mira_clock_monotonic() + MIRA_MILLISECONDS(200));
    CHECK(r == MIRA_ETIMEDOUT, "quiet watch wait: %d", r);
    CHECK(mira_xs_unwatch("data/mira-test", "tok") == 0, "unwatch");
    CHECK(mira_xs_rm("data/mira-test") == 0, "rm");
    mira_console_log(c, "xenstore: read/write/directory/watch ok");

    /* two keys in one transaction, invisible outside until the commit */
    mira_xs_tx tx;
    for (int attempt = 0;; attempt++) {
        CHECK(attempt < 5, "transaction keeps conflicting");
        CHECK(mira_xs_transaction_start(&tx) == 0, "transaction start");
        CHECK(tx != MIRA_XS_NO_TX, "transaction id 0");
        CHECK(mira_xs_write_tx(tx, "data/mira-tx-a", "1") == 0, "tx write a");
        CHECK(mira_xs_write_tx(tx, "data/mira-tx-b", "2") == 0, "tx write b");
        n = mira_xs_read_tx(tx, "data/mira-tx-a", buf, sizeof(buf));
        CHECK(n == 1 && strcmp(buf, "1") == 0, "tx read a: %ld", n);
        CHECK(mira_xs_read("data/mira-tx-a", buf, sizeof(buf)) == MIRA_ENOENT,
              "tx write visible before the commit");
        r = mira_xs_transaction_end(tx, false);
        if (r == MIRA_EAGAIN)
            continue;
        CHECK(r == 0, "transaction commit: %d", r);
        break;
    }
    n = mira_xs_read("data/mira-tx-a", buf, sizeof(buf));
    CHECK(n == 1 && strcmp(buf, "1") == 0, "committed a: %ld", n);
    n = mira_xs_read("data/mira-tx-b", buf, sizeof(buf));
    CHECK(n == 1 && strcmp(buf, "2") == 0, "committed b: %ld", n);
    /* an aborted transaction leaves nothing */
    CHECK(mira_xs_transaction_start(&tx) == 0, "transaction start 2");
    CHECK(mira_xs_write_tx(tx, "data/mira-tx-c", "3") == 0, "tx write c");
    CHECK(mira_xs_transaction_end(tx, true) == 0, "transaction abort");
    CHECK(mira_xs_read("data/mira-tx-c", buf, sizeof(buf)) == MIRA_ENOENT,
          "aborted write visible");
    CHECK(mira_xs_rm("data/mira-tx-a") == 0 && mira_xs_rm("data/mira-tx-b") == 0, "rm tx");
    mira_console_log(c, "xenstore: transaction and watch deadline ok");

    CHECK(mira_gnttab_capacity() > 8, "no grant table");
    void *page = mira_pages_alloc(1, MIRA_PAGE_ZERO);
    CHECK(page != NULL, "page");
    int ref = mira_gnttab_grant_page(0, page, true);
    CHECK(ref >= 8, "grant: %d", ref);
    CHECK(mira_gnttab_end((unsigned)ref) == 0, "end grant");
    mira_pages_free(page, 1);
    mira_console_log(c, "xenstore: grant table ok (%u entries)", mira_gnttab_capacity());
    mira_console_log(c, "xenstore: ok");
    return 0;
}
