/* fuzz_eth.c - libFuzzer target of mira_eth_parse: what parses rebuilds
 * to the same header bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mira/tcpip/eth.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mira_eth_hdr h;
    enum mira_tcpip_drop why = MIRA_DROP_NONE;
    int n = mira_eth_parse(data, size, &h, &why);
    if (n < 0) {
        if (why == MIRA_DROP_NONE || why >= MIRA_DROP_COUNT)
            abort();
        return 0;
    }
    if ((size_t)n > size || (n != 14 && n != 18) || h.vlan != (n == 18))
        abort();
    uint8_t buf[18];
    if (mira_eth_build(buf, sizeof(buf), &h) != n || memcmp(buf, data, (size_t)n) != 0)
        abort();
    return 0;
}
