/* ip.c - IPv4 in and out (RFC 791, RFC 1122 3.3): input checks, fragment
 * reassembly in bounded memory and time, delivery to ICMP, UDP and TCP;
 * output with next-hop choice (on-link, gateway, broadcast), fragmentation
 * to the MTU, and ICMP echo replies built in the request's own buffer. */
#include <stdlib.h>
#include <string.h>
#include <mira/byteorder.h>
#include <mira/log.h>
#include <mira/tcpip/csum.h>
#include <mira/tcpip/icmp.h>

#include "core.h"

/* Largest IPv4 payload: 65535 - 20. */
#define IP_MAX_PAYLOAD (MIRA_IPV4_MAX_LEN - MIRA_IPV4_HDR_LEN)

static void *reass_alloc(void *ctx, size_t size)
{
    (void)ctx;
    return malloc(size);
}

static void reass_free(void *ctx, void *p, size_t size)
{
    (void)ctx;
    (void)size;
    free(p);
}

int tcpip_ip_init(struct tcpip_stack *s, const struct mira_ipv4_reass_limits *limits)
{
    static const struct mira_ipv4_reass_allocator a = { reass_alloc, reass_free, NULL };
    int r = mira_ipv4_reass_init(&s->reass, limits, &a);
    if (r < 0)
        return r;
    s->reass_buf = malloc(MIRA_IPV4_MAX_LEN);
    return s->reass_buf ? MIRA_OK : MIRA_ENOMEM;
}

void tcpip_ip_fini(struct tcpip_stack *s)
{
    mira_ipv4_reass_fini(&s->reass);
    free(s->reass_buf);
    s->reass_buf = NULL;
}

void tcpip_ip_tick(struct tcpip_stack *s, mira_time_t now)
{
    int n = mira_ipv4_reass_expire(&s->reass, (uint64_t)now);
    for (int i = 0; i < n; i++)
        tcpip_count_drop(s, MIRA_DROP_REASS_TIMEOUT);
}

static bool is_broadcast(const struct tcpip_stack *s, mira_ipv4_t a)
{
    if (a == 0xffffffffu)
        return true;
    if (s->cfg.addr == MIRA_IPV4_ANY || s->cfg.prefix_len >= 31)
        return false;
    mira_ipv4_t mask = mira_ipv4_netmask(s->cfg.prefix_len);
    return (a & mask) == (s->cfg.addr & mask) && (a | mask) == 0xffffffffu;
}

bool tcpip_ip_on_link(const struct tcpip_stack *s, mira_ipv4_t dst)
{
    mira_ipv4_t mask = mira_ipv4_netmask(s->cfg.prefix_len);
    return is_broadcast(s, dst) || (dst & mask) == (s->cfg.addr & mask);
}

uint32_t tcpip_chain_sum(const struct mira_pbuf *p, size_t off, size_t len, uint32_t sum)
{
    size_t pos = 0; /* offset in the summed range */
    for (const struct mira_pbuf *q = p; q && len > 0; q = q->next) {
        if (off >= q->len) {
            off -= q->len;
            continue;
        }
        size_t n = q->len - off;
        if (n > len)
            n = len;
        sum = mira_csum_partial_at(q->data + off, n, pos, sum);
        pos += n;
        len -= n;
        off = 0;
    }
    return sum;
}

/* --- ICMP --- */

