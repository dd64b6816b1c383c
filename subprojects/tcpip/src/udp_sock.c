/* udp_sock.c - UDP (RFC 768) sockets: datagrams for a bound port queue on
 * it (a bounded number, the oldest kept) until a fiber reads them; sending
 * builds the header in front of a copy of the data and hands it to IPv4. */
#include <stdlib.h>
#include <string.h>
#include <mira/byteorder.h>
#include <mira/tcpip/csum.h>
#include <mira/tcpip/udp.h>
#include <mira/tcpip/wire_dhcp.h>

#include "core.h"

/* Ports the stack picks for bind(0): the IANA dynamic range. */
#define EPHEMERAL_FIRST 49152u
#define EPHEMERAL_COUNT 16384u

struct dgram {
    struct dgram *next;
    struct mira_pbuf *data; /* the payload */
    struct mira_endpoint from, to;
};

struct tcpip_udp {
    struct mira_udp u;     /* first: the runtime's part */
    struct tcpip_udp *next; /* the stack's list */
    struct dgram *head, *tail;
    unsigned queued;
    struct mira_waitq readable;
};

static struct tcpip_udp *find_port(struct tcpip_stack *s, uint16_t port)
{
    for (struct tcpip_udp *u = s->udp; u; u = u->next)
        if (u->u.local.port == port)
            return u;
    return NULL;
}

void tcpip_udp_input(struct tcpip_stack *s, mira_ipv4_t src, mira_ipv4_t dst,
                     struct mira_pbuf *p)
{
    bool csum_valid = (p->offload.flags & MIRA_PBUF_CSUM_VALID) != 0;
    uint8_t *h = mira_pbuf_pullup(&p, p->tot_len < MIRA_UDP_HDR_LEN ? p->tot_len
                                                                     : MIRA_UDP_HDR_LEN);
    if (h == NULL || p->tot_len < MIRA_UDP_HDR_LEN) {
        tcpip_count_drop(s, MIRA_DROP_UDP_SHORT);
        mira_pbuf_free(p);
        return;
    }
    uint16_t length = mira_load_be16(h + 4);
    uint16_t check = mira_load_be16(h + 6);
    if (length < MIRA_UDP_HDR_LEN || length > p->tot_len) {
        tcpip_count_drop(s, MIRA_DROP_UDP_LENGTH);
        mira_pbuf_free(p);
        return;
    }
    mira_pbuf_trim(p, length);
    if (check != 0 && !csum_valid) {
        uint32_t sum = mira_csum_pseudo_ipv4(src, dst, MIRA_IPV4_PROTO_UDP, length);
        if (mira_csum_finish(tcpip_chain_sum(p, 0, length, sum)) != 0) {
            tcpip_count_drop(s, MIRA_DROP_UDP_CHECKSUM);
            mira_pbuf_free(p);
            return;
        }
    }
    uint16_t sport = mira_load_be16(h), dport = mira_load_be16(h + 2);
    mira_pbuf_pull(&p, MIRA_UDP_HDR_LEN);
    if (dport == MIRA_DHCP_CLIENT_PORT && s->dhcp != NULL) {
        size_t n = p->tot_len;
        uint8_t *buf = malloc(n ? n : 1);
        if (buf != NULL) {
            mira_pbuf_copy_out(p, 0, buf, n);
            tcpip_dhcp_input(s, buf, n);
            free(buf);
        }
        mira_pbuf_free(p);
        return;
    }
    struct tcpip_udp *u = find_port(s, dport);
    if (u == NULL) {
        tcpip_count_core_drop(s, TCPIP_DROP_UDP_PORT);
        mira_pbuf_free(p);
        return;
    }
    struct dgram *d = u->queued < s->udp_queue_max ? malloc(sizeof(*d)) : NULL;
    if (d == NULL) {
        tcpip_count_core_drop(s, u->queued < s->udp_queue_max ? TCPIP_DROP_NOMEM
                                                              : TCPIP_DROP_UDP_QUEUE);
        mira_pbuf_free(p);
        return;
    }
    *d = (struct dgram){ NULL, p, { src, sport }, { dst, dport } };
    if (u->tail)
        u->tail->next = d;
    else
        u->head = d;
    u->tail = d;
    u->queued++;
    mira_wake_one(&u->readable);
}

