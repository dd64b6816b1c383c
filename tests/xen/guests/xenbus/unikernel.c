/* tests/xen/guests/xenbus: the Xen driver kit against real Xen and a real
 * Linux backend (Xen only).
 *  1. grants beyond 4 frames: 2100 pages granted to dom0 make the grant
 *     table grow past its first 2048 entries; the free count adds up; all
 *     are ended again;
 *  2. half a blkfront: the xenbus handshake with blkback for the guest's
 *     one disk, a blkif ring (Xen's ring.h macros) whose grant reference
 *     lies above the first 4 frames, one BLKIF_OP_READ of sector 0 into a
 *     granted page, the bytes checked against the pattern the build wrote
 *     into the image (make_disk.py), then a clean close (backend Closed).
 * Protocol code is kept minimal here: the real blkfront is a driver. */
#include <stdlib.h>
#include <string.h>
#include <mira/console.h>
#include <mira/fiber.h>
#include <mira/page.h>
#include <mira/xen/evtchn.h>
#include <mira/xen/gnttab.h>
#include <mira/xen/page.h>
#include <mira/xen/shared_ring.h>
#include <mira/xen/xenbus.h>
#include <mira/xen/xenstore.h>
#include <xen/io/blkif.h>
#include <xen/io/protocols.h>

#define NGRANTS 2100
#define FRAME_ENTRIES 512u /* v1 grant entries per 4 KiB frame */
#define MAGIC "MIRA-XENBUS-DISK"

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            mira_console_log(c, "xenbus: FAIL: " __VA_ARGS__);                \
            return 1;                                                         \
        }                                                                     \
    } while (0)

static struct mira_console *c;
static int refs[NGRANTS];

/* Part 1 (before the disk): grant NGRANTS pages and check the table grew. */
static int grant_many(char *pages)
{
    unsigned cap0 = mira_gnttab_capacity(), free0 = mira_gnttab_free_count();
    mira_console_log(c, "xenbus: grant table %u entries (%u free), at most %u",
                     cap0, free0, mira_gnttab_max_capacity());
    CHECK(mira_gnttab_max_capacity() > 4 * FRAME_ENTRIES, "Xen allows only %u entries",
          mira_gnttab_max_capacity());
    for (int i = 0; i < NGRANTS; i++) {
        refs[i] = mira_gnttab_grant_page(0, pages + (size_t)i * MIRA_PAGE_SIZE, true);
        CHECK(refs[i] >= 8, "grant %d: %d", i, refs[i]);
    }
    unsigned cap = mira_gnttab_capacity();
    CHECK(cap > 4 * FRAME_ENTRIES, "table did not grow past 4 frames: %u", cap);
    CHECK(mira_gnttab_free_count() == cap - 8 - NGRANTS, "free count %u, want %u",
          mira_gnttab_free_count(), cap - 8 - NGRANTS);
    int high = 0;
    for (int i = 0; i < NGRANTS; i++)
        high = refs[i] > high ? refs[i] : high;
    mira_console_log(c, "xenbus: %d grants, table grew to %u entries (%u frames), highest ref %d",
                     NGRANTS, cap, cap / FRAME_ENTRIES, high);
    return 0;
}

static int end_many(void)
{
    for (int i = 0; i < NGRANTS; i++)
        CHECK(mira_gnttab_end((grant_ref_t)refs[i]) == 0, "end grant %d", refs[i]);
    CHECK(mira_gnttab_free_count() == mira_gnttab_capacity() - 8, "free count %u after ending",
          mira_gnttab_free_count());
    return 0;
}

struct front_keys {
    int ring_ref;
    evtchn_port_t port;
};

static int write_keys(struct mira_xenbus_dev *d, mira_xs_tx tx, void *arg)
{
    struct front_keys *k = arg;
    int r = mira_xenbus_write_u64(d, tx, "ring-ref", (uint64_t)k->ring_ref);
    if (r == 0)
        r = mira_xenbus_write_u64(d, tx, "event-channel", k->port);
    if (r == 0)
        r = mira_xenbus_write(d, tx, "protocol", XEN_IO_PROTO_ABI_X86_64);
    return r;
}

