/* dhcp.c - DHCP message parse and build.  See mira/tcpip/dhcp.h. */
#include <mira/tcpip/dhcp.h>

#include <stdbool.h>
#include <string.h>
#include <mira/byteorder.h>

static int drop(enum mira_tcpip_drop *why, enum mira_tcpip_drop reason, int err)
{
    if (why != NULL)
        *why = reason;
    return err;
}

/* Reads a list of IPv4 addresses (length a non-zero multiple of 4). */
static bool addr_list(const uint8_t *v, size_t olen, uint32_t *out, uint8_t *count)
{
    if (olen == 0 || olen % 4 != 0)
        return false;
    size_t n = olen / 4;
    for (size_t i = 0; i < n && i < MIRA_DHCP_MAX_ADDRS; i++)
        out[i] = mira_load_be32(v + 4 * i);
    *count = (uint8_t)n;
    return true;
}

/* Takes one option (code, olen bytes of value at v) into m; the drop reason
 * or MIRA_DROP_NONE. */
static enum mira_tcpip_drop take_option(struct mira_dhcp_msg *m, uint8_t code, const uint8_t *v, size_t olen)
{
    uint32_t *u32 = NULL;
    uint16_t bit = 0;
    switch (code) {
    case MIRA_DHCP_OPT_MSG_TYPE:
        if (olen != 1)
            return MIRA_DROP_DHCP_OPT_LENGTH;
        m->msg_type = v[0];
        m->present |= MIRA_DHCP_HAS_MSG_TYPE;
        return MIRA_DROP_NONE;
    case MIRA_DHCP_OPT_OVERLOAD:
        /* file and sname are parsed only after a 52 was seen, so "not
         * twice" also keeps it out of them */
        if (m->overload != 0 || olen != 1 || v[0] < MIRA_DHCP_OVERLOAD_FILE ||
            v[0] > MIRA_DHCP_OVERLOAD_BOTH)
            return MIRA_DROP_DHCP_OVERLOAD;
        m->overload = v[0];
        return MIRA_DROP_NONE;
    case MIRA_DHCP_OPT_SERVER_ID: u32 = &m->server_id; bit = MIRA_DHCP_HAS_SERVER_ID; break;
    case MIRA_DHCP_OPT_REQUESTED_IP: u32 = &m->requested_ip; bit = MIRA_DHCP_HAS_REQUESTED_IP; break;
    case MIRA_DHCP_OPT_LEASE_TIME: u32 = &m->lease_time; bit = MIRA_DHCP_HAS_LEASE_TIME; break;
    case MIRA_DHCP_OPT_RENEWAL_T1: u32 = &m->t1; bit = MIRA_DHCP_HAS_T1; break;
    case MIRA_DHCP_OPT_REBINDING_T2: u32 = &m->t2; bit = MIRA_DHCP_HAS_T2; break;
    case MIRA_DHCP_OPT_SUBNET_MASK: u32 = &m->subnet_mask; bit = MIRA_DHCP_HAS_SUBNET_MASK; break;
    case MIRA_DHCP_OPT_ROUTER:
        if (!addr_list(v, olen, m->routers, &m->router_count))
            return MIRA_DROP_DHCP_OPT_LENGTH;
        m->present |= MIRA_DHCP_HAS_ROUTER;
        return MIRA_DROP_NONE;
    case MIRA_DHCP_OPT_DNS:
        if (!addr_list(v, olen, m->dns, &m->dns_count))
            return MIRA_DROP_DHCP_OPT_LENGTH;
        m->present |= MIRA_DHCP_HAS_DNS;
        return MIRA_DROP_NONE;
    case MIRA_DHCP_OPT_MAX_MSG_SIZE:
        if (olen != 2)
            return MIRA_DROP_DHCP_OPT_LENGTH;
        m->max_msg_size = mira_load_be16(v);
        m->present |= MIRA_DHCP_HAS_MAX_MSG_SIZE;
        return MIRA_DROP_NONE;
    case MIRA_DHCP_OPT_PARAM_REQUEST:
        if (olen < 1)
            return MIRA_DROP_DHCP_OPT_LENGTH;
        m->param_request = v;
        m->param_request_len = (uint8_t)olen;
        m->present |= MIRA_DHCP_HAS_PARAM_REQUEST;
        return MIRA_DROP_NONE;
    case MIRA_DHCP_OPT_CLIENT_ID:
        if (olen < 2)
            return MIRA_DROP_DHCP_OPT_LENGTH;
        m->client_id = v;
        m->client_id_len = (uint8_t)olen;
        m->present |= MIRA_DHCP_HAS_CLIENT_ID;
        return MIRA_DROP_NONE;
    default:
        return MIRA_DROP_NONE; /* unknown: skipped */
    }
    if (olen != 4)
        return MIRA_DROP_DHCP_OPT_LENGTH;
    *u32 = mira_load_be32(v);
    m->present |= bit;
    return MIRA_DROP_NONE;
}

