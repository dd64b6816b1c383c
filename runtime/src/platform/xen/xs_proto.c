/* xs_proto.c - xenstore wire encoding and parsing; pure C, unit tested. */
#include <string.h>
#include <mira/error.h>
#include <mira/xen/xs_proto.h>

long mira_xsp_encode(void *buf, size_t cap, uint32_t type, uint32_t req_id,
                     uint32_t tx_id, const char *a, const char *b, bool b_nul)
{
    size_t la = strlen(a) + 1;
    size_t lb = b ? strlen(b) + (b_nul ? 1 : 0) : 0;
    size_t len = la + lb;
    if (len > XENSTORE_PAYLOAD_MAX || sizeof(struct xsd_sockmsg) + len > cap)
        return MIRA_EINVAL;
    struct xsd_sockmsg h = {
        .type = type, .req_id = req_id, .tx_id = tx_id, .len = (uint32_t)len,
    };
    char *p = buf;
    memcpy(p, &h, sizeof(h));
    memcpy(p + sizeof(h), a, la);
    if (b)
        memcpy(p + sizeof(h) + la, b, lb); /* b's NUL comes along if b_nul */
    return (long)(sizeof(h) + len);
}

int mira_xsp_check(const struct xsd_sockmsg *h)
{
    if (h->len > XENSTORE_PAYLOAD_MAX || h->type >= XS_TYPE_COUNT)
        return MIRA_ECORRUPT;
    return 0;
}

int mira_xsp_tx_id(const char *payload, size_t len, uint32_t *tx)
{
    size_t n = strnlen(payload, len);
    if (n == 0 || n > 10 || (n < len && n + 1 != len))
        return MIRA_ECORRUPT; /* empty, too long, or bytes after the NUL */
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (payload[i] < '0' || payload[i] > '9')
            return MIRA_ECORRUPT;
        v = v * 10 + (uint64_t)(payload[i] - '0');
    }
    if (v == 0 || v > UINT32_MAX)
        return MIRA_ECORRUPT;
    *tx = (uint32_t)v;
    return 0;
}

int mira_xsp_error(const char *payload, size_t len)
{
    static const struct {
        const char *name;
        int code;
    } map[] = {
        {"ENOENT", MIRA_ENOENT}, {"EINVAL", MIRA_EINVAL},
        {"ENOMEM", MIRA_ENOMEM}, {"ENOSPC", MIRA_ENOMEM},
        {"EAGAIN", MIRA_EAGAIN}, {"EROFS", MIRA_EROFS},
        {"E2BIG", MIRA_EINVAL},  {"ENOSYS", MIRA_ENOTSUP},
    };
    size_t n = strnlen(payload, len);
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strlen(map[i].name) == n && memcmp(map[i].name, payload, n) == 0)
            return map[i].code;
    return MIRA_EIO; /* EACCES, EEXIST, EISCONN, EQUOTA, ... */
}

long mira_xsp_directory(const char *payload, size_t len, char *buf,
                        size_t size)
{
    long count = 0;
    size_t out = 0, i = 0;
    while (i < len) {
        size_t n = strnlen(payload + i, len - i);
        if (n == 0 && i + 1 >= len)
            break; /* a trailing NUL */
        if (out + n + 1 > size)
            return MIRA_ERANGE;
        memcpy(buf + out, payload + i, n);
        buf[out + n] = 0;
        out += n + 1;
        i += n + 1;
        count++;
    }
    return count;
}

int mira_xsp_watch_event(const char *payload, size_t len, const char **path,
                         const char **token)
{
    /* "path\0token\0": both strings must be NUL-terminated inside len. */
    size_t n = strnlen(payload, len);
    if (n + 1 >= len || strnlen(payload + n + 1, len - n - 1) == len - n - 1)
        return MIRA_ECORRUPT;
    *path = payload;
    *token = payload + n + 1;
    return 0;
}