static void icmp_error_input(struct tcpip_stack *s, struct mira_pbuf *p)
{
    size_t len = p->tot_len;
    if (len > MIRA_PBUF_HEADROOM_MAX)
        len = MIRA_PBUF_HEADROOM_MAX;
    uint8_t *m = mira_pbuf_pullup(&p, len);
    if (m == NULL) {
        tcpip_count_core_drop(s, TCPIP_DROP_NOMEM);
        mira_pbuf_free(p);
        return;
    }
    struct mira_icmp_msg msg;
    struct mira_icmp_quote q;
    enum mira_tcpip_drop why;
    /* Errors quote at most 576 bytes (RFC 1812): a longer one is not
     * an error we sent anything to cause. */
    if (len != p->tot_len) {
        tcpip_count_drop(s, MIRA_DROP_ICMP_QUOTE);
    } else if (mira_icmp_parse(m, len, &msg, &why) < 0 ||
               mira_icmp_parse_quote(&msg, &q, &why) < 0) {
        tcpip_count_drop(s, why);
    } else if (q.proto == MIRA_IPV4_PROTO_TCP && q.src == s->cfg.addr) {
        /* The next-hop MTU of a "fragmentation needed" (RFC 1191 4) is
         * where an echo has its sequence number. */
        uint16_t mtu = msg.type == MIRA_ICMP_DEST_UNREACH &&
                               msg.code == MIRA_ICMP_UNREACH_FRAG_NEEDED ? msg.seq : 0;
        tcpip_tcp_icmp_error(s, q.src, q.dst, msg.type, msg.code, mtu, q.data, q.data_len);
    }
    mira_pbuf_free(p);
}

/* An ICMP message from src to dst: p starts at its header. */
static void icmp_input(struct tcpip_stack *s, mira_ipv4_t src, mira_ipv4_t dst,
                       struct mira_pbuf *p)
{
    uint8_t *h = mira_pbuf_pullup(&p, MIRA_ICMP_HDR_LEN);
    if (h == NULL) {
        tcpip_count_drop(s, MIRA_DROP_ICMP_SHORT);
        mira_pbuf_free(p);
        return;
    }
    if (mira_csum_finish(tcpip_chain_sum(p, 0, p->tot_len, 0)) != 0) {
        tcpip_count_drop(s, MIRA_DROP_ICMP_CHECKSUM);
        mira_pbuf_free(p);
        return;
    }
    uint8_t type = h[MIRA_ICMP_OFF_TYPE];
    if (type == MIRA_ICMP_DEST_UNREACH || type == MIRA_ICMP_TIME_EXCEEDED ||
        type == MIRA_ICMP_SOURCE_QUENCH || type == MIRA_ICMP_PARAM_PROBLEM) {
        icmp_error_input(s, p);
        return;
    }
    if (type != MIRA_ICMP_ECHO_REQUEST || is_broadcast(s, dst)) {
        mira_pbuf_free(p);
        return;
    }
    /* The reply is the request with another type: turned round in place
     * (a copy only when another chain shares the memory). */
    if (!mira_pbuf_writable(p)) {
        struct mira_pbuf *c = tcpip_alloc(s, p->tot_len);
        if (c == NULL) {
            tcpip_count_core_drop(s, TCPIP_DROP_NOMEM);
            mira_pbuf_free(p);
            return;
        }
        for (size_t off = 0; off < p->tot_len;) {
            uint8_t chunk[512];
            size_t k = mira_pbuf_copy_out(p, off, chunk, sizeof(chunk));
            mira_pbuf_copy_in(c, off, chunk, k);
            off += k;
        }
        mira_pbuf_free(p);
        p = c;
        h = p->data;
    }
    uint16_t old_word = mira_load_be16(h);
    h[MIRA_ICMP_OFF_TYPE] = MIRA_ICMP_ECHO_REPLY;
    uint16_t check = mira_load_be16(h + MIRA_ICMP_OFF_CHECKSUM);
    mira_store_be16(h + MIRA_ICMP_OFF_CHECKSUM,
                    mira_csum_update16(check, old_word, mira_load_be16(h)));
    p->offload = (struct mira_pbuf_offload){ 0 };
    tcpip_ipv4_output(s, dst, src, MIRA_IPV4_PROTO_ICMP, p);
}

/* --- input --- */

