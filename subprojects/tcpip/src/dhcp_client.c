/* dhcp_client.c - the DHCP client (RFC 2131 4.4): discover, offer,
 * request, ack; renewal with the server at T1 (unicast) and rebinding with
 * any server at T2 (broadcast) before the lease ends; the address, netmask
 * and router given become the stack's.  Driven by the stack's input fiber:
 * tcpip_dhcp_input for each reply, tcpip_dhcp_tick for the timers. */
#include <stdlib.h>
#include <string.h>
#include <mira/log.h>
#include <mira/random.h>
#include <mira/tcpip/dhcp.h>

#include "core.h"

enum state { SELECTING, REQUESTING, BOUND, RENEWING, REBINDING };

static const char *const state_name[] = { "selecting", "requesting", "bound", "renewing",
                                          "rebinding" };

/* Retransmission while selecting or requesting: 4 s, doubled up to 64 s
 * (RFC 2131 4.1); requests before starting over. */
#define RETRY_FIRST MIRA_SECONDS(4)
#define RETRY_MAX MIRA_SECONDS(64)
#define REQUEST_TRIES 4
/* The shortest wait between two renewal (rebinding) requests: RFC 2131
 * says 60 s, but a lease may be shorter than that. */
#define RENEW_MIN MIRA_SECONDS(1)

struct tcpip_dhcp {
    enum state state;
    uint32_t xid;
    unsigned tries;
    mira_time_t start;       /* when this exchange began (secs field) */
    mira_time_t next_send;   /* the next retransmission */
    mira_time_t t1, t2, expiry;
    mira_ipv4_t offered, server;
};

static void set_state(struct tcpip_stack *s, enum state st)
{
    if (s->dhcp->state != st)
        mira_log(MIRA_LOG_DEBUG, TCPIP_LOG, "%s: DHCP: %s", s->dev.name, state_name[st]);
    s->dhcp->state = st;
}

static void send_msg(struct tcpip_stack *s, uint8_t type)
{
    struct tcpip_dhcp *d = s->dhcp;
    static const uint8_t params[] = { MIRA_DHCP_OPT_SUBNET_MASK, MIRA_DHCP_OPT_ROUTER,
                                      MIRA_DHCP_OPT_DNS, MIRA_DHCP_OPT_LEASE_TIME,
                                      MIRA_DHCP_OPT_RENEWAL_T1, MIRA_DHCP_OPT_REBINDING_T2 };
    uint8_t client_id[1 + MIRA_ETH_ADDR_LEN] = { 1 };
    memcpy(client_id + 1, s->info.mac, MIRA_ETH_ADDR_LEN);
    mira_time_t now = mira_clock_monotonic();
    struct mira_dhcp_msg m = {
        .op = MIRA_DHCP_BOOTREQUEST,
        .xid = d->xid,
        .secs = (uint16_t)((now - d->start) / MIRA_SECONDS(1) > 0xffff
                               ? 0xffff : (now - d->start) / MIRA_SECONDS(1)),
        .present = MIRA_DHCP_HAS_MSG_TYPE | MIRA_DHCP_HAS_PARAM_REQUEST |
                   MIRA_DHCP_HAS_CLIENT_ID,
        .msg_type = type,
        .param_request = params,
        .param_request_len = sizeof(params),
        .client_id = client_id,
        .client_id_len = sizeof(client_id),
    };
    memcpy(m.chaddr, s->info.mac, MIRA_ETH_ADDR_LEN);
    struct mira_endpoint to = { 0xffffffffu, MIRA_DHCP_SERVER_PORT };
    if (d->state == RENEWING || d->state == REBINDING) {
        /* RFC 2131 4.3.2: ciaddr set, no requested address or server id. */
        m.ciaddr = s->cfg.addr;
        if (d->state == RENEWING)
            to.addr = d->server;
    } else {
        /* No address to receive unicast on yet: answers to everyone. */
        m.flags = MIRA_DHCP_FLAG_BROADCAST;
        if (type == MIRA_DHCP_REQUEST) {
            m.present |= MIRA_DHCP_HAS_REQUESTED_IP | MIRA_DHCP_HAS_SERVER_ID;
            m.requested_ip = d->offered;
            m.server_id = d->server;
        }
    }
    uint8_t buf[MIRA_DHCP_BOOTP_MIN_LEN + 64];
    int n = mira_dhcp_build(buf, sizeof(buf), &m);
    if (n < 0)
        mira_panic("tcpip: DHCP build refused our own message (%d)", n);
    tcpip_udp_output(s, MIRA_IPV4_ANY, MIRA_DHCP_CLIENT_PORT, &to, buf, (size_t)n);
}

