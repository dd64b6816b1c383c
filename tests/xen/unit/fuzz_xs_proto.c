/* fuzz_xs_proto.c - libFuzzer target for the xenstore reply parsers, fed
 * what a hostile or broken xenstored could put on the ring: a header, then
 * a payload that goes through every parser (header check, error,
 * directory, watch event, transaction id). */
#include <stdint.h>
#include <string.h>

#include <mira/xen/xs_proto.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xsd_sockmsg h;
    static char payload[XENSTORE_PAYLOAD_MAX + 1];
    char names[512];
    const char *path, *token;

    if (size < sizeof(h))
        return 0;
    memcpy(&h, data, sizeof(h));
    if (mira_xsp_check(&h) != 0)
        return 0;
    size_t len = size - sizeof(h);
    if (len > h.len)
        len = h.len;
    memcpy(payload, data + sizeof(h), len);
    payload[len] = '\0'; /* as the client terminates what it read */

    mira_xsp_error(payload, len);
    uint32_t tx = 0;
    if (mira_xsp_tx_id(payload, len, &tx) == 0 && tx == 0)
        __builtin_trap(); /* 0 is "no transaction", never a valid id */
    mira_xsp_directory(payload, len, names, sizeof(names));
    if (mira_xsp_watch_event(payload, len, &path, &token) == 0) {
        /* both must point inside the payload, NUL-terminated there */
        if (path < payload || path > payload + len || token < payload || token > payload + len)
            __builtin_trap();
        if (strlen(path) > len || strlen(token) > len)
            __builtin_trap();
    }
    return 0;
}