/* Walks the options of one field [f, f + n). */
static enum mira_tcpip_drop parse_field(struct mira_dhcp_msg *m, const uint8_t *f, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t code = f[i];
        if (code == MIRA_DHCP_OPT_PAD) {
            i++;
            continue;
        }
        if (code == MIRA_DHCP_OPT_END)
            return MIRA_DROP_NONE;
        if (n - i < 2 || f[i + 1] > n - i - 2)
            return MIRA_DROP_DHCP_OPT_OVERRUN;
        size_t olen = f[i + 1];
        enum mira_tcpip_drop r = take_option(m, code, f + i + 2, olen);
        if (r != MIRA_DROP_NONE)
            return r;
        i += 2 + olen;
    }
    return MIRA_DROP_NONE;
}

int mira_dhcp_parse(const uint8_t *p, size_t len, struct mira_dhcp_msg *m, enum mira_tcpip_drop *why)
{
    if (len < MIRA_DHCP_MIN_LEN)
        return drop(why, MIRA_DROP_DHCP_SHORT, MIRA_ECORRUPT);
    uint8_t op = p[MIRA_DHCP_OFF_OP];
    if (op != MIRA_DHCP_BOOTREQUEST && op != MIRA_DHCP_BOOTREPLY)
        return drop(why, MIRA_DROP_DHCP_OP, MIRA_ECORRUPT);
    if (p[MIRA_DHCP_OFF_HTYPE] != 1 || p[MIRA_DHCP_OFF_HLEN] != 6)
        return drop(why, MIRA_DROP_DHCP_HTYPE, MIRA_ECORRUPT);
    if (mira_load_be32(p + MIRA_DHCP_OFF_COOKIE) != MIRA_DHCP_MAGIC)
        return drop(why, MIRA_DROP_DHCP_COOKIE, MIRA_ECORRUPT);
    struct mira_dhcp_msg msg;
    memset(&msg, 0, sizeof(msg));
    msg.op = op;
    msg.hops = p[MIRA_DHCP_OFF_HOPS];
    msg.xid = mira_load_be32(p + MIRA_DHCP_OFF_XID);
    msg.secs = mira_load_be16(p + MIRA_DHCP_OFF_SECS);
    msg.flags = mira_load_be16(p + MIRA_DHCP_OFF_FLAGS);
    msg.ciaddr = mira_load_be32(p + MIRA_DHCP_OFF_CIADDR);
    msg.yiaddr = mira_load_be32(p + MIRA_DHCP_OFF_YIADDR);
    msg.siaddr = mira_load_be32(p + MIRA_DHCP_OFF_SIADDR);
    msg.giaddr = mira_load_be32(p + MIRA_DHCP_OFF_GIADDR);
    memcpy(msg.chaddr, p + MIRA_DHCP_OFF_CHADDR, sizeof(msg.chaddr));

    enum mira_tcpip_drop r = parse_field(&msg, p + MIRA_DHCP_OFF_OPTIONS, len - MIRA_DHCP_OFF_OPTIONS);
    if (r == MIRA_DROP_NONE && (msg.overload & MIRA_DHCP_OVERLOAD_FILE))
        r = parse_field(&msg, p + MIRA_DHCP_OFF_FILE, MIRA_DHCP_FILE_LEN);
    if (r == MIRA_DROP_NONE && (msg.overload & MIRA_DHCP_OVERLOAD_SNAME))
        r = parse_field(&msg, p + MIRA_DHCP_OFF_SNAME, MIRA_DHCP_SNAME_LEN);
    if (r == MIRA_DROP_NONE &&
        (!(msg.present & MIRA_DHCP_HAS_MSG_TYPE) || msg.msg_type < MIRA_DHCP_DISCOVER || msg.msg_type > MIRA_DHCP_INFORM))
        r = MIRA_DROP_DHCP_NO_TYPE;
    if (r != MIRA_DROP_NONE)
        return drop(why, r, MIRA_ECORRUPT);
    *m = msg;
    return 0;
}

