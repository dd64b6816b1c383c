/* fuzz_blkif_response.c - libFuzzer target for blkfront's response
 * checks: requests built, then whatever a hostile or broken backend could
 * answer (any id, operation, status, producer index), then a drain.
 * Whatever the answers, every caller request completes exactly once,
 * every grant is handed back exactly once, and no id is lost.
 * Input: byte 0 picks the device (indirect or not, sector size); then
 * commands: 'b' build (op, sector, pages, offset), 'r' response (id,
 * operation, status), 'p' producer index check, 'd' drain one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mira/error.h>
#include <mira/blkif_proto.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define RING 32
#define MAX_REQ 256
#define MAX_GRANT 20000

static uint8_t granted[MAX_GRANT]; /* 1 while granted, 2 once ended */
static unsigned nr_grants, fail_at;
static _Alignas(4096) uint8_t ipages[RING][MIRA_BLKIF_PAGE_SIZE];
static uint8_t done[MAX_REQ];      /* a request's completions */

static int grant(void *ctx, uintptr_t page, bool writes, uint32_t *gref)
{
    (void)ctx, (void)writes;
    CHECK(page % MIRA_BLKIF_PAGE_SIZE == 0);
    if (nr_grants == MAX_GRANT || nr_grants + 1 == fail_at)
        return MIRA_ENOMEM;
    granted[nr_grants] = 1;
    *gref = nr_grants++;
    return 0;
}

static void end_grant(uint32_t gref)
{
    CHECK(gref < nr_grants && granted[gref] == 1);
    granted[gref] = 2;
}

static void release(void *ctx, uint32_t gref)
{
    (void)ctx;
    end_grant(gref);
}

static void *indirect_page(void *ctx, uint16_t id, unsigned n)
{
    (void)ctx;
    CHECK(id < RING && n == 0);
    return ipages[id];
}

static void completed(const struct mira_blkif_completion *c, unsigned nreq)
{
    for (unsigned i = 0; i < c->nr_grefs; i++)
        end_grant(c->grefs[i]);
    if (c->request_done) {
        uintptr_t r = (uintptr_t)c->cookie - 1; /* cookies are index + 1 */
        CHECK(r < nreq && done[r] == 0);
        done[r] = 1;
        CHECK(c->status == 0 || c->status == MIRA_EIO || c->status == MIRA_ENOTSUP);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct mira_blkif_grant_ops ops = {grant, release, indirect_page, NULL};
    static struct mira_blkif_slot slots[RING];
    static uint32_t grefs[RING * 257];
    static union blkif_sring_entry ring[RING];
    if (size < 1)
        return 0;
    memset(granted, 0, sizeof(granted));
    memset(done, 0, sizeof(done));
    nr_grants = 0;
    fail_at = 0;
    struct mira_blkif_device dev = {
        .sectors = 1u << 20, .sector_size = data[0] & 1 ? 4096 : 512,
        .flush = true, .flush_op = BLKIF_OP_FLUSH_DISKCACHE,
        .discard = data[0] & 4, .discard_secure = data[0] & 8,
        .indirect_segs = data[0] & 2 ? 256 : 0,
    };
    dev.physical_sector_size = dev.sector_size;
    dev.discard_granularity = dev.sector_size;
    struct mira_blkif_table t;
    CHECK(mira_blkif_table_init(&t, RING, slots, grefs,
                                mira_blkif_grefs_per_id(&dev)) == 0);
    uint32_t req_prod = 0, rsp_cons = 0;
    unsigned nreq = 0;
    size_t i = 1;
    while (i < size) {
        uint8_t cmd = data[i++];
        struct mira_blkif_completion c;
        const char *why = NULL;
        if (cmd == 'b' && i + 4 <= size && nreq < MAX_REQ) {
            /* a buffer of up to 300 pages at a sector offset into its page */
            size_t pages = (size_t)data[i + 2] + (data[i + 3] & 0x80 ? 45 : 0);
            uintptr_t addr = 0x10000000u + (uintptr_t)(data[i + 3] & 7) * 512;
            size_t len = pages * MIRA_BLKIF_PAGE_SIZE;
            struct mira_blkif_buf b = {addr, len};
            struct mira_blkif_request r = {
                .op = (enum mira_blkif_op)(data[i] % 5), .sector = data[i + 1],
                .count = len / dev.sector_size, .bufs = &b, .nr_bufs = 1,
                .secure = data[i] & 0x10, .cookie = (void *)(uintptr_t)(nreq + 1),
            };
            if (r.op == MIRA_BLKIF_FLUSH || r.op == MIRA_BLKIF_DISCARD) {
                r.nr_bufs = 0;
                r.count = r.op == MIRA_BLKIF_FLUSH ? 0 : pages;
            }
            fail_at = data[i] & 0x20 ? nr_grants + 1 + data[i + 2] % 16 : 0;
            unsigned before = nr_grants, free_before = t.nr_free;
            long n = mira_blkif_build(&t, &dev, 0, &r, &ops, ring, RING);
            if (n > 0) {
                nreq++;
                req_prod += (uint32_t)n;
                CHECK(t.nr_free == free_before - (unsigned)n);
            } else {
                CHECK(t.nr_free == free_before);
                for (unsigned g = before; g < nr_grants; g++)
                    CHECK(granted[g] == 2); /* all released */
            }
            i += 4;
        } else if (cmd == 'r' && i + 4 <= size) {
            struct blkif_response rsp = {
                .id = data[i] % (RING + 4), .operation = data[i + 1] % 8,
                .status = (int16_t)(data[i + 2] | data[i + 3] << 8),
            };
            int rc = mira_blkif_complete(&t, &rsp, &c, &why);
            if (rc == 0) {
                completed(&c, nreq);
                rsp_cons++;
            } else {
                CHECK(why != NULL);
                CHECK(rc == MIRA_ECORRUPT || rc == MIRA_EIO);
            }
            i += 4;
        } else if (cmd == 'p' && i + 1 <= size) {
            long n = mira_blkif_check_rsp_prod(&t, rsp_cons + data[i] % 40 - 4,
                                               rsp_cons, req_prod, &why);
            CHECK(n < 0 || (unsigned long)n <= t.in_flight);
            i += 1;
        } else if (cmd == 'd') {
            int id = mira_blkif_drain(&t, &c);
            if (id >= 0)
                completed(&c, nreq);
        }
    }
    struct mira_blkif_completion c;
    while (mira_blkif_drain(&t, &c) >= 0)
        completed(&c, nreq);
    CHECK(t.nr_free == RING && t.in_flight == 0);
    for (unsigned r = 0; r < nreq; r++)
        CHECK(done[r] == 1);
    for (unsigned g = 0; g < nr_grants; g++)
        CHECK(granted[g] == 2);
    return 0;
}