/* Starts over: a fresh transaction, a DISCOVER now. */
static void discover(struct tcpip_stack *s, mira_time_t now)
{
    struct tcpip_dhcp *d = s->dhcp;
    set_state(s, SELECTING);
    d->xid = mira_random_u32();
    d->start = now;
    d->tries = 0;
    d->next_send = now;
}

static mira_time_t backoff(unsigned tries)
{
    mira_time_t t = RETRY_FIRST;
    for (unsigned i = 1; i < tries && t < RETRY_MAX; i++)
        t *= 2;
    return t < RETRY_MAX ? t : RETRY_MAX;
}

int tcpip_dhcp_start(struct tcpip_stack *s)
{
    s->dhcp = calloc(1, sizeof(*s->dhcp));
    if (s->dhcp == NULL)
        return MIRA_ENOMEM;
    discover(s, mira_clock_monotonic());
    return MIRA_OK;
}

void tcpip_dhcp_fini(struct tcpip_stack *s)
{
    free(s->dhcp);
    s->dhcp = NULL;
}

/* The lease is gone: no address until a new one. */
static void lose(struct tcpip_stack *s, const char *why, mira_time_t now)
{
    char a[MIRA_IPV4_STRLEN];
    if (s->cfg.addr != MIRA_IPV4_ANY) {
        mira_log(MIRA_LOG_WARN, TCPIP_LOG, "%s: DHCP: lease of %s %s", s->dev.name,
                 mira_ipv4_format(s->cfg.addr, a), why);
        s->cfg.addr = MIRA_IPV4_ANY;
        s->cfg.gateway = MIRA_IPV4_ANY;
        tcpip_address_changed(s);
    }
    discover(s, now);
}

static mira_time_t secs(uint32_t n)
{
    return MIRA_SECONDS((mira_time_t)n);
}

static void bind_lease(struct tcpip_stack *s, const struct mira_dhcp_msg *m, mira_time_t now)
{
    struct tcpip_dhcp *d = s->dhcp;
    uint32_t lease = (m->present & MIRA_DHCP_HAS_LEASE_TIME) ? m->lease_time : 3600;
    uint32_t t1 = (m->present & MIRA_DHCP_HAS_T1) ? m->t1 : lease / 2;
    uint32_t t2 = (m->present & MIRA_DHCP_HAS_T2) ? m->t2 : lease / 8 * 7;
    if (t2 > lease)
        t2 = lease;
    if (t1 > t2)
        t1 = t2;
    /* Times count from when the request went out (RFC 2131 4.4.1); the
     * last send is close enough. */
    d->t1 = mira_time_add(now, secs(t1));
    d->t2 = mira_time_add(now, secs(t2));
    d->expiry = lease == 0xffffffffu ? MIRA_TIME_NEVER : mira_time_add(now, secs(lease));
    if (m->present & MIRA_DHCP_HAS_SERVER_ID)
        d->server = m->server_id;
    unsigned prefix = 24;
    if (m->present & MIRA_DHCP_HAS_SUBNET_MASK) {
        prefix = 0;
        while (prefix < 32 && (m->subnet_mask & (0x80000000u >> prefix)))
            prefix++;
    }
    mira_ipv4_t router = m->router_count > 0 ? m->routers[0] : MIRA_IPV4_ANY;
    bool renewed = s->cfg.addr == m->yiaddr && d->state != REQUESTING;
    bool changed = s->cfg.addr != m->yiaddr || s->cfg.prefix_len != prefix ||
                   s->cfg.gateway != router;
    char a[MIRA_IPV4_STRLEN], g[MIRA_IPV4_STRLEN], sv[MIRA_IPV4_STRLEN];
    if (renewed && !changed)
        mira_log(MIRA_LOG_INFO, TCPIP_LOG, "%s: DHCP: lease of %s renewed for %u s",
                 s->dev.name, mira_ipv4_format(m->yiaddr, a), (unsigned)lease);
    else
        mira_log(MIRA_LOG_INFO, TCPIP_LOG,
                 "%s: DHCP: leased %s/%u, gateway %s, from %s for %u s", s->dev.name,
                 mira_ipv4_format(m->yiaddr, a), prefix, mira_ipv4_format(router, g),
                 mira_ipv4_format(d->server, sv), (unsigned)lease);
    set_state(s, BOUND);
    if (changed) {
        s->cfg.addr = m->yiaddr;
        s->cfg.prefix_len = prefix;
        s->cfg.gateway = router;
        tcpip_address_changed(s);
    }
}