/* A whole datagram for us, p at its payload. */
static void deliver(struct tcpip_stack *s, const struct mira_ipv4_hdr *h, struct mira_pbuf *p,
                    bool csum_valid)
{
    p->offload.flags = csum_valid ? MIRA_PBUF_CSUM_VALID : 0;
    switch (h->proto) {
    case MIRA_IPV4_PROTO_ICMP:
        icmp_input(s, h->src, h->dst, p);
        break;
    case MIRA_IPV4_PROTO_UDP:
        tcpip_udp_input(s, h->src, h->dst, p);
        break;
    case MIRA_IPV4_PROTO_TCP:
        if (is_broadcast(s, h->dst)) {
            tcpip_count_core_drop(s, TCPIP_DROP_NOT_OURS);
            mira_pbuf_free(p);
            break;
        }
        tcpip_tcp_input(s, h->src, h->dst, p);
        break;
    default:
        tcpip_count_core_drop(s, TCPIP_DROP_PROTO);
        mira_pbuf_free(p);
        break;
    }
}

/* A fragment: into the reassembler; delivers the datagram it completes. */
static void fragment_input(struct tcpip_stack *s, const struct mira_ipv4_hdr *h,
                           struct mira_pbuf *p)
{
    size_t len = mira_ipv4_payload_len(h);
    const uint8_t *payload;
    if (p->len >= len) {
        payload = p->data;
    } else {
        mira_pbuf_copy_out(p, 0, s->reass_buf, len);
        payload = s->reass_buf;
    }
    enum mira_tcpip_drop why;
    int r = mira_ipv4_reass_input(&s->reass, h, payload, (uint64_t)mira_clock_monotonic(), &why);
    mira_pbuf_free(p);
    if (r < 0) {
        tcpip_count_drop(s, why);
        return;
    }
    if (r == 0)
        return;
    struct mira_ipv4_hdr whole;
    int n = mira_ipv4_reass_take(&s->reass, &whole, s->reass_buf, MIRA_IPV4_MAX_LEN);
    if (n < 0)
        return;
    struct mira_pbuf *d = tcpip_alloc(s, (size_t)n);
    if (d == NULL) {
        tcpip_count_core_drop(s, TCPIP_DROP_NOMEM);
        return;
    }
    mira_pbuf_copy_in(d, 0, s->reass_buf, (size_t)n);
    deliver(s, &whole, d, false);
}

void tcpip_ip_input(struct tcpip_stack *s, struct mira_pbuf *p)
{
    bool csum_valid = (p->offload.flags & MIRA_PBUF_CSUM_VALID) != 0;
    size_t tot = p->tot_len;
    uint8_t *b = mira_pbuf_pullup(&p, tot < MIRA_IPV4_HDR_LEN ? tot : MIRA_IPV4_HDR_LEN);
    size_t ihl = b ? (size_t)(b[0] & 0xf) * 4 : 0;
    if (b != NULL && ihl > MIRA_IPV4_HDR_LEN && ihl <= tot)
        b = mira_pbuf_pullup(&p, ihl);
    struct mira_ipv4_hdr h;
    enum mira_tcpip_drop why;
    if (b == NULL || mira_ipv4_hdr_parse(b, tot, &h, &why) < 0) {
        tcpip_count_drop(s, b == NULL ? MIRA_DROP_IPV4_SHORT : why);
        mira_pbuf_free(p);
        return;
    }
    bool ours = s->cfg.addr != MIRA_IPV4_ANY && h.dst == s->cfg.addr;
    /* Without an address only DHCP's answers (UDP, to the address being
     * offered or to everyone) are taken. */
    bool dhcp_wait = s->dhcp != NULL && s->cfg.addr == MIRA_IPV4_ANY &&
                     h.proto == MIRA_IPV4_PROTO_UDP;
    if (!ours && !is_broadcast(s, h.dst) && !dhcp_wait) {
        tcpip_count_core_drop(s, TCPIP_DROP_NOT_OURS);
        mira_pbuf_free(p);
        return;
    }
    /* Ethernet padding after the datagram goes, then the header. */
    mira_pbuf_trim(p, h.total_len);
    mira_pbuf_pull(&p, h.hdr_len);
    if (mira_ipv4_is_fragment(&h))
        fragment_input(s, &h, p);
    else
        deliver(s, &h, p, csum_valid);
}

