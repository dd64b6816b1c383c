/* fuzz_udp.c - libFuzzer target of mira_udp_parse.  Input: a mode byte
 * (bit 0: fix the checksum first, so the fuzzer gets past it), source and
 * destination addresses (4 bytes each), the datagram.  What parses
 * rebuilds to the same datagram. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mira/byteorder.h>
#include <mira/tcpip/csum.h>
#include <mira/tcpip/udp.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 9 || size - 9 > 65535)
        return 0;
    uint32_t src = mira_load_be32(data + 1), dst = mira_load_be32(data + 5);
    size_t len = size - 9;
    uint8_t *p = malloc(len ? len : 1);
    if (p == NULL)
        return 0;
    memcpy(p, data + 9, len);
    if ((data[0] & 1) && len >= 8) {
        uint16_t ulen = mira_load_be16(p + 4);
        if (ulen >= 8 && ulen <= len) {
            mira_store_be16(p + 6, 0);
            uint16_t c = mira_csum_finish(mira_csum_partial(p, ulen, mira_csum_pseudo_ipv4(src, dst, 17, ulen)));
            mira_store_be16(p + 6, c == 0 ? 0xffff : c);
        }
    }
    struct mira_udp_hdr u;
    enum mira_tcpip_drop why = MIRA_DROP_NONE;
    if (mira_udp_parse(p, len, src, dst, &u, &why) < 0) {
        if (why == MIRA_DROP_NONE || why >= MIRA_DROP_COUNT)
            abort();
        free(p);
        return 0;
    }
    if (u.data != p + 8 || u.data_len + 8 != u.length || u.length > len)
        abort();
    if (u.length <= 65535 - 20) {
        uint8_t *b = malloc(u.length);
        if (b == NULL)
            abort();
        memcpy(b + 8, u.data, u.data_len);
        if (mira_udp_build(b, u.length, src, dst, u.sport, u.dport, u.data_len) != 8)
            abort();
        /* the same bytes, but a datagram sent without checksum gets one */
        if (memcmp(b, p, 6) != 0 || memcmp(b + 8, p + 8, u.data_len) != 0 ||
            (u.checksum != 0 && memcmp(b + 6, p + 6, 2) != 0))
            abort();
        free(b);
    }
    free(p);
    return 0;
}
