/* blkif_keys.c - blkfront's feature negotiation (mira/blkif_keys.h):
 * the backend's xenstore strings checked and reduced to what we use. */
#include <stddef.h>
#include <mira/error.h>
#include <mira/blkif_proto.h>

#define KEY(name, field) {name, offsetof(struct mira_blkif_backend_keys, field)}
const struct mira_blkif_key mira_blkif_keys[] = {
    KEY("max-ring-page-order", max_ring_page_order),
    KEY("max-ring-pages", max_ring_pages),
    KEY("sectors", sectors),
    KEY("sector-size", sector_size),
    KEY("physical-sector-size", physical_sector_size),
    KEY("info", info),
    KEY("mode", mode),
    KEY("feature-flush-cache", feature_flush_cache),
    KEY("feature-barrier", feature_barrier),
    KEY("feature-discard", feature_discard),
    KEY("discard-granularity", discard_granularity),
    KEY("discard-alignment", discard_alignment),
    KEY("discard-secure", discard_secure),
    KEY("feature-persistent", feature_persistent),
    KEY("feature-max-indirect-segments", feature_max_indirect_segments),
    {NULL, 0},
};

void mira_blkif_limits_default(struct mira_blkif_limits *l)
{
    l->max_ring_order = MIRA_BLKIF_RING_ORDER_MAX;
    l->max_indirect_segs = MIRA_BLKIF_INDIRECT_SEGS_DEFAULT;
    l->persistent = true;
}

