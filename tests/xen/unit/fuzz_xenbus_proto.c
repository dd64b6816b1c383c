/* fuzz_xenbus_proto.c - libFuzzer target for the parsers of values a
 * backend writes to xenstore (numbers, states, domain ids), and the path
 * builder fed backend-chosen names. */
#include <stdint.h>
#include <string.h>

#include <mira/xen/xenbus_proto.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[4097], path[128];
    if (size >= sizeof(s))
        size = sizeof(s) - 1;
    memcpy(s, data, size);
    s[size] = '\0'; /* as xenstore reads are terminated */
    uint64_t v;
    XenbusState st;
    uint16_t d;
    if (mira_xenbus_parse_u64(s, &v) == 0 && strspn(s, "0123456789") != size)
        __builtin_trap(); /* accepted something that is not all digits */
    if (mira_xenbus_parse_state(s, &st) == 0 && (unsigned)st > XenbusStateReconfigured)
        __builtin_trap();
    if (mira_xenbus_parse_domid(s, &d) == 0 && d >= 0x7ff0)
        __builtin_trap();
    mira_xenbus_verdict((XenbusState)(size ? data[0] : 0), size > 1 ? data[1] : 0);
    if (mira_xenbus_join(path, sizeof(path), "backend", s) == 0 &&
        strlen(path) != strlen("backend/") + strlen(s))
        __builtin_trap();
    return 0;
}
