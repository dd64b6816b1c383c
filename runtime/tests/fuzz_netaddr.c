/* fuzz_netaddr.c - libFuzzer target of the address parsers (IPv4, IPv4 with
 * a prefix, MAC): whatever they accept must print back as exactly the same
 * text (lower-case for a MAC), and a refusal must leave the outputs alone. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>

#include <mira/driver/netif.h>
#include <mira/format.h>
#include <mira/ipv4.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    mira_ipv4_t a = 0x12345678;
    char out[64];
    if (mira_ipv4_parse(s, &a) == 0) {
        if (strcmp(mira_ipv4_format(a, out), s) != 0)
            abort();
    } else if (a != 0x12345678) {
        abort();
    }

    unsigned prefix = 99;
    a = 0x12345678;
    if (mira_ipv4_parse_cidr(s, &a, &prefix) == 0) {
        char ip[MIRA_IPV4_STRLEN];
        if (prefix > 32)
            abort();
        if (strchr(s, '/'))
            mira_snprintf(out, sizeof(out), "%s/%u", mira_ipv4_format(a, ip), prefix);
        else
            mira_ipv4_format(a, out);
        if (strcmp(out, s) != 0 || (!strchr(s, '/') && prefix != 32))
            abort();
    } else if (a != 0x12345678 || prefix != 99) {
        abort();
    }

    uint8_t mac[6] = { 1, 2, 3, 4, 5, 6 };
    static const uint8_t untouched[6] = { 1, 2, 3, 4, 5, 6 };
    if (mira_netif_parse_mac(s, mac) == 0) {
        mira_snprintf(out, sizeof(out), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
                      mac[3], mac[4], mac[5]);
        for (size_t i = 0; s[i]; i++)
            if ((char)tolower((unsigned char)s[i]) != out[i])
                abort();
        if (strlen(s) != 17)
            abort();
    } else if (memcmp(mac, untouched, 6) != 0) {
        abort();
    }
    free(s);
    return 0;
}