int mira_blkif_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (*s == '\0')
        return MIRA_ECORRUPT;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return MIRA_ECORRUPT;
        unsigned d = (unsigned)(*s - '0');
        if (v > (max - d) / 10)
            return MIRA_ECORRUPT; /* v * 10 + d would exceed max */
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static bool is_pow2(uint64_t v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

/* A uint32 key: absent gives def; malformed sets *why to bad. */
static int key_u32(const char *s, uint32_t def, uint32_t *out,
                   const char *bad, const char **why)
{
    uint64_t v = def;
    if (s != NULL && mira_blkif_parse_u64(s, UINT32_MAX, &v) != 0) {
        *why = bad;
        return MIRA_ECORRUPT;
    }
    *out = (uint32_t)v;
    return 0;
}

/* A boolean key: "0" or "1"; absent is false. */
static int key_bool(const char *s, bool *out, const char *bad,
                    const char **why)
{
    *out = false;
    if (s == NULL)
        return 0;
    if ((s[0] != '0' && s[0] != '1') || s[1] != '\0') {
        *why = bad;
        return MIRA_ECORRUPT;
    }
    *out = s[0] == '1';
    return 0;
}

unsigned mira_blkif_ring_size(unsigned pages)
{
    return (unsigned)__CONST_RING_SIZE(blkif,
                                       (size_t)pages * MIRA_BLKIF_PAGE_SIZE);
}

int mira_blkif_negotiate_transport(const struct mira_blkif_backend_keys *k,
                                   const struct mira_blkif_limits *l,
                                   struct mira_blkif_transport *out,
                                   const char **why)
{
    uint32_t order, pages;
    if (key_u32(k->max_ring_page_order, 0, &order,
                "max-ring-page-order: not a decimal uint32", why) != 0 ||
        key_u32(k->max_ring_pages, 1, &pages,
                "max-ring-pages: not a decimal uint32", why) != 0)
        return MIRA_ECORRUPT;
    if (order > MIRA_BLKIF_RING_ORDER_ABSURD) {
        *why = "max-ring-page-order: absurdly large";
        return MIRA_ECORRUPT;
    }
    if (!is_pow2(pages)) {
        *why = "max-ring-pages: not a power of 2";
        return MIRA_ECORRUPT;
    }
    /* blkif.h: the backend's maximum is the larger of the two schemes'. */
    uint32_t pages_order = (uint32_t)__builtin_ctz(pages);
    if (pages_order > order)
        order = pages_order;
    if (order > MIRA_BLKIF_RING_ORDER_ABSURD) {
        *why = "max-ring-pages: absurdly large";
        return MIRA_ECORRUPT;
    }
    unsigned ours = l->max_ring_order < MIRA_BLKIF_RING_ORDER_MAX
                        ? l->max_ring_order : MIRA_BLKIF_RING_ORDER_MAX;
    out->ring_order = order < ours ? order : ours;
    out->ring_pages = 1u << out->ring_order;
    out->ring_size = mira_blkif_ring_size(out->ring_pages);
    return 0;
}

/* The keys that describe the disk itself. */
static int negotiate_geometry(const struct mira_blkif_backend_keys *k,
                              struct mira_blkif_device *out, const char **why)
{
    uint32_t ss;
    uint64_t sectors;
    if (k->sectors == NULL || k->sector_size == NULL || k->info == NULL) {
        *why = k->sectors == NULL ? "sectors: absent"
             : k->sector_size == NULL ? "sector-size: absent" : "info: absent";
        return MIRA_ENOENT;
    }
    if (mira_blkif_parse_u64(k->sectors, UINT64_MAX, &sectors) != 0) {
        *why = "sectors: not a decimal uint64";
        return MIRA_ECORRUPT;
    }
    if (key_u32(k->sector_size, 0, &ss,
                "sector-size: not a decimal uint32", why) != 0 ||
        key_u32(k->info, 0, &out->info, "info: not a decimal uint32",
                why) != 0)
        return MIRA_ECORRUPT;
    if (ss < MIRA_BLKIF_SECTOR || !is_pow2(ss)) {
        *why = "sector-size: not a power of 2 of at least 512";
        return MIRA_ECORRUPT;
    }
    if (ss > MIRA_BLKIF_PAGE_SIZE) {
        /* A segment (one page) must hold whole sectors. */
        *why = "sector-size: larger than a page";
        return MIRA_ENOTSUP;
    }
    /* "sectors" counts 512-byte units (Linux blkback writes the device's
     * size so); the disk is a whole number of its own sectors. */
    uint32_t per = ss / MIRA_BLKIF_SECTOR;
    if (sectors % per != 0) {
        *why = "sectors: not a whole number of sector-size blocks";
        return MIRA_ECORRUPT;
    }
    out->sector_size = ss;
    out->sectors = sectors / per;
    if (key_u32(k->physical_sector_size, ss, &out->physical_sector_size,
                "physical-sector-size: not a decimal uint32", why) != 0)
        return MIRA_ECORRUPT;
    if (out->physical_sector_size < ss ||
        out->physical_sector_size % ss != 0) {
        *why = "physical-sector-size: not a multiple of sector-size";
        return MIRA_ECORRUPT;
    }
    out->readonly = (out->info & VDISK_READONLY) != 0;
    if (k->mode != NULL) {
        if ((k->mode[0] != 'r' && k->mode[0] != 'w') || k->mode[1] != '\0') {
            *why = "mode: neither \"r\" nor \"w\"";
            return MIRA_ECORRUPT;
        }
        if (k->mode[0] == 'r')
            out->readonly = true;
    }
    return 0;
}

/* feature-discard and, only when it is on, its parameters. */
static int negotiate_discard(const struct mira_blkif_backend_keys *k,
                             struct mira_blkif_device *out, const char **why)
{
    out->discard_secure = false;
    out->discard_granularity = 0;
    out->discard_alignment = 0;
    if (key_bool(k->feature_discard, &out->discard,
                 "feature-discard: not 0 or 1", why) != 0)
        return MIRA_ECORRUPT;
    if (!out->discard)
        return 0;
    uint32_t ss = out->sector_size;
    if (key_u32(k->discard_granularity, ss, &out->discard_granularity,
                "discard-granularity: not a decimal uint32", why) != 0 ||
        key_u32(k->discard_alignment, 0, &out->discard_alignment,
                "discard-alignment: not a decimal uint32", why) != 0 ||
        key_bool(k->discard_secure, &out->discard_secure,
                 "discard-secure: not 0 or 1", why) != 0)
        return MIRA_ECORRUPT;
    if (out->discard_granularity == 0)
        out->discard_granularity = ss; /* as Linux blkfront reads a 0 */
    if (out->discard_granularity % ss != 0) {
        *why = "discard-granularity: not a multiple of sector-size";
        return MIRA_ECORRUPT;
    }
    if (out->discard_alignment % ss != 0 ||
        out->discard_alignment >= out->discard_granularity) {
        *why = "discard-alignment: not a sector multiple below the granularity";
        return MIRA_ECORRUPT;
    }
    return 0;
}

int mira_blkif_negotiate_device(const struct mira_blkif_backend_keys *k,
                                const struct mira_blkif_limits *l,
                                struct mira_blkif_device *out,
                                const char **why)
{
    int rc = negotiate_geometry(k, out, why);
    if (rc != 0)
        return rc;
    bool flush_cache, barrier, persistent;
    uint32_t indirect;
    if (key_bool(k->feature_flush_cache, &flush_cache,
                 "feature-flush-cache: not 0 or 1", why) != 0 ||
        key_bool(k->feature_barrier, &barrier,
                 "feature-barrier: not 0 or 1", why) != 0 ||
        key_bool(k->feature_persistent, &persistent,
                 "feature-persistent: not 0 or 1", why) != 0 ||
        key_u32(k->feature_max_indirect_segments, 0, &indirect,
                "feature-max-indirect-segments: not a decimal uint32",
                why) != 0)
        return MIRA_ECORRUPT;
    rc = negotiate_discard(k, out, why);
    if (rc != 0)
        return rc;
    /* A barrier also drains the cache (Linux blkback flushes on it): the
     * fallback flush of backends without feature-flush-cache. */
    out->flush = flush_cache || barrier;
    out->flush_op = flush_cache ? BLKIF_OP_FLUSH_DISKCACHE
                                : BLKIF_OP_WRITE_BARRIER;
    out->persistent = persistent && l->persistent;
    uint32_t ours = l->max_indirect_segs < MIRA_BLKIF_INDIRECT_SEGS_MAX
                        ? l->max_indirect_segs : MIRA_BLKIF_INDIRECT_SEGS_MAX;
    uint32_t segs = indirect < ours ? indirect : ours;
    out->indirect_segs = segs > BLKIF_MAX_SEGMENTS_PER_REQUEST ? segs : 0;
    return 0;
}
