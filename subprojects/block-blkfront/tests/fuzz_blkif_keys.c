/* fuzz_blkif_keys.c - libFuzzer target for blkfront's negotiation: what a
 * hostile or broken backend could write into its xenstore keys.
 * Input: 2 bytes, a bit per key of mira_blkif_keys (present or absent),
 * then the present keys' values, separated by NUL bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mira/error.h>
#include <mira/blkif_proto.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char text[4096];
    struct mira_blkif_backend_keys k = {0};
    if (size < 2 || size - 2 >= sizeof(text))
        return 0;
    unsigned present = data[0] | (unsigned)data[1] << 8;
    memcpy(text, data + 2, size - 2);
    text[size - 2] = '\0';
    char *p = text, *end = text + (size - 2);
    unsigned i = 0;
    for (const struct mira_blkif_key *e = mira_blkif_keys; e->name; e++, i++) {
        if (!(present & (1u << i)))
            continue;
        const char *value = p;
        memcpy((char *)&k + e->offset, &value, sizeof(value));
        p += strlen(p);
        if (p < end)
            p++;
    }

    uint64_t v;
    mira_blkif_parse_u64(text, UINT64_MAX, &v);
    struct mira_blkif_limits l;
    mira_blkif_limits_default(&l);
    const char *why = NULL;
    struct mira_blkif_transport tr;
    int rc = mira_blkif_negotiate_transport(&k, &l, &tr, &why);
    if (rc == 0) {
        CHECK(tr.ring_order <= MIRA_BLKIF_RING_ORDER_MAX);
        CHECK(tr.ring_pages == 1u << tr.ring_order);
        CHECK(tr.ring_size == 32u << tr.ring_order);
    } else {
        CHECK(rc == MIRA_ECORRUPT && why != NULL);
    }
    struct mira_blkif_device d;
    why = NULL;
    rc = mira_blkif_negotiate_device(&k, &l, &d, &why);
    if (rc != 0) {
        CHECK(why != NULL && strlen(why) > 0);
        CHECK(rc == MIRA_ECORRUPT || rc == MIRA_ENOTSUP || rc == MIRA_ENOENT);
        return 0;
    }
    CHECK(d.sector_size >= 512 && d.sector_size <= MIRA_BLKIF_PAGE_SIZE);
    CHECK((d.sector_size & (d.sector_size - 1)) == 0);
    CHECK(d.physical_sector_size % d.sector_size == 0 && d.physical_sector_size);
    CHECK(d.indirect_segs == 0 ||
          (d.indirect_segs > BLKIF_MAX_SEGMENTS_PER_REQUEST &&
           d.indirect_segs <= l.max_indirect_segs));
    if (d.discard) {
        CHECK(d.discard_granularity % d.sector_size == 0);
        CHECK(d.discard_alignment < d.discard_granularity);
    }
    CHECK(!d.flush || d.flush_op == BLKIF_OP_FLUSH_DISKCACHE ||
          d.flush_op == BLKIF_OP_WRITE_BARRIER);
    return 0;
}
