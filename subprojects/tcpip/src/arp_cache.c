/* arp_cache.c - the ARP cache (RFC 826): a bounded table of next hops with
 * timeouts, answers to who-has for our address, requests for unknown next
 * hops (retried, with the packets waiting for the answer queued, a bounded
 * number per entry), and a gratuitous ARP when the address is set. */
#include <stdlib.h>
#include <string.h>
#include <mira/log.h>
#include <mira/tcpip/arp.h>

#include "core.h"

/* Requests sent for an unknown next hop before its packets are dropped,
 * and the wait between two. */
#define ARP_TRIES 3
#define ARP_RETRY MIRA_SECONDS(1)

static void mac_text(const uint8_t m[6], char out[18])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 6; i++) {
        out[i * 3] = hex[m[i] >> 4];
        out[i * 3 + 1] = hex[m[i] & 15];
        out[i * 3 + 2] = i == 5 ? '\0' : ':';
    }
}

int tcpip_arp_init(struct tcpip_stack *s, size_t size)
{
    s->arp = calloc(size, sizeof(*s->arp));
    if (s->arp == NULL)
        return MIRA_ENOMEM;
    s->arp_size = size;
    for (size_t i = 0; i < size; i++) {
        s->arp[i].queue = calloc(s->arp_queue_max, sizeof(struct mira_pbuf *));
        if (s->arp[i].queue == NULL) {
            tcpip_arp_fini(s);
            return MIRA_ENOMEM;
        }
    }
    return MIRA_OK;
}

/* Drops what waits on e; `count`: as ARP_FAILED drops. */
static void drop_queue(struct tcpip_stack *s, struct tcpip_arp_entry *e, bool count)
{
    for (unsigned i = 0; i < e->queued; i++) {
        mira_pbuf_free(e->queue[i]);
        if (count)
            tcpip_count_core_drop(s, TCPIP_DROP_ARP_FAILED);
    }
    e->queued = 0;
}

static void entry_free(struct tcpip_stack *s, struct tcpip_arp_entry *e, bool count)
{
    drop_queue(s, e, count);
    e->ip = MIRA_IPV4_ANY;
    e->resolved = false;
}

void tcpip_arp_fini(struct tcpip_stack *s)
{
    if (s->arp == NULL)
        return;
    for (size_t i = 0; i < s->arp_size; i++) {
        if (s->arp[i].queue)
            drop_queue(s, &s->arp[i], false);
        free(s->arp[i].queue);
    }
    free(s->arp);
    s->arp = NULL;
}

void tcpip_arp_flush(struct tcpip_stack *s)
{
    for (size_t i = 0; i < s->arp_size; i++)
        if (s->arp[i].ip != MIRA_IPV4_ANY)
            entry_free(s, &s->arp[i], true);
}

static struct tcpip_arp_entry *find(struct tcpip_stack *s, mira_ipv4_t ip)
{
    for (size_t i = 0; i < s->arp_size; i++)
        if (s->arp[i].ip == ip)
            return &s->arp[i];
    return NULL;
}

/* A slot for ip: a free one, else the least recently used (its waiting
 * packets dropped). */
static struct tcpip_arp_entry *claim(struct tcpip_stack *s, mira_ipv4_t ip, mira_time_t now)
{
    struct tcpip_arp_entry *victim = NULL;
    for (size_t i = 0; i < s->arp_size; i++) {
        struct tcpip_arp_entry *e = &s->arp[i];
        if (e->ip == MIRA_IPV4_ANY) {
            victim = e;
            break;
        }
        if (victim == NULL || e->used < victim->used)
            victim = e;
    }
    entry_free(s, victim, true);
    victim->ip = ip;
    victim->resolved = false;
    victim->tries = 0;
    victim->used = now;
    victim->next_try = now;
    return victim;
}

static int send_arp(struct tcpip_stack *s, const struct mira_arp *a, const uint8_t *dst_mac)
{
    struct mira_pbuf *p = tcpip_alloc(s, MIRA_ARP_LEN);
    if (p == NULL) {
        tcpip_count_core_drop(s, TCPIP_DROP_NOMEM);
        return MIRA_ENOMEM;
    }
    if (mira_arp_build(p->data, p->len, a) < 0)
        mira_panic("tcpip: ARP build refused our own request");
    return tcpip_eth_output(s, dst_mac, MIRA_ETH_TYPE_ARP, p);
}

static void request(struct tcpip_stack *s, struct tcpip_arp_entry *e, mira_time_t now)
{
    struct mira_arp a;
    mira_arp_request(&a, s->info.mac, s->cfg.addr, e->ip);
    e->tries++;
    e->next_try = mira_time_add(now, ARP_RETRY);
    char ip[MIRA_IPV4_STRLEN];
    mira_log(MIRA_LOG_DEBUG, TCPIP_LOG, "%s: ARP: who has %s? (try %u)", s->dev.name,
             mira_ipv4_format(e->ip, ip), (unsigned)e->tries);
    send_arp(s, &a, mira_eth_broadcast);
}