/* Appends option code with olen bytes of value; the next position. */
static uint8_t *put_opt(uint8_t *b, uint8_t code, const void *v, size_t olen)
{
    b[0] = code;
    b[1] = (uint8_t)olen;
    memcpy(b + 2, v, olen);
    return b + 2 + olen;
}

static uint8_t *put_u32(uint8_t *b, uint8_t code, uint32_t x)
{
    uint8_t v[4];
    mira_store_be32(v, x);
    return put_opt(b, code, v, 4);
}

static uint8_t *put_addrs(uint8_t *b, uint8_t code, const uint32_t *a, uint8_t n)
{
    b[0] = code;
    b[1] = (uint8_t)(4 * n);
    for (uint8_t i = 0; i < n; i++)
        mira_store_be32(b + 2 + 4 * i, a[i]);
    return b + 2 + 4 * n;
}

int mira_dhcp_build(uint8_t *buf, size_t cap, const struct mira_dhcp_msg *m)
{
    uint16_t has = m->present;
    if (!(has & MIRA_DHCP_HAS_MSG_TYPE) || m->msg_type < MIRA_DHCP_DISCOVER || m->msg_type > MIRA_DHCP_INFORM)
        return MIRA_EINVAL;
    if (((has & MIRA_DHCP_HAS_ROUTER) && (m->router_count < 1 || m->router_count > MIRA_DHCP_MAX_ADDRS)) ||
        ((has & MIRA_DHCP_HAS_DNS) && (m->dns_count < 1 || m->dns_count > MIRA_DHCP_MAX_ADDRS)) ||
        ((has & MIRA_DHCP_HAS_PARAM_REQUEST) && (m->param_request == NULL || m->param_request_len < 1)) ||
        ((has & MIRA_DHCP_HAS_CLIENT_ID) && (m->client_id == NULL || m->client_id_len < 2)))
        return MIRA_EINVAL;

    /* The length first, so nothing is written when cap is too small. */
    size_t n = MIRA_DHCP_OFF_OPTIONS + 3; /* message type */
    const uint16_t u32_bits = MIRA_DHCP_HAS_SERVER_ID | MIRA_DHCP_HAS_REQUESTED_IP | MIRA_DHCP_HAS_LEASE_TIME |
                              MIRA_DHCP_HAS_T1 | MIRA_DHCP_HAS_T2 | MIRA_DHCP_HAS_SUBNET_MASK;
    for (uint16_t bit = 1; bit != 0; bit = (uint16_t)(bit << 1))
        if (has & u32_bits & bit)
            n += 6;
    if (has & MIRA_DHCP_HAS_ROUTER)
        n += 2 + 4 * (size_t)m->router_count;
    if (has & MIRA_DHCP_HAS_DNS)
        n += 2 + 4 * (size_t)m->dns_count;
    if (has & MIRA_DHCP_HAS_MAX_MSG_SIZE)
        n += 4;
    if (has & MIRA_DHCP_HAS_PARAM_REQUEST)
        n += 2 + (size_t)m->param_request_len;
    if (has & MIRA_DHCP_HAS_CLIENT_ID)
        n += 2 + (size_t)m->client_id_len;
    n += 1; /* end */
    size_t total = n < MIRA_DHCP_BOOTP_MIN_LEN ? MIRA_DHCP_BOOTP_MIN_LEN : n;
    if (cap < total)
        return MIRA_ENOMEM;

    memset(buf, 0, MIRA_DHCP_OFF_OPTIONS);
    buf[MIRA_DHCP_OFF_OP] = m->op;
    buf[MIRA_DHCP_OFF_HTYPE] = 1;
    buf[MIRA_DHCP_OFF_HLEN] = 6;
    buf[MIRA_DHCP_OFF_HOPS] = m->hops;
    mira_store_be32(buf + MIRA_DHCP_OFF_XID, m->xid);
    mira_store_be16(buf + MIRA_DHCP_OFF_SECS, m->secs);
    mira_store_be16(buf + MIRA_DHCP_OFF_FLAGS, m->flags);
    mira_store_be32(buf + MIRA_DHCP_OFF_CIADDR, m->ciaddr);
    mira_store_be32(buf + MIRA_DHCP_OFF_YIADDR, m->yiaddr);
    mira_store_be32(buf + MIRA_DHCP_OFF_SIADDR, m->siaddr);
    mira_store_be32(buf + MIRA_DHCP_OFF_GIADDR, m->giaddr);
    memcpy(buf + MIRA_DHCP_OFF_CHADDR, m->chaddr, sizeof(m->chaddr));
    mira_store_be32(buf + MIRA_DHCP_OFF_COOKIE, MIRA_DHCP_MAGIC);

    uint8_t *b = buf + MIRA_DHCP_OFF_OPTIONS;
    b = put_opt(b, MIRA_DHCP_OPT_MSG_TYPE, &m->msg_type, 1);
    if (has & MIRA_DHCP_HAS_CLIENT_ID)
        b = put_opt(b, MIRA_DHCP_OPT_CLIENT_ID, m->client_id, m->client_id_len);
    if (has & MIRA_DHCP_HAS_REQUESTED_IP)
        b = put_u32(b, MIRA_DHCP_OPT_REQUESTED_IP, m->requested_ip);
    if (has & MIRA_DHCP_HAS_SERVER_ID)
        b = put_u32(b, MIRA_DHCP_OPT_SERVER_ID, m->server_id);
    if (has & MIRA_DHCP_HAS_LEASE_TIME)
        b = put_u32(b, MIRA_DHCP_OPT_LEASE_TIME, m->lease_time);
    if (has & MIRA_DHCP_HAS_T1)
        b = put_u32(b, MIRA_DHCP_OPT_RENEWAL_T1, m->t1);
    if (has & MIRA_DHCP_HAS_T2)
        b = put_u32(b, MIRA_DHCP_OPT_REBINDING_T2, m->t2);
    if (has & MIRA_DHCP_HAS_SUBNET_MASK)
        b = put_u32(b, MIRA_DHCP_OPT_SUBNET_MASK, m->subnet_mask);
    if (has & MIRA_DHCP_HAS_ROUTER)
        b = put_addrs(b, MIRA_DHCP_OPT_ROUTER, m->routers, m->router_count);
    if (has & MIRA_DHCP_HAS_DNS)
        b = put_addrs(b, MIRA_DHCP_OPT_DNS, m->dns, m->dns_count);
    if (has & MIRA_DHCP_HAS_MAX_MSG_SIZE) {
        uint8_t v[2];
        mira_store_be16(v, m->max_msg_size);
        b = put_opt(b, MIRA_DHCP_OPT_MAX_MSG_SIZE, v, 2);
    }
    if (has & MIRA_DHCP_HAS_PARAM_REQUEST)
        b = put_opt(b, MIRA_DHCP_OPT_PARAM_REQUEST, m->param_request, m->param_request_len);
    *b++ = MIRA_DHCP_OPT_END;
    memset(b, 0, total - n);
    return (int)total;
}