int tcpip_udp_output(struct tcpip_stack *s, mira_ipv4_t src, uint16_t sport,
                     const struct mira_endpoint *to, const void *buf, size_t len)
{
    bool src_any = src == MIRA_IPV4_ANY && s->cfg.addr == MIRA_IPV4_ANY;
    if (src == MIRA_IPV4_ANY)
        src = s->cfg.addr;
    if (src == MIRA_IPV4_ANY && !src_any)
        return MIRA_EAGAIN;
    struct mira_pbuf *p = tcpip_alloc(s, MIRA_UDP_HDR_LEN + len);
    if (p == NULL)
        return MIRA_ENOMEM;
    mira_pbuf_copy_in(p, MIRA_UDP_HDR_LEN, buf, len);
    uint8_t *h = p->data; /* the first piece holds at least a header */
    uint16_t length = (uint16_t)(MIRA_UDP_HDR_LEN + len);
    mira_store_be16(h, sport);
    mira_store_be16(h + 2, to->port);
    mira_store_be16(h + 4, length);
    mira_store_be16(h + 6, 0);
    uint32_t sum = mira_csum_pseudo_ipv4(src, to->addr, MIRA_IPV4_PROTO_UDP, length);
    uint16_t check = mira_csum_finish(tcpip_chain_sum(p, 0, length, sum));
    mira_store_be16(h + 6, check == 0 ? 0xffff : check);
    return tcpip_ip_output(s, src, to->addr, MIRA_IPV4_PROTO_UDP, p, src_any);
}

int tcpip_udp_bind(struct mira_stack *dev, uint16_t port, struct mira_udp **out)
{
    struct tcpip_stack *s = tcpip_from_dev(dev);
    if (port == 0) {
        for (unsigned i = 0; i < EPHEMERAL_COUNT && port == 0; i++) {
            uint16_t cand = (uint16_t)(EPHEMERAL_FIRST + s->udp_next_port++ % EPHEMERAL_COUNT);
            if (find_port(s, cand) == NULL)
                port = cand;
        }
        if (port == 0)
            return MIRA_EADDRINUSE;
    } else if (find_port(s, port) != NULL || (port == MIRA_DHCP_CLIENT_PORT && s->dhcp)) {
        return MIRA_EADDRINUSE;
    }
    struct tcpip_udp *u = calloc(1, sizeof(*u));
    if (u == NULL)
        return MIRA_ENOMEM;
    mira_sock_init(&u->u.sock, dev);
    u->u.local = (struct mira_endpoint){ s->cfg.addr, port };
    mira_waitq_init(&u->readable, false);
    u->next = s->udp;
    s->udp = u;
    *out = &u->u;
    return MIRA_OK;
}

long tcpip_udp_recv(struct mira_udp *uu, void *buf, size_t len, struct mira_endpoint *from,
                    struct mira_endpoint *to, mira_time_t deadline)
{
    struct tcpip_udp *u = (struct tcpip_udp *)uu;
    while (u->head == NULL) {
        if (uu->sock.closed)
            return MIRA_ECLOSED;
        /* The input fiber's netif wait is external: this one is not. */
        int r = mira_wait_until(&u->readable, deadline);
        if (uu->sock.closed)
            return MIRA_ECLOSED;
        if (r < 0 && u->head == NULL)
            return r;
    }
    struct dgram *d = u->head;
    u->head = d->next;
    if (u->head == NULL)
        u->tail = NULL;
    u->queued--;
    size_t n = mira_pbuf_copy_out(d->data, 0, buf, len);
    if (from)
        *from = d->from;
    if (to)
        *to = d->to;
    mira_pbuf_free(d->data);
    free(d);
    return (long)n;
}

int tcpip_udp_send(struct mira_udp *uu, const struct mira_endpoint *to, const void *buf,
                   size_t len)
{
    struct tcpip_stack *s = tcpip_from_dev(uu->sock.stack);
    if (uu->sock.closed)
        return MIRA_ECLOSED;
    int r = tcpip_udp_output(s, MIRA_IPV4_ANY, uu->local.port, to, buf, len);
    /* Queued for ARP counts as sent, as a kernel's would. */
    if (r == MIRA_EAGAIN)
        return MIRA_EIO;
    return r < 0 && r != MIRA_ENOMEM && r != MIRA_EINVAL ? MIRA_EIO : r;
}

void tcpip_udp_close(struct mira_udp *uu)
{
    mira_wake_all(&((struct tcpip_udp *)uu)->readable);
}

void tcpip_udp_free(struct mira_udp *uu)
{
    struct tcpip_udp *u = (struct tcpip_udp *)uu;
    struct tcpip_stack *s = tcpip_from_dev(uu->sock.stack);
    for (struct tcpip_udp **pp = &s->udp; *pp; pp = &(*pp)->next) {
        if (*pp == u) {
            *pp = u->next;
            break;
        }
    }
    while (u->head) {
        struct dgram *d = u->head;
        u->head = d->next;
        mira_pbuf_free(d->data);
        free(d);
    }
    free(u);
}

void tcpip_udp_fini(struct tcpip_stack *s)
{
    while (s->udp)
        tcpip_udp_free(&s->udp->u);
}
