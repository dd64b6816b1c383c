/* ipv4.c - IPv4 addresses in text (see mira/ipv4.h). */
#include <mira/format.h>
#include <mira/ipv4.h>

/* One byte of a dotted quad: 1-3 digits, no leading zero, at most 255.
 * Returns the characters read, or 0. */
static size_t parse_octet(const char *s, uint32_t *v)
{
    size_t n = 0;
    uint32_t x = 0;
    while (n < 3 && s[n] >= '0' && s[n] <= '9')
        x = x * 10 + (uint32_t)(s[n++] - '0');
    if (n == 0 || x > 255 || (n > 1 && s[0] == '0') || (s[n] >= '0' && s[n] <= '9'))
        return 0;
    *v = x;
    return n;
}

/* Parses the address at the start of s; returns where it ends, or NULL. */
static const char *parse_addr(const char *s, mira_ipv4_t *out)
{
    uint32_t a = 0;
    for (int i = 0; i < 4; i++) {
        uint32_t v;
        size_t n = parse_octet(s, &v);
        if (n == 0)
            return NULL;
        a = a << 8 | v;
        s += n;
        if (i < 3 && *s++ != '.')
            return NULL;
    }
    *out = a;
    return s;
}

int mira_ipv4_parse(const char *s, mira_ipv4_t *out)
{
    mira_ipv4_t a;
    const char *end = parse_addr(s, &a);
    if (end == NULL || *end != '\0')
        return MIRA_EINVAL;
    *out = a;
    return MIRA_OK;
}

int mira_ipv4_parse_cidr(const char *s, mira_ipv4_t *addr, unsigned *prefix_len)
{
    mira_ipv4_t a;
    const char *end = parse_addr(s, &a);
    if (end == NULL)
        return MIRA_EINVAL;
    uint32_t prefix = 32;
    if (*end == '/') {
        end++;
        size_t n = 0;
        prefix = 0;
        while (n < 2 && end[n] >= '0' && end[n] <= '9')
            prefix = prefix * 10 + (uint32_t)(end[n++] - '0');
        if (n == 0 || prefix > 32 || (n > 1 && end[0] == '0'))
            return MIRA_EINVAL;
        end += n;
    }
    if (*end != '\0')
        return MIRA_EINVAL;
    *addr = a;
    *prefix_len = prefix;
    return MIRA_OK;
}

char *mira_ipv4_format(mira_ipv4_t a, char buf[MIRA_IPV4_STRLEN])
{
    mira_snprintf(buf, MIRA_IPV4_STRLEN, "%u.%u.%u.%u", (unsigned)(a >> 24),
                  (unsigned)(a >> 16 & 0xff), (unsigned)(a >> 8 & 0xff), (unsigned)(a & 0xff));
    return buf;
}

mira_ipv4_t mira_ipv4_netmask(unsigned prefix_len)
{
    if (prefix_len == 0)
        return 0;
    if (prefix_len > 32)
        prefix_len = 32;
    return (mira_ipv4_t)(0xffffffffu << (32 - prefix_len));
}