/* ip is at mac: the entry is resolved and what waited on it goes out. */
static void learn(struct tcpip_stack *s, struct tcpip_arp_entry *e, const uint8_t mac[6],
                  mira_time_t now)
{
    bool news = !e->resolved || memcmp(e->mac, mac, 6) != 0;
    memcpy(e->mac, mac, 6);
    e->resolved = true;
    e->expires = mira_time_add(now, s->arp_timeout);
    if (news) {
        char ip[MIRA_IPV4_STRLEN], m[18];
        mac_text(mac, m);
        mira_log(MIRA_LOG_INFO, TCPIP_LOG, "%s: ARP: %s is at %s", s->dev.name,
                 mira_ipv4_format(e->ip, ip), m);
    }
    unsigned n = e->queued;
    e->queued = 0;
    for (unsigned i = 0; i < n; i++)
        tcpip_eth_output(s, e->mac, MIRA_ETH_TYPE_IPV4, e->queue[i]);
}

void tcpip_arp_input(struct tcpip_stack *s, const uint8_t *p, size_t len)
{
    struct mira_arp a;
    enum mira_tcpip_drop why;
    if (mira_arp_parse(p, len, &a, &why) < 0) {
        tcpip_count_drop(s, why);
        return;
    }
    mira_time_t now = mira_clock_monotonic();
    mira_ipv4_t me = s->cfg.addr;
    bool for_me = me != MIRA_IPV4_ANY && a.tpa == me;
    if (me != MIRA_IPV4_ANY && a.spa == me) {
        /* Someone else claims our address: say so, keep it (RFC 5227
         * defends by announcing again, at most every 10 s; we log). */
        char ip[MIRA_IPV4_STRLEN], m[18];
        mac_text(a.sha, m);
        mira_log(MIRA_LOG_WARN, TCPIP_LOG, "%s: ARP: %s also claims our address %s",
                 s->dev.name, m, mira_ipv4_format(me, ip));
        return;
    }
    if (a.spa != MIRA_IPV4_ANY) {
        /* RFC 826: update a known sender; add it when the packet is for us. */
        struct tcpip_arp_entry *e = find(s, a.spa);
        if (e == NULL && for_me)
            e = claim(s, a.spa, now);
        if (e != NULL)
            learn(s, e, a.sha, now);
    }
    if (for_me && a.oper == MIRA_ARP_OP_REQUEST) {
        struct mira_arp r;
        mira_arp_reply(&r, &a, s->info.mac);
        send_arp(s, &r, a.sha);
    }
}

int tcpip_arp_output(struct tcpip_stack *s, mira_ipv4_t next_hop, struct mira_pbuf *p)
{
    mira_time_t now = mira_clock_monotonic();
    struct tcpip_arp_entry *e = find(s, next_hop);
    if (e != NULL && e->resolved) {
        e->used = now;
        return tcpip_eth_output(s, e->mac, MIRA_ETH_TYPE_IPV4, p);
    }
    if (e == NULL) {
        e = claim(s, next_hop, now);
        request(s, e, now);
    }
    e->used = now;
    if (e->queued == s->arp_queue_max) {
        mira_pbuf_free(p);
        tcpip_count_core_drop(s, TCPIP_DROP_ARP_QUEUE);
        return MIRA_EIO;
    }
    e->queue[e->queued++] = p;
    return MIRA_OK;
}

mira_time_t tcpip_arp_tick(struct tcpip_stack *s, mira_time_t now)
{
    mira_time_t next = MIRA_TIME_NEVER;
    for (size_t i = 0; i < s->arp_size; i++) {
        struct tcpip_arp_entry *e = &s->arp[i];
        if (e->ip == MIRA_IPV4_ANY)
            continue;
        if (e->resolved) {
            if (now >= e->expires) {
                char ip[MIRA_IPV4_STRLEN];
                mira_log(MIRA_LOG_DEBUG, TCPIP_LOG, "%s: ARP: %s timed out", s->dev.name,
                         mira_ipv4_format(e->ip, ip));
                entry_free(s, e, true);
                continue;
            }
            if (e->expires < next)
                next = e->expires;
            continue;
        }
        if (now >= e->next_try) {
            if (e->tries >= ARP_TRIES) {
                char ip[MIRA_IPV4_STRLEN];
                mira_log(MIRA_LOG_INFO, TCPIP_LOG, "%s: ARP: no answer from %s",
                         s->dev.name, mira_ipv4_format(e->ip, ip));
                entry_free(s, e, true);
                continue;
            }
            request(s, e, now);
        }
        if (e->next_try < next)
            next = e->next_try;
    }
    return next;
}

void tcpip_arp_announce(struct tcpip_stack *s)
{
    if (s->cfg.addr == MIRA_IPV4_ANY)
        return;
    struct mira_arp a;
    mira_arp_gratuitous(&a, s->info.mac, s->cfg.addr);
    char ip[MIRA_IPV4_STRLEN];
    mira_log(MIRA_LOG_INFO, TCPIP_LOG, "%s: ARP: announcing %s (gratuitous ARP)", s->dev.name,
             mira_ipv4_format(s->cfg.addr, ip));
    send_arp(s, &a, mira_eth_broadcast);
}
