/* fuzz_tcp_conn.c - libFuzzer target that drives one TCP control block
 * (src/tcp_cb.c) with arbitrary segments, clock jumps, timer firings and
 * app calls, and checks its invariants (tcp_cb_check: sequence space
 * order, window and ring bounds, timers against the state) after every
 * step, and every segment it sends (data it holds, within its MSS,
 * options that encode and fit the peer's MSS with the data, SACK blocks
 * within the window beyond RCV.NXT, timestamps once negotiated).
 *
 * Input: byte 0 picks the ring sizes, the start (LISTEN, SYN-SENT, or
 * ESTABLISHED through a handshake), Nagle (0x40), and with 0x80 at once
 * keepalive, NewReno (else CUBIC) and a SYN-ACK offering SACK and
 * timestamps; the ISS (4 bytes; odd: TSO, cfg.seg_max 65455); then operations, one byte each with
 * their arguments:
 *   0 segment relative to the block (seq = RCV.NXT + d16, ack = SND.UNA +
 *     d16), 1 segment with absolute seq/ack: flags, window, options byte
 *     (+ MSS, shift, TSval and TSecr, SACK blocks: bits 1 2 16 32; 8
 *     SACK-permitted; 4 data length * 8), data length; 2 clock + n ms,
 *     then due timers;
 *   3 the next deadline comes; 4 app write n; 5 app read n;
 *   6 shutdown; 7 close; 8 abort. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mira/tcpip/tcp.h>

#include "../src/tcp_cb.h"

struct in {
    const uint8_t *p;
    size_t n, i;
};

static uint8_t u8(struct in *in)
{
    return in->i < in->n ? in->p[in->i++] : 0;
}

static uint16_t u16(struct in *in)
{
    uint16_t hi = u8(in);
    return (uint16_t)(hi << 8 | u8(in));
}

static uint32_t u32(struct in *in)
{
    uint32_t hi = u16(in);
    return hi << 16 | u16(in);
}

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_tcp_conn: %s\n", what);
    abort();
}

static void output(void *ctx, struct tcp_cb *cb, const struct mira_tcp_hdr *h, uint32_t off,
                   uint32_t len)
{
    (void)ctx;
    if ((uint64_t)off + len > cb->snd.len)
        fail("sent bytes the send ring does not hold");
    /* With TSO (cfg.seg_max) a segment may be a frame the device cuts
     * into snd_mss pieces, each with h's options. */
    uint32_t most = cb->cfg.seg_max > cb->snd_mss ? cb->cfg.seg_max : cb->snd_mss;
    uint32_t piece = len < cb->snd_mss ? len : cb->snd_mss;
    if (len > most)
        fail("segment above the MSS (or seg_max with TSO)");
    if ((h->flags & MIRA_TCP_SYN) && len > 0)
        fail("data on our SYN");
    /* A keepalive probe (RFC 1122 4.2.3.6) is the one segment below
     * SND.UNA: SND.NXT - 1, a bare ACK, nothing outstanding. */
    bool probe = cb->ka_on && h->flags == MIRA_TCP_ACK && len == 0 &&
                 h->seq == cb->snd_nxt - 1 && cb->snd_una == cb->snd_max;
    if (!(h->flags & MIRA_TCP_RST) && cb->state != TCP_LISTEN && !probe &&
        (tcp_seq_lt(h->seq, cb->snd_una) || tcp_seq_gt(h->seq, cb->snd_max)))
        fail("segment outside [SND.UNA, SND.MAX]");
    static uint8_t wire[MIRA_TCP_MAX_HDR_LEN + 65536];
    int olen = mira_tcp_options_len(&h->opts);
    if (olen < 0)
        fail("options that do not encode");
    if (!(h->flags & (MIRA_TCP_SYN | MIRA_TCP_RST))) {
        if (len > 0 && piece + (uint32_t)olen > cb->peer_mss)
            fail("data and options beyond the peer's MSS (in a TSO frame's pieces)");
        if (cb->ts_ok != ((h->opts.present & MIRA_TCP_HAS_TS) != 0))
            fail("timestamps on a segment iff negotiated");
        if ((h->opts.present & MIRA_TCP_HAS_SACK) && !cb->sack_ok)
            fail("SACK blocks without SACK-permitted");
        for (unsigned i = 0; (h->opts.present & MIRA_TCP_HAS_SACK) && i < h->opts.sack_count; i++)
            if (!tcp_seq_gt(h->opts.sack[i].left, h->ack) ||
                !tcp_seq_lt(h->opts.sack[i].left, h->opts.sack[i].right) ||
                tcp_seq_gt(h->opts.sack[i].right, cb->rcv_adv))
                fail("a SACK block outside (RCV.NXT, RCV.ADV]");
    }
    tcp_ring_copy_out(&cb->snd, off, wire + MIRA_TCP_HDR_LEN + olen, len);
    if (mira_tcp_build(wire, sizeof(wire), h, 1, 2, len) < 0)
        fail("segment that does not build");
}

