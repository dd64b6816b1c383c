/* fuzz_arp.c - libFuzzer target of mira_arp_parse: what parses rebuilds to
 * the same 28 bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mira/tcpip/arp.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mira_arp a;
    enum mira_tcpip_drop why = MIRA_DROP_NONE;
    int n = mira_arp_parse(data, size, &a, &why);
    if (n < 0) {
        if (why == MIRA_DROP_NONE || why >= MIRA_DROP_COUNT)
            abort();
        return 0;
    }
    uint8_t buf[28];
    if (n != 28 || size < 28 || mira_arp_build(buf, sizeof(buf), &a) != 28 || memcmp(buf, data, 28) != 0)
        abort();
    (void)mira_arp_is_gratuitous(&a);
    return 0;
}
