/*
 * xenbus_proto.c - pure parts of the xenbus frontend handshake
 * (mira/xen/xenbus_proto.h).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <mira/error.h>
#include <mira/xen/xenbus_proto.h>

int mira_xenbus_join(char *buf, size_t size, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (size)
        buf[0] = 0;
    if (la == 0 || lb == 0 || la + 1 + lb + 1 > size)
        return MIRA_EINVAL;
    memcpy(buf, a, la);
    buf[la] = '/';
    memcpy(buf + la + 1, b, lb + 1);
    return 0;
}

int mira_xenbus_frontend_path(char *buf, size_t size, const char *type, int id)
{
    if (size)
        buf[0] = 0;
    if (type[0] == 0 || strchr(type, '/') || id < 0)
        return MIRA_EINVAL;
    char digits[16], *d = digits + sizeof(digits);
    *--d = 0;
    do
        *--d = (char)('0' + id % 10);
    while ((id /= 10) > 0);
    char dir[80];
    if (mira_xenbus_join(dir, sizeof(dir), "device", type))
        return MIRA_EINVAL;
    return mira_xenbus_join(buf, size, dir, d);
}

int mira_xenbus_parse_u64(const char *s, uint64_t *v)
{
    uint64_t x = 0;
    if (*s == 0)
        return MIRA_ECORRUPT;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return MIRA_ECORRUPT;
        unsigned d = (unsigned)(*s - '0');
        if (x > (UINT64_MAX - d) / 10)
            return MIRA_ECORRUPT;
        x = x * 10 + d;
    }
    *v = x;
    return 0;
}

int mira_xenbus_parse_state(const char *s, XenbusState *state)
{
    uint64_t v;
    if (mira_xenbus_parse_u64(s, &v) || v > XenbusStateReconfigured)
        return MIRA_ECORRUPT;
    *state = (XenbusState)v;
    return 0;
}

int mira_xenbus_parse_domid(const char *s, uint16_t *domid)
{
    uint64_t v;
    if (mira_xenbus_parse_u64(s, &v) || v >= 0x7ff0) /* DOMID_FIRST_RESERVED */
        return MIRA_ECORRUPT;
    *domid = (uint16_t)v;
    return 0;
}

enum mira_xenbus_verdict mira_xenbus_verdict(XenbusState state, unsigned want)
{
    if ((unsigned)state < 32 && (want & MIRA_XENBUS_BIT(state)))
        return MIRA_XENBUS_REACHED;
    /* Closing is on the way to a wanted Closed (our close waits so). */
    if (state == XenbusStateClosing && (want & MIRA_XENBUS_BIT(XenbusStateClosed)))
        return MIRA_XENBUS_WAIT;
    if (state == XenbusStateClosing || state == XenbusStateClosed)
        return MIRA_XENBUS_GONE;
    return MIRA_XENBUS_WAIT;
}

const char *mira_xenbus_state_name(XenbusState state)
{
    static const char *const names[] = {
        "Unknown", "Initialising", "InitWait", "Initialised", "Connected",
        "Closing", "Closed", "Reconfiguring", "Reconfigured",
    };
    return (unsigned)state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}