/* Part 2: the disk.  Runs while part 1's grants are held, so the ring's
 * grant reference comes from the grown part of the table. */
static int read_sector0(void)
{
    char names[64];
    long n = mira_xs_directory("device/vbd", names, sizeof(names));
    CHECK(n >= 1, "no vbd device: %ld", n);
    int vdev = atoi(names);
    mira_time_t t = mira_clock_monotonic() + MIRA_SECONDS(20);

    struct mira_xenbus_dev d;
    int r = mira_xenbus_open(&d, "vbd", vdev);
    CHECK(r == 0, "open vbd/%d: %s", vdev, mira_strerror(r));
    mira_console_log(c, "xenbus: vbd/%d backend %s (domain %u)", vdev, d.backend, d.backend_id);
    r = mira_xenbus_wait_backend_state(&d, MIRA_XENBUS_BIT(XenbusStateInitWait), t);
    CHECK(r == XenbusStateInitWait, "backend InitWait: %d", r);

    blkif_sring_t *sring = mira_pages_alloc(1, MIRA_PAGE_ZERO);
    CHECK(sring != NULL, "ring page");
    SHARED_RING_INIT(sring);
    blkif_front_ring_t front;
    FRONT_RING_INIT(&front, sring, MIRA_PAGE_SIZE);
    struct front_keys keys;
    keys.ring_ref = mira_gnttab_grant_page(d.backend_id, sring, false);
    CHECK(keys.ring_ref >= (int)(4 * FRAME_ENTRIES), "ring ref %d not above 4 frames",
          keys.ring_ref);
    struct mira_evtchn ch;
    r = mira_evtchn_open_unbound(&ch, d.backend_id);
    CHECK(r == 0, "event channel: %s", mira_strerror(r));
    keys.port = ch.port;
    r = mira_xenbus_write_frontend_tx(&d, write_keys, &keys);
    CHECK(r == 0, "frontend keys: %s", mira_strerror(r));
    CHECK(mira_xenbus_switch_state(&d, XenbusStateInitialised) == 0, "Initialised");
    r = mira_xenbus_wait_backend_state(&d, MIRA_XENBUS_BIT(XenbusStateConnected), t);
    CHECK(r == XenbusStateConnected, "backend Connected: %d (%s)", r,
          r < 0 ? mira_strerror(r) : mira_xenbus_state_name((XenbusState)r));
    uint64_t sectors, info, sector_size;
    CHECK(mira_xenbus_read_backend_u64(&d, "sectors", &sectors) == 0, "sectors");
    CHECK(mira_xenbus_read_backend_u64(&d, "info", &info) == 0, "info");
    CHECK(mira_xenbus_read_backend_u64(&d, "sector-size", &sector_size) == 0, "sector-size");
    CHECK(mira_xenbus_switch_state(&d, XenbusStateConnected) == 0, "Connected");
    mira_console_log(c, "xenbus: connected: ring-ref %d port %u, sectors=%llu info=%llu "
                     "sector-size=%llu", keys.ring_ref, keys.port,
                     (unsigned long long)sectors, (unsigned long long)info,
                     (unsigned long long)sector_size);
    CHECK(sectors == 2048 && sector_size == 512, "disk geometry");

    /* One read of sector 0 .. 7 (one page) into a granted page. */
    unsigned char *buf = mira_pages_alloc(1, 0);
    CHECK(buf != NULL, "data page");
    memset(buf, 0xee, MIRA_PAGE_SIZE);
    int data_ref = mira_gnttab_grant_page(d.backend_id, buf, false);
    CHECK(data_ref >= 0, "data grant");
    blkif_request_t *rq = RING_GET_REQUEST(&front, front.req_prod_pvt);
    rq->operation = BLKIF_OP_READ;
    rq->nr_segments = 1;
    rq->handle = (blkif_vdev_t)vdev;
    rq->id = 0x6d697261; /* "mira" */
    rq->sector_number = 0;
    rq->seg[0].gref = (grant_ref_t)data_ref;
    rq->seg[0].first_sect = 0;
    rq->seg[0].last_sect = MIRA_PAGE_SIZE / 512 - 1;
    front.req_prod_pvt++;
    int notify;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&front, notify);
    if (notify)
        mira_evtchn_kick(&ch);
    blkif_response_t rsp;
    /* A driver waits for the first of two things: its ring's event, or a
     * change of the backend's state (a backend that closes while requests
     * are in flight must fail them, not leave them waiting): one wait on
     * both queues. */
    struct mira_waitq *const ring_or_state[2] = {
        mira_evtchn_waitq(&ch), mira_xs_watch_waitq(),
    };
    for (;;) {
        int more;
        RING_FINAL_CHECK_FOR_RESPONSES(&front, more);
        if (more)
            break;
        r = mira_wait_any(ring_or_state, 2, t);
        CHECK(r >= 0, "no response: %s", mira_strerror(r));
        if (r == 0) {
            (void)mira_evtchn_wait(&ch, 0); /* consume the event it woke us for */
            continue;
        }
        char path[128], state[16];
        while (mira_xs_poll_watch(d.token, path, sizeof(path)) == 0) {
            long n = mira_xenbus_read_backend(&d, "state", state, sizeof(state));
            CHECK(n > 0 && atoi(state) == XenbusStateConnected,
                  "backend left Connected (state %s) with a read in flight", n > 0 ? state : "?");
        }
    }
    rsp = *RING_GET_RESPONSE(&front, front.rsp_cons);
    front.rsp_cons++;
    CHECK(rsp.id == 0x6d697261 && rsp.operation == BLKIF_OP_READ, "response id/op");
    CHECK(rsp.status == BLKIF_RSP_OKAY, "read status %d", rsp.status);
    CHECK(memcmp(buf, MAGIC, strlen(MAGIC)) == 0, "sector 0 lacks the magic: %02x %02x",
          buf[0], buf[1]);
    for (unsigned i = strlen(MAGIC); i < 512; i++)
        CHECK(buf[i] == ((i * 7 + 3) & 255), "byte %u is %02x", i, buf[i]);
    for (unsigned i = 512; i < MIRA_PAGE_SIZE; i++)
        CHECK(buf[i] == 0, "byte %u of sector %u is %02x", i % 512, i / 512, buf[i]);
    mira_console_log(c, "xenbus: read sector 0: pattern ok");

    /* blkback unmaps a data page before it responds: its grant ends now.
     * The ring stays mapped until the backend closes: its release is
     * deferred, and happens (page freed) once the backend let go. */
    CHECK(mira_gnttab_end_deferred((grant_ref_t)data_ref, buf) == 0, "data grant");
    CHECK(mira_gnttab_end_deferred((grant_ref_t)keys.ring_ref, sring) == 1,
          "ring grant not deferred while the backend maps it");
    CHECK(mira_gnttab_retry_deferred() == 1, "deferred ring grant vanished");

    r = mira_xenbus_close(&d, t);
    CHECK(r == 0, "close: %s", mira_strerror(r));
    CHECK(d.backend_state == XenbusStateClosed, "backend %s after close",
          mira_xenbus_state_name(d.backend_state));
    while (mira_gnttab_retry_deferred() > 0 && mira_clock_monotonic() < t)
        mira_sleep(MIRA_MILLISECONDS(10));
    CHECK(mira_gnttab_retry_deferred() == 0, "ring grant still mapped after close");
    mira_console_log(c, "xenbus: deferred ring grant released after close");
    mira_evtchn_close(&ch);
    mira_console_log(c, "xenbus: closed (backend Closed)");
    return 0;
}

int unikernel_start(struct mira_console *console)
{
    c = console;
    char *pages = mira_pages_alloc(NGRANTS, MIRA_PAGE_ZERO);
    CHECK(pages != NULL, "no memory for %d pages", NGRANTS);
    if (grant_many(pages) || read_sector0() || end_many())
        return 1;
    mira_pages_free(pages, NGRANTS);
    mira_console_log(c, "xenbus: ok");
    return 0;
}
