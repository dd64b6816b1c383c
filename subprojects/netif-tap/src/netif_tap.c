/* netif_tap.c - the network interface on a Linux tap device (see
 * mira/netif_tap.h).
 *
 * The descriptor is non-blocking.  Receiving: read every frame that is
 * ready (up to the caller's count), each with readv straight into one-page
 * pieces of a packet buffer, and wait (this fiber only) for POLLIN only
 * when none is.  Sending: writev of the frame's pieces; the tap's queue
 * into the host stack is never full in practice, and when it is the frame
 * is dropped and counted, as the interface says.
 *
 * Offloads (unless --<dev>-offload=false): with IFF_VNET_HDR a virtio-net
 * header (vnet.h) goes in front of every frame each way, as one more iovec,
 * so frames may be TSO frames of up to 64 KiB with the checksum left to the
 * host (TX_CSUM, TSO4), and with TUNSETOFFLOAD (TUN_F_CSUM | TUN_F_TSO4)
 * the host sends us its checksums unfinished but vouched for (RX_CSUM) and
 * coalesced segments of up to 64 KiB.  A kernel that refuses either works
 * without it: the header and then the offloads are simply not used. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <mira/driver/netif.h>
#include <mira/log.h>
#include <mira/netif_tap.h>
#include <mira/page.h>
#include <mira/param.h>
#include <mira/runtime.h>
#include <mira/unix.h>

#include "config.h"
#include "vnet.h"

#define DRIVER "netif-tap"
/* The most pieces one frame may have on send, header included (IOV_MAX is
 * 1024). */
#define TX_IOV_MAX 64
/* Bytes of slack after the longest frame when reading, so that a longer
 * frame from the host (a larger MTU there) shows as too long, not as cut. */
#define RX_SLACK 4
/* The longest GSO frame either way: Ethernet + the longest IPv4 datagram. */
#define GSO_FRAME_MAX (MIRA_ETH_HLEN + 65535u)
/* Frames one read_frame call may drop (too short, too long, malformed)
 * before it lets the scheduler run again. */
#define RX_SKIP_MAX 64
/* One-page pieces a read may fill: the longest frame and the slack. */
#define RX_PIECES_MAX ((GSO_FRAME_MAX + RX_SLACK + MIRA_PAGE_SIZE - 1) / MIRA_PAGE_SIZE)

struct netif_tap {
    struct mira_netif dev; /* first: the runtime sees only this */
    int fd;
    char tap[IFNAMSIZ];
    bool vnet;             /* IFF_VNET_HDR: a header in front of each frame */
    bool rx_gso;           /* TUNSETOFFLOAD with TSO4: up to 64 KiB per frame read */
    /* One-page pieces for the next read; a frame takes the first of them
     * (the rest wait for the next frame, so a short frame costs one page,
     * not a 64 KiB chain freed again). */
    struct mira_pbuf *pool[RX_PIECES_MAX];
    unsigned pool_n;       /* pieces one read needs */
    /* tap_send's pieces: here, not on the sender's stack, where they would
     * take 1 KiB of every fiber that ever sends (a thousand idle TCP
     * connections' stacks one page each, not two).  tap_send never waits,
     * so one array serves every sender. */
    struct iovec tx_iov[TX_IOV_MAX];
};

MIRA_PARAM_DECLARE(tap, "*-tap", TAP_DEFAULT_NAME,
                   "the tap interface to attach to (created when missing)");
MIRA_PARAM_DECLARE(mac, "*-mac", NULL, "our MAC address (default: a random local one)");
MIRA_PARAM_DECLARE(mtu, "*-mtu", "1500", "the largest IP packet, 68 to 65521");
MIRA_PARAM_DECLARE(tun_device, "*-tun-device", TAP_DEFAULT_TUN_DEVICE,
                   "the tun/tap clone device");
MIRA_PARAM_DECLARE(offload, "*-offload", "true",
                   "use the tap's offloads (IFF_VNET_HDR: checksums, TSO, coalesced receive)");

/* The longest frame a read may bring. */
static size_t rx_max(const struct netif_tap *t)
{
    return t->rx_gso ? GSO_FRAME_MAX : t->dev.info.mtu + MIRA_ETH_HLEN;
}

/* Fills the receive pool; false when memory ran out. */
static bool pool_fill(struct netif_tap *t)
{
    for (unsigned i = 0; i < t->pool_n; i++)
        if (t->pool[i] == NULL && (t->pool[i] = mira_pbuf_alloc(MIRA_PAGE_SIZE, 0)) == NULL)
            return false;
    return true;
}