static uint8_t sndbuf[70000], rcvbuf[70000], data[1024], scratch[70000];

static void segment(struct tcp_cb *cb, struct in *in, bool relative, mira_time_t now)
{
    struct mira_tcp_hdr h = { .sport = cb->dport, .dport = cb->sport };
    if (relative) {
        h.seq = cb->rcv_nxt + (uint32_t)(int32_t)(int16_t)u16(in);
        h.ack = cb->snd_una + (uint32_t)(int32_t)(int16_t)u16(in);
    } else {
        h.seq = u32(in);
        h.ack = u32(in);
    }
    h.flags = u8(in);
    h.window = u16(in);
    uint8_t o = u8(in);
    if (o & 1) {
        h.opts.present |= MIRA_TCP_HAS_MSS;
        h.opts.mss = u16(in);
    }
    if (o & 2) {
        h.opts.present |= MIRA_TCP_HAS_WSCALE;
        h.opts.wscale = u8(in) % 15;
    }
    if (o & 8)
        h.opts.present |= MIRA_TCP_HAS_SACK_PERM;
    if (o & 16) {
        /* Near what PAWS compares with, or anywhere. */
        h.opts.present |= MIRA_TCP_HAS_TS;
        h.opts.ts_val = relative ? cb->ts_recent + (uint32_t)(int32_t)(int16_t)u16(in) : u32(in);
        h.opts.ts_ecr = relative ? cb->ts_offset + (uint32_t)(now / MIRA_MILLISECONDS(1)) -
                                       u16(in)
                                 : u32(in);
    }
    if (o & 32) {
        /* Around SND.UNA .. SND.MAX, or anywhere. */
        h.opts.present |= MIRA_TCP_HAS_SACK;
        h.opts.sack_count = (uint8_t)(u8(in) % MIRA_TCP_MAX_SACK_BLOCKS + 1);
        for (unsigned i = 0; i < h.opts.sack_count; i++) {
            if (relative) {
                uint32_t l = cb->snd_una + (uint32_t)(int32_t)(int16_t)u16(in);
                h.opts.sack[i] = (struct mira_tcp_sack_block){ l, l + u16(in) };
            } else {
                uint32_t l = u32(in);
                h.opts.sack[i] = (struct mira_tcp_sack_block){ l, u32(in) };
            }
        }
    }
    size_t len = (size_t)u8(in) * ((o & 4) ? 8 : 1);
    if (len > sizeof(data))
        len = sizeof(data);
    for (size_t i = 0; i < len; i++)
        data[i] = (uint8_t)(h.seq + i);
    h.data = data;
    h.data_len = len;
    tcp_cb_input(cb, &h, now);
}

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
    struct in in = { p, n, 0 };
    uint8_t mode = u8(&in);
    static const uint32_t caps[4] = { 1, 1000, 4096, 70000 };
    struct tcp_config cfg;
    tcp_config_default(&cfg);
    cfg.max_retries = 4;
    cfg.max_syn_retries = 2;
    cfg.nodelay = (mode & 0x40) != 0;
    cfg.cc = (mode & 0x80) ? TCP_CC_NEWRENO : TCP_CC_CUBIC;
    /* TSO (frames of up to 65455 bytes) with an odd ISS. */
    uint32_t iss = u32(&in);
    cfg.seg_max = (iss & 1) ? 65535u - 80u : 0;
    struct tcp_cb cb;
    tcp_cb_init(&cb, &cfg, 80, 4321, sndbuf, caps[(mode >> 2) & 3], rcvbuf, caps[(mode >> 4) & 3],
                output, NULL);
    mira_time_t now = MIRA_SECONDS(1000);
    switch (mode % 3) {
    case 0:
        tcp_cb_listen(&cb, iss);
        break;
    case 1:
        tcp_cb_connect(&cb, iss, now);
        break;
    default: {
        tcp_cb_connect(&cb, iss, now);
        struct mira_tcp_hdr sa = { .sport = 4321, .dport = 80, .seq = u32(&in), .ack = iss + 1,
                                   .flags = MIRA_TCP_SYN | MIRA_TCP_ACK, .window = 65535 };
        sa.opts.present = MIRA_TCP_HAS_MSS | MIRA_TCP_HAS_WSCALE;
        sa.opts.mss = 1460;
        sa.opts.wscale = 7;
        if (mode & 0x80) {
            sa.opts.present |= MIRA_TCP_HAS_SACK_PERM | MIRA_TCP_HAS_TS;
            sa.opts.ts_val = u32(&in);
            sa.opts.ts_ecr = cb.ts_offset + (uint32_t)(now / MIRA_MILLISECONDS(1));
        }
        tcp_cb_input(&cb, &sa, now);
        break;
    }
    }
    if (mode & 0x80) /* keepalive: probes after 1 s idle, 1 s apart, 3 */
        tcp_cb_set_keepalive(&cb, true, MIRA_SECONDS(1), MIRA_SECONDS(1), 3, now);
    for (int step = 0; step < 4000 && in.i < in.n; step++) {
        uint8_t op = u8(&in) % 9;
        switch (op) {
        case 0:
        case 1:
            segment(&cb, &in, op == 0, now);
            break;
        case 2:
            now += MIRA_MILLISECONDS(u16(&in));
            while (tcp_cb_deadline(&cb) <= now)
                tcp_cb_timer(&cb, now);
            break;
        case 3:
            if (tcp_cb_deadline(&cb) != MIRA_TIME_NEVER) {
                if (tcp_cb_deadline(&cb) > now)
                    now = tcp_cb_deadline(&cb);
                tcp_cb_timer(&cb, now);
            }
            break;
        case 4: {
            size_t len = u16(&in);
            if (len > sizeof(scratch))
                len = sizeof(scratch);
            long w = tcp_cb_write(&cb, scratch, len, now);
            if (w > (long)len)
                fail("write took more than given");
            break;
        }
        case 5: {
            size_t len = u16(&in);
            if (len > sizeof(scratch))
                len = sizeof(scratch);
            uint32_t before = tcp_cb_readable(&cb);
            size_t r = tcp_cb_read(&cb, scratch, len, now);
            if (r > len || r > before)
                fail("read more than there was");
            break;
        }
        case 6:
            tcp_cb_shutdown(&cb, now);
            break;
        case 7:
            tcp_cb_close(&cb, now);
            break;
        default:
            tcp_cb_abort(&cb);
            break;
        }
        const char *bad = tcp_cb_check(&cb);
        if (bad != NULL)
            fail(bad);
        if (tcp_cb_deadline(&cb) < now)
            fail("a deadline in the past left armed");
    }
    return 0;
}