void tcpip_dhcp_input(struct tcpip_stack *s, const uint8_t *p, size_t len)
{
    struct tcpip_dhcp *d = s->dhcp;
    struct mira_dhcp_msg m;
    enum mira_tcpip_drop why;
    if (mira_dhcp_parse(p, len, &m, &why) < 0) {
        tcpip_count_drop(s, why);
        return;
    }
    /* Not an answer to us: another client's, or an old transaction. */
    if (m.op != MIRA_DHCP_BOOTREPLY || m.xid != d->xid ||
        memcmp(m.chaddr, s->info.mac, MIRA_ETH_ADDR_LEN) != 0)
        return;
    mira_time_t now = mira_clock_monotonic();
    char a[MIRA_IPV4_STRLEN], sv[MIRA_IPV4_STRLEN];
    switch (m.msg_type) {
    case MIRA_DHCP_OFFER:
        if (d->state != SELECTING || !(m.present & MIRA_DHCP_HAS_SERVER_ID) ||
            m.yiaddr == MIRA_IPV4_ANY)
            return;
        d->offered = m.yiaddr;
        d->server = m.server_id;
        mira_log(MIRA_LOG_INFO, TCPIP_LOG, "%s: DHCP: offer of %s from %s", s->dev.name,
                 mira_ipv4_format(m.yiaddr, a), mira_ipv4_format(m.server_id, sv));
        set_state(s, REQUESTING);
        d->tries = 1;
        d->next_send = mira_time_add(now, backoff(1));
        send_msg(s, MIRA_DHCP_REQUEST);
        break;
    case MIRA_DHCP_ACK:
        if (d->state == SELECTING || d->state == BOUND || m.yiaddr == MIRA_IPV4_ANY)
            return;
        bind_lease(s, &m, now);
        break;
    case MIRA_DHCP_NAK:
        if (d->state == SELECTING || d->state == BOUND)
            return;
        mira_log(MIRA_LOG_INFO, TCPIP_LOG, "%s: DHCP: refused (NAK)", s->dev.name);
        lose(s, "refused by the server", now);
        break;
    default:
        break;
    }
}

/* Half the time left to `until`, at least RENEW_MIN (RFC 2131 4.4.5). */
static mira_time_t half_way(mira_time_t now, mira_time_t until)
{
    mira_time_t wait = (until - now) / 2;
    return mira_time_add(now, wait > RENEW_MIN ? wait : RENEW_MIN);
}

mira_time_t tcpip_dhcp_tick(struct tcpip_stack *s, mira_time_t now)
{
    struct tcpip_dhcp *d = s->dhcp;
    if (d == NULL)
        return MIRA_TIME_NEVER;
    if (d->state >= BOUND && now >= d->expiry) {
        lose(s, "expired", now);
    } else if (d->state == BOUND && now >= d->t1) {
        set_state(s, RENEWING);
        d->start = now;
        d->next_send = now;
    } else if (d->state == RENEWING && now >= d->t2) {
        set_state(s, REBINDING);
        d->next_send = now;
    }
    switch (d->state) {
    case BOUND:
        return d->t1;
    case SELECTING:
    case REQUESTING:
        if (now >= d->next_send) {
            if (d->state == REQUESTING && d->tries >= REQUEST_TRIES) {
                discover(s, now);
            }
            d->tries++;
            d->next_send = mira_time_add(now, backoff(d->tries));
            if (d->state == SELECTING)
                mira_log(MIRA_LOG_DEBUG, TCPIP_LOG, "%s: DHCP: discover", s->dev.name);
            send_msg(s, d->state == SELECTING ? MIRA_DHCP_DISCOVER : MIRA_DHCP_REQUEST);
        }
        return d->next_send;
    case RENEWING:
    case REBINDING:
        if (now >= d->next_send) {
            d->next_send = half_way(now, d->state == RENEWING ? d->t2 : d->expiry);
            send_msg(s, MIRA_DHCP_REQUEST);
        }
        return d->next_send < d->expiry ? d->next_send : d->expiry;
    }
    return MIRA_TIME_NEVER;
}