/* --- output --- */

/* Writes the IPv4 header for a payload of len bytes in front of *pp. */
static int push_header(struct tcpip_stack *s, struct mira_pbuf **pp, mira_ipv4_t src,
                       mira_ipv4_t dst, uint8_t proto, uint16_t id, uint16_t frag_off, bool mf)
{
    size_t len = (*pp)->tot_len;
    uint8_t *b = mira_pbuf_push(pp, MIRA_IPV4_HDR_LEN);
    if (b == NULL)
        return MIRA_ENOMEM;
    /* TCP goes with DF: path MTU discovery (RFC 1191; tcp_cb_path_mtu). */
    bool df = proto == MIRA_IPV4_PROTO_TCP && frag_off == 0 && !mf;
    struct mira_ipv4_hdr h = { .hdr_len = MIRA_IPV4_HDR_LEN, .id = id, .mf = mf, .df = df,
                               .frag_off = frag_off, .ttl = 64, .proto = proto,
                               .src = src, .dst = dst };
    if (mira_ipv4_build(b, MIRA_IPV4_HDR_LEN, &h, len) < 0)
        return MIRA_EINVAL;
    /* Offload offsets count from the packet's first byte: ours is now. */
    struct mira_pbuf_offload *o = &(*pp)->offload;
    if (o->flags & MIRA_PBUF_CSUM_PARTIAL)
        o->csum_start += MIRA_IPV4_HDR_LEN;
    if (o->gso_type != MIRA_PBUF_GSO_NONE)
        o->hdr_len += MIRA_IPV4_HDR_LEN;
    (void)s;
    return MIRA_OK;
}

/* Computes a checksum left to the device (MIRA_PBUF_CSUM_PARTIAL) here,
 * before the packet is cut into fragments the device cannot finish. */
static void finish_partial_csum(struct mira_pbuf *p)
{
    struct mira_pbuf_offload *o = &p->offload;
    if (!(o->flags & MIRA_PBUF_CSUM_PARTIAL) || o->csum_start + o->csum_offset + 2u > p->tot_len)
        return;
    /* The field holds the pseudo-header's sum, so the range's sum is all. */
    uint32_t sum = tcpip_chain_sum(p, o->csum_start, p->tot_len - o->csum_start, 0);
    uint8_t field[2];
    mira_store_be16(field, mira_csum_finish(sum));
    mira_pbuf_copy_in(p, o->csum_start + o->csum_offset, field, 2);
    o->flags &= (uint8_t)~MIRA_PBUF_CSUM_PARTIAL;
}

/* Hands one finished IPv4 packet to the link: broadcast, or through ARP. */
static int link_output(struct tcpip_stack *s, mira_ipv4_t next_hop, bool bcast,
                       struct mira_pbuf *p)
{
    if (bcast)
        return tcpip_eth_output(s, mira_eth_broadcast, MIRA_ETH_TYPE_IPV4, p);
    return tcpip_arp_output(s, next_hop, p);
}

static int drop_out(struct tcpip_stack *s, struct mira_pbuf *p, enum tcpip_core_drop why,
                    int err)
{
    mira_pbuf_free(p);
    tcpip_count_core_drop(s, why);
    return err;
}

/* p (not a GSO packet) in fragments that fit the MTU, each copied into a
 * fresh buffer.  Apart from tcpip_ip_output (and not inlined) so that its
 * copy buffer is on the stack only when fragmenting: every fiber that
 * sends runs tcpip_ip_output, and an idle connection's fiber should need
 * one stack page. */
