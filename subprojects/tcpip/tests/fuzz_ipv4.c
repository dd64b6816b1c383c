/* fuzz_ipv4.c - libFuzzer target of mira_ipv4_hdr_parse and the reassembler.
 *
 * Input byte 0 even: the rest is one datagram: parse; what parses rebuilds
 * to the same header bytes.
 * Input byte 0 odd: a reassembly script.  Bytes 1-5 set the limits (max
 * datagrams 1..8, max bytes, max length); then 8-byte records, each a
 * fragment built with mira_ipv4_build and parsed back before it is fed:
 *   [0] key: id (bits 0-1), TCP or UDP (bit 2)
 *   [1] bit 0 MF, bit 1 corrupt its first byte, bit 2 leave a complete
 *       datagram untaken, bit 3 call expire
 *   [2-3] offset in 8-byte units, [4-5] payload length (& 0xfff),
 *   [6] time step (ms; the timeout is 100 ms), [7] corruption mask.
 * A fragment's bytes are model(key, offset in the datagram), so a datagram
 * of a key never corrupted must come out exactly as the model.  Checked
 * after every step: memory held (by a counting allocator) never above
 * max bytes and equal to the reassembler's count, datagrams in progress
 * never above max; a completed datagram's length is the end of a last
 * fragment fed for its key; at the end nothing is left allocated. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mira/byteorder.h>
#include <mira/tcpip/ipv4.h>
#include <mira/tcpip/ipv4_reass.h>

struct counting {
    size_t live;
    size_t blocks;
};

static void *c_alloc(void *ctx, size_t size)
{
    struct counting *c = ctx;
    void *p = malloc(size);
    if (p != NULL) {
        c->live += size;
        c->blocks++;
    }
    return p;
}

static void c_free(void *ctx, void *p, size_t size)
{
    struct counting *c = ctx;
    if (c->live < size || c->blocks == 0)
        abort();
    c->live -= size;
    c->blocks--;
    free(p);
}

static uint8_t model(unsigned key, size_t pos)
{
    return (uint8_t)(pos * 31 + key * 7 + (pos >> 8));
}

static void raw(const uint8_t *data, size_t size)
{
    struct mira_ipv4_hdr h;
    enum mira_tcpip_drop why = MIRA_DROP_NONE;
    int n = mira_ipv4_hdr_parse(data, size, &h, &why);
    if (n < 0) {
        if (why == MIRA_DROP_NONE || why >= MIRA_DROP_COUNT)
            abort();
        return;
    }
    if (n != h.hdr_len || h.total_len > size || h.total_len < h.hdr_len || h.frag_off + h.total_len > 65535)
        abort();
    uint8_t buf[60];
    if (mira_ipv4_build(buf, sizeof(buf), &h, mira_ipv4_payload_len(&h)) != n || memcmp(buf, data, (size_t)n) != 0)
        abort();
}

#define KEYS 8
#define MAX_LASTS 64

static void script(const uint8_t *data, size_t size)
{
    if (size < 5)
        return;
    struct counting c = {0, 0};
    struct mira_ipv4_reass_limits lim = {
        .max_datagrams = 1 + (data[0] & 7),
        .max_bytes = 256 + (size_t)mira_load_be16(data + 1) * 4,
        .max_len = 8 + mira_load_be16(data + 3) % (65515 - 8 + 1),
        .timeout_ns = 100 * 1000000ull,
    };
    struct mira_ipv4_reass_allocator a = {c_alloc, c_free, &c};
    struct mira_ipv4_reass r;
    if (mira_ipv4_reass_init(&r, &lim, &a) != 0)
        abort();
    bool dirty[KEYS] = {false};
    uint32_t lasts[KEYS][MAX_LASTS];
    int nlasts[KEYS] = {0};
    static uint8_t pkt[20 + 4096];
    static uint8_t out[65536];
    uint64_t now = 0;
    for (const uint8_t *rec = data + 5; rec + 8 <= data + size; rec += 8) {
        unsigned key = rec[0] & 7;
        bool mf = rec[1] & 1, corrupt = rec[1] & 2, leave = rec[1] & 4;
        size_t off = (size_t)(mira_load_be16(rec + 2) & 0x1fff) * 8;
        size_t len = mira_load_be16(rec + 4) & 0xfff;
        now += (uint64_t)rec[6] * 1000000ull;
        if (rec[1] & 8)
            mira_ipv4_reass_expire(&r, now);
        struct mira_ipv4_hdr h = {
            .hdr_len = 20, .id = (uint16_t)(key & 3), .mf = mf, .frag_off = (uint16_t)off, .ttl = 64,
            .proto = (key & 4) ? 6 : 17, .src = 0x0a000001, .dst = 0x0a000002,
        };
        if (off > 65528 || mira_ipv4_build(pkt, sizeof(pkt), &h, len) != 20)
            continue;
        for (size_t i = 0; i < len; i++)
            pkt[20 + i] = model(key, off + i);
        if (corrupt && len > 0) {
            pkt[20] ^= rec[7] | 1;
            dirty[key] = true;
        }
        struct mira_ipv4_hdr p;
        if (mira_ipv4_hdr_parse(pkt, 20 + len, &p, NULL) != 20)
            continue; /* beyond 65535: the parser's to refuse */
        if (!mf && nlasts[key] < MAX_LASTS)
            lasts[key][nlasts[key]++] = (uint32_t)(off + len);
        else if (!mf)
            dirty[key] = true; /* too many to track: no length check */
        enum mira_tcpip_drop why = MIRA_DROP_NONE;
        int ret = mira_ipv4_reass_input(&r, &p, pkt + 20, now, &why);
        if (c.live != r.bytes || c.live > lim.max_bytes || r.count > lim.max_datagrams)
            abort();
        if (ret < 0 && (why == MIRA_DROP_NONE || why >= MIRA_DROP_COUNT))
            abort();
        if (ret > 0) {
            if ((size_t)ret > lim.max_len)
                abort();
            if (!dirty[key]) {
                bool found = false;
                for (int i = 0; i < nlasts[key]; i++)
                    found |= lasts[key][i] == (uint32_t)ret;
                if (!found)
                    abort();
            }
            if (leave)
                continue;
            struct mira_ipv4_hdr t;
            if (mira_ipv4_reass_take(&r, &t, out, sizeof(out)) != ret || t.total_len != 20 + ret ||
                t.id != h.id || t.proto != h.proto || t.mf || t.frag_off != 0)
                abort();
            if (!dirty[key])
                for (int i = 0; i < ret; i++)
                    if (out[i] != model(key, (size_t)i))
                        abort();
            if (c.live != r.bytes)
                abort();
        }
    }
    mira_ipv4_reass_fini(&r);
    if (c.live != 0 || c.blocks != 0 || r.bytes != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1)
        script(data + 1, size - 1);
    else
        raw(data + 1, size - 1);
    return 0;
}