/* The first `pieces` pool pieces as one frame of len bytes; the pool
 * keeps the rest at its front. */
static struct mira_pbuf *pool_take(struct netif_tap *t, unsigned pieces, size_t len)
{
    struct mira_pbuf *head = t->pool[0];
    for (unsigned i = 1; i < pieces; i++)
        mira_pbuf_cat(head, t->pool[i]);
    for (unsigned i = 0; i < t->pool_n; i++)
        t->pool[i] = i + pieces < t->pool_n ? t->pool[i + pieces] : NULL;
    mira_pbuf_trim(head, len);
    return head;
}

/* Reads one frame; 1 (*out), 0 (none ready, or RX_SKIP_MAX dropped), or
 * MIRA_EIO. */
static int read_frame(struct netif_tap *t, struct mira_pbuf **out)
{
    for (int skipped = 0; skipped < RX_SKIP_MAX;) {
        if (!pool_fill(t)) {
            /* Take the frame off the queue all the same, or it would stay
             * there and block every later one. */
            char sink[1];
            if (read(t->fd, sink, sizeof(sink)) >= 0)
                mira_netif_count_drop(&t->dev, true, MIRA_NETIF_DROP_NOMEM);
            return 0;
        }
        uint8_t vh[TAP_VNET_HDR_LEN];
        struct iovec iov[RX_PIECES_MAX + 1];
        int n = 0;
        if (t->vnet)
            iov[n++] = (struct iovec){ vh, sizeof(vh) };
        for (unsigned i = 0; i < t->pool_n; i++)
            iov[n++] = (struct iovec){ t->pool[i]->data, t->pool[i]->len };
        ssize_t r = readv(t->fd, iov, n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            mira_log(MIRA_LOG_WARN, DRIVER, "%s: read from %s: %s", t->dev.name, t->tap,
                     strerror(errno));
            return MIRA_EIO;
        }
        skipped++; /* until the frame proves good */
        size_t hl = t->vnet ? TAP_VNET_HDR_LEN : 0;
        if ((size_t)r < hl + MIRA_ETH_HLEN) {
            mira_netif_count_drop(&t->dev, true, MIRA_NETIF_DROP_TOO_SHORT);
            continue;
        }
        size_t len = (size_t)r - hl;
        struct mira_pbuf_offload o = { 0 };
        if (t->vnet && tap_vnet_to_offload(vh, len, &o) < 0) {
            mira_netif_count_drop(&t->dev, true, MIRA_NETIF_DROP_MALFORMED);
            continue;
        }
        if (len > (o.gso_type != MIRA_PBUF_GSO_NONE ? GSO_FRAME_MAX
                                                    : t->dev.info.mtu + MIRA_ETH_HLEN)) {
            mira_netif_count_drop(&t->dev, true, MIRA_NETIF_DROP_TOO_LONG);
            continue;
        }
        struct mira_pbuf *p = pool_take(t, (unsigned)((len + MIRA_PAGE_SIZE - 1) / MIRA_PAGE_SIZE),
                                        len);
        p->offload = o;
        *out = p;
        return 1;
    }
    return 0;
}

static int tap_recv(struct mira_netif *n, struct mira_pbuf **frames, int max,
                    mira_time_t deadline)
{
    struct netif_tap *t = (struct netif_tap *)n;
    for (;;) {
        int got = 0;
        while (got < max) {
            int r = read_frame(t, &frames[got]);
            if (r < 0 && got == 0)
                return r;
            if (r <= 0)
                break;
            got++;
        }
        if (got > 0)
            return got;
        int w = mira_unix_wait_fd(t->fd, POLLIN, deadline);
        if (w < 0)
            return w;
        if (w & (POLLERR | POLLNVAL))
            return MIRA_EIO;
    }
}

/* frame gathered into one fresh buffer (more pieces than one writev
 * takes); NULL when memory runs out. */
static struct mira_pbuf *flatten(const struct mira_pbuf *frame)
{
    struct mira_pbuf *flat = mira_pbuf_alloc(frame->tot_len, 0);
    if (flat == NULL)
        return NULL;
    size_t len = frame->tot_len;
    for (size_t off = 0; off < len;) {
        uint8_t chunk[512];
        size_t k = mira_pbuf_copy_out(frame, off, chunk, sizeof(chunk));
        mira_pbuf_copy_in(flat, off, chunk, k);
        off += k;
    }
    flat->offload = frame->offload;
    return flat;
}