static __attribute__((noinline)) int fragment_output(struct tcpip_stack *s, mira_ipv4_t src,
                                                     mira_ipv4_t dst, uint8_t proto,
                                                     struct mira_pbuf *p, uint16_t id,
                                                     mira_ipv4_t hop, bool bcast)
{
    size_t room = s->mtu - MIRA_IPV4_HDR_LEN;
    finish_partial_csum(p);
    /* Fragments of 8-byte multiples, each copied into a fresh buffer. */
    size_t step = room & ~(size_t)7;
    size_t total = p->tot_len;
    int err = MIRA_OK;
    for (size_t off = 0; off < total; off += step) {
        size_t n = total - off < step ? total - off : step;
        struct mira_pbuf *f = tcpip_alloc(s, n);
        if (f == NULL) {
            err = MIRA_ENOMEM;
            tcpip_count_core_drop(s, TCPIP_DROP_NOMEM);
            break;
        }
        for (size_t k = 0; k < n;) {
            uint8_t chunk[1024];
            size_t c = n - k < sizeof(chunk) ? n - k : sizeof(chunk);
            mira_pbuf_copy_out(p, off + k, chunk, c);
            mira_pbuf_copy_in(f, k, chunk, c);
            k += c;
        }
        if (push_header(s, &f, src, dst, proto, id, (uint16_t)off, off + n < total) < 0) {
            err = drop_out(s, f, TCPIP_DROP_NOMEM, MIRA_ENOMEM);
            break;
        }
        int r = link_output(s, hop, bcast, f);
        if (r < 0 && err == MIRA_OK)
            err = r;
    }
    mira_pbuf_free(p);
    return err;
}

/* As tcpip_ipv4_output; src_any: src 0.0.0.0 is sent as it is (DHCP). */
int tcpip_ip_output(struct tcpip_stack *s, mira_ipv4_t src, mira_ipv4_t dst, uint8_t proto,
                    struct mira_pbuf *p, bool src_any)
{
    if (src == MIRA_IPV4_ANY && !src_any) {
        src = s->cfg.addr;
        if (src == MIRA_IPV4_ANY)
            return drop_out(s, p, TCPIP_DROP_NO_ADDR, MIRA_EAGAIN);
    }
    if (p->tot_len > IP_MAX_PAYLOAD)
        return drop_out(s, p, TCPIP_DROP_TX, MIRA_EINVAL);
    bool bcast = is_broadcast(s, dst);
    mira_ipv4_t hop = dst;
    if (!bcast && !tcpip_ip_on_link(s, dst)) {
        hop = s->cfg.gateway;
        if (hop == MIRA_IPV4_ANY)
            return drop_out(s, p, TCPIP_DROP_NO_ROUTE, MIRA_EIO);
    }
    uint16_t id = s->ip_id++;
    size_t room = s->mtu - MIRA_IPV4_HDR_LEN;
    /* A GSO packet is cut by the device into packets that fit. */
    if (p->tot_len <= room || p->offload.gso_type != MIRA_PBUF_GSO_NONE) {
        if (push_header(s, &p, src, dst, proto, id, 0, false) < 0)
            return drop_out(s, p, TCPIP_DROP_NOMEM, MIRA_ENOMEM);
        return link_output(s, hop, bcast, p);
    }
    return fragment_output(s, src, dst, proto, p, id, hop, bcast);
}

int tcpip_ipv4_output(struct tcpip_stack *s, mira_ipv4_t src, mira_ipv4_t dst, uint8_t proto,
                      struct mira_pbuf *payload)
{
    return tcpip_ip_output(s, src, dst, proto, payload, false);
}

uint16_t tcpip_mss_for(struct tcpip_stack *s, mira_ipv4_t dst)
{
    (void)dst;
    return (uint16_t)(s->mtu - MIRA_IPV4_HDR_LEN - 20);
}
