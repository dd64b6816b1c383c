/* fuzz_icmp.c - libFuzzer target of mira_icmp_parse and
 * mira_icmp_parse_quote; an echo request answered parses back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mira/tcpip/icmp.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mira_icmp_msg m;
    enum mira_tcpip_drop why = MIRA_DROP_NONE;
    if (mira_icmp_parse(data, size, &m, &why) < 0) {
        if (why == MIRA_DROP_NONE || why >= MIRA_DROP_COUNT)
            abort();
        return 0;
    }
    if (m.data != data + 8 || m.data_len != size - 8)
        abort();
    struct mira_icmp_quote q;
    int r = mira_icmp_parse_quote(&m, &q, &why);
    if (r == 0 && (q.data < m.data || q.data + q.data_len != m.data + m.data_len || q.data_len < 8))
        abort();
    if (m.type == MIRA_ICMP_ECHO_REQUEST && size <= 65535 - 20) {
        uint8_t *buf = malloc(size);
        struct mira_icmp_msg back;
        if (buf == NULL)
            return 0;
        if (mira_icmp_build_echo(buf, size, MIRA_ICMP_ECHO_REPLY, m.id, m.seq, m.data, m.data_len) != (int)size ||
            mira_icmp_parse(buf, size, &back, NULL) != 8 || back.id != m.id || back.seq != m.seq ||
            memcmp(back.data, m.data, m.data_len) != 0)
            abort();
        free(buf);
    }
    return 0;
}