static int tap_send(struct mira_netif *n, struct mira_pbuf *frame)
{
    struct netif_tap *t = (struct netif_tap *)n;
    struct iovec *iov = t->tx_iov;
    uint8_t vh[TAP_VNET_HDR_LEN];
    int cnt = 0;
    if (t->vnet) {
        if (tap_vnet_from_offload(&frame->offload, frame->tot_len, vh) < 0) {
            mira_pbuf_free(frame);
            mira_netif_count_drop(n, false, MIRA_NETIF_DROP_MALFORMED);
            return MIRA_EINVAL;
        }
        iov[cnt++] = (struct iovec){ vh, sizeof(vh) };
    }
    for (struct mira_pbuf *q = frame; q; q = q->next) {
        if (q->len == 0)
            continue;
        if (cnt == TX_IOV_MAX) {
            struct mira_pbuf *flat = flatten(frame);
            mira_pbuf_free(frame);
            if (flat == NULL) {
                mira_netif_count_drop(n, false, MIRA_NETIF_DROP_NOMEM);
                return MIRA_ENOMEM;
            }
            return tap_send(n, flat);
        }
        iov[cnt++] = (struct iovec){ q->data, q->len };
    }
    ssize_t r;
    do
        r = writev(t->fd, iov, cnt);
    while (r < 0 && errno == EINTR);
    mira_pbuf_free(frame);
    if (r >= 0)
        return MIRA_OK;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
        mira_netif_count_drop(n, false, MIRA_NETIF_DROP_TX_FULL);
        return MIRA_EAGAIN;
    }
    if (errno == EINVAL) {
        /* The kernel refused our virtio-net header. */
        mira_netif_count_drop(n, false, MIRA_NETIF_DROP_MALFORMED);
        mira_log(MIRA_LOG_DEBUG, DRIVER, "%s: write to %s: %s", n->name, t->tap, strerror(errno));
        return MIRA_EIO;
    }
    /* EIO: the host has the interface down. */
    mira_netif_count_drop(n, false, MIRA_NETIF_DROP_DEVICE);
    mira_log(MIRA_LOG_DEBUG, DRIVER, "%s: write to %s: %s", n->name, t->tap, strerror(errno));
    return MIRA_EIO;
}

static int tap_wait_writable(struct mira_netif *n, mira_time_t deadline)
{
    struct netif_tap *t = (struct netif_tap *)n;
    int w = mira_unix_wait_fd(t->fd, POLLOUT, deadline);
    if (w < 0)
        return w;
    return (w & (POLLERR | POLLNVAL)) ? MIRA_EIO : MIRA_OK;
}

static void tap_close(struct mira_netif *n)
{
    struct netif_tap *t = (struct netif_tap *)n;
    for (unsigned i = 0; i < RX_PIECES_MAX; i++)
        mira_pbuf_free(t->pool[i]);
    /* A tap that outlives us must not keep sending 64 KiB frames to the
     * next program, which may not read virtio-net headers. */
    if (t->rx_gso)
        ioctl(t->fd, TUNSETOFFLOAD, 0);
    close(t->fd);
    free(t);
}

static const struct mira_netif_ops tap_ops = {
    .send = tap_send,
    .wait_writable = tap_wait_writable,
    .recv = tap_recv,
    .close = tap_close,
};

static int fail_connect(const char *name, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_connect(const char *name, int err, const char *fmt, ...)
{
    char why[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    mira_connect_error(name, DRIVER, "%s", why);
    return err;
}

/* True if interface `name` exists (in this network namespace). */
static bool interface_exists(const char *name)
{
    return if_nametoindex(name) != 0;
}

int mira_netif_tap_connect(struct mira_netif **out, const char *name)
{
    char err[512];
    struct tap_config cfg;
    if (tap_config_read(&cfg, name, mira_param, err, sizeof(err)) < 0)
        return fail_connect(name, MIRA_EINVAL, "%s", err);

    int fd = open(cfg.tun_device, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 && (errno == ENOENT || errno == ENODEV || errno == ENXIO))
        return fail_connect(name, MIRA_ENOENT, "no tun/tap clone device '%s' (--%s-tun-device): "
                            "load the tun module (modprobe tun), or in a container pass "
                            "/dev/net/tun in (docker run --device /dev/net/tun)",
                            cfg.tun_device, name);
    if (fd < 0)
        return fail_connect(name, errno == EACCES || errno == EPERM ? MIRA_EINVAL : MIRA_EIO,
                            "cannot open '%s' (--%s-tun-device): %s", cfg.tun_device, name,
                            strerror(errno));

    bool existed = interface_exists(cfg.tap);
    struct ifreq ifr = { 0 };
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (cfg.offload ? IFF_VNET_HDR : 0);
    strcpy(ifr.ifr_name, cfg.tap);
    int set = ioctl(fd, TUNSETIFF, &ifr);
    bool vnet = cfg.offload && set == 0;
    if (set < 0 && errno == EINVAL && cfg.offload) {
        /* A kernel without IFF_VNET_HDR: plain frames. */
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
        set = ioctl(fd, TUNSETIFF, &ifr);
    }
    if (set < 0) {
        int e = errno;
        close(fd);
        if (e == EPERM || e == EACCES)
            return fail_connect(name, MIRA_EINVAL, "no permission to %s tap '%s' (--%s-tap): "
                                "run as root or with CAP_NET_ADMIN (setcap cap_net_admin+ep "
                                "on the executable), or create it for your user first: "
                                "ip tuntap add %s mode tap user $USER",
                                existed ? "attach to" : "create", cfg.tap, name, cfg.tap);
        if (e == EBUSY)
            return fail_connect(name, MIRA_EINVAL, "tap '%s' (--%s-tap) is busy: another "
                                "program has it attached, or it is a tun device",
                                cfg.tap, name);
        if (e == EINVAL && existed)
            return fail_connect(name, MIRA_EINVAL, "'%s' (--%s-tap) is an interface, but not "
                                "a tap", cfg.tap, name);
        return fail_connect(name, MIRA_EIO, "TUNSETIFF '%s' (--%s-tap): %s", cfg.tap, name,
                            strerror(e));
    }

    struct netif_tap *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        close(fd);
        return MIRA_ENOMEM;
    }
    t->dev.ops = &tap_ops;
    t->dev.name = name;
    t->fd = fd;
    memcpy(t->tap, ifr.ifr_name, sizeof(t->tap));
    t->tap[IFNAMSIZ - 1] = '\0';
    if (cfg.mac_given)
        memcpy(t->dev.info.mac, cfg.mac, MIRA_ETH_ALEN);
    else
        mira_netif_random_mac(t->dev.info.mac);
    t->dev.info.mtu = cfg.mtu;
    t->dev.info.headroom = 0; /* the virtio-net header is an iovec of its own */
    int hdr_size = TAP_VNET_HDR_LEN;
    if (vnet && ioctl(fd, TUNSETVNETHDRSZ, &hdr_size) < 0)
        vnet = false; /* cannot happen once IFF_VNET_HDR is taken; be safe */
    t->vnet = vnet;
    if (vnet) {
        /* Sending with a header needs nothing more: the host takes our
         * TSO frames and unfinished checksums as a virtio device's. */
        t->dev.info.offloads = MIRA_NETIF_TX_CSUM | MIRA_NETIF_TSO4 | MIRA_NETIF_SG;
        t->dev.info.gso_max = GSO_FRAME_MAX;
        if (ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4) == 0) {
            t->rx_gso = true;
            t->dev.info.offloads |= MIRA_NETIF_RX_CSUM;
        } else if (ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM) == 0) {
            t->dev.info.offloads |= MIRA_NETIF_RX_CSUM;
        }
    } else {
        t->dev.info.offloads = MIRA_NETIF_SG;
    }
    t->pool_n = (unsigned)((rx_max(t) + RX_SLACK + MIRA_PAGE_SIZE - 1) / MIRA_PAGE_SIZE);
    const uint8_t *m = t->dev.info.mac;
    uint32_t off = t->dev.info.offloads;
    mira_log(MIRA_LOG_INFO, DRIVER, "%s: plugged into %s%s with MAC %02x:%02x:%02x:%02x:%02x:%02x, "
             "offloads:%s%s%s%s%s",
             name, t->tap, existed ? "" : " (created; bring it up on the host)",
             m[0], m[1], m[2], m[3], m[4], m[5],
             (off & MIRA_NETIF_TX_CSUM) ? " tx-csum" : "", (off & MIRA_NETIF_TSO4) ? " tso4" : "",
             (off & MIRA_NETIF_RX_CSUM) ? " rx-csum" : "", t->rx_gso ? " rx-gso" : "",
             off & ~MIRA_NETIF_SG ? "" : " none");
    *out = &t->dev;
    return MIRA_OK;
}
