/* netif_tap.c - the network interface on a Linux tap device (see
 * mira/netif_tap.h).
 *
 * The descriptor is non-blocking.  Receiving: read every frame that is
 * ready, each with readv straight into the pieces of a packet buffer, and
 * wait (this fiber only) for POLLIN only when none is.  Sending: writev of
 * the frame's pieces; the tap's queue into the host stack is never full in
 * practice, and when it is the frame is dropped and counted, as the
 * interface says.  Shaped for IFF_VNET_HDR later: the virtio-net header
 * becomes one more iovec in front of the pieces (info.headroom and the
 * offloads then say so), and a frame of up to 64 KiB a longer chain. */
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
#include <mira/param.h>
#include <mira/runtime.h>
#include <mira/unix.h>

#include "config.h"

#define DRIVER "netif-tap"
/* The most pieces one frame may have on send (IOV_MAX is 1024). */
#define TX_IOV_MAX 64
/* Bytes of slack after MTU + header when reading, so that a longer frame
 * from the host (a larger MTU there) shows as too long, not as cut. */
#define RX_SLACK 4

struct netif_tap {
    struct mira_netif dev; /* first: the runtime sees only this */
    int fd;
    char tap[IFNAMSIZ];
    struct mira_pbuf *spare; /* a receive buffer that got no frame */
};

MIRA_PARAM_DECLARE(tap, "*-tap", TAP_DEFAULT_NAME,
                   "the tap interface to attach to (created when missing)");
MIRA_PARAM_DECLARE(mac, "*-mac", NULL, "our MAC address (default: a random local one)");
MIRA_PARAM_DECLARE(mtu, "*-mtu", "1500", "the largest IP packet, 68 to 65521");
MIRA_PARAM_DECLARE(tun_device, "*-tun-device", TAP_DEFAULT_TUN_DEVICE,
                   "the tun/tap clone device");

static size_t rx_size(const struct netif_tap *t)
{
    return t->dev.info.mtu + MIRA_ETH_HLEN + RX_SLACK;
}

/* Reads one frame into a fresh buffer; 1 (*out), 0 (none ready), or
 * MIRA_EIO. */
static int read_frame(struct netif_tap *t, struct mira_pbuf **out)
{
    for (;;) {
        struct mira_pbuf *p = t->spare;
        t->spare = NULL;
        if (p == NULL)
            p = mira_pbuf_alloc(rx_size(t), 0);
        if (p == NULL) {
            /* Take the frame off the queue all the same, or it would stay
             * there and block every later one. */
            char sink[1];
            if (read(t->fd, sink, sizeof(sink)) >= 0)
                mira_netif_count_drop(&t->dev, true, MIRA_NETIF_DROP_NOMEM);
            return 0;
        }
        struct iovec iov[TX_IOV_MAX];
        int n = 0;
        for (struct mira_pbuf *q = p; q && n < TX_IOV_MAX; q = q->next)
            iov[n++] = (struct iovec){ q->data, q->len };
        ssize_t r = readv(t->fd, iov, n);
        if (r < 0) {
            t->spare = p;
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            mira_log(MIRA_LOG_WARN, DRIVER, "%s: read from %s: %s", t->dev.name, t->tap,
                     strerror(errno));
            return MIRA_EIO;
        }
        if ((size_t)r < MIRA_ETH_HLEN || (size_t)r > t->dev.info.mtu + MIRA_ETH_HLEN) {
            mira_netif_count_drop(&t->dev, true, (size_t)r < MIRA_ETH_HLEN
                                                     ? MIRA_NETIF_DROP_TOO_SHORT
                                                     : MIRA_NETIF_DROP_TOO_LONG);
            t->spare = p;
            continue;
        }
        mira_pbuf_trim(p, (size_t)r);
        *out = p;
        return 1;
    }
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

static int tap_send(struct mira_netif *n, struct mira_pbuf *frame)
{
    struct netif_tap *t = (struct netif_tap *)n;
    struct iovec iov[TX_IOV_MAX];
    int cnt = 0;
    for (struct mira_pbuf *q = frame; q; q = q->next) {
        if (q->len == 0)
            continue;
        if (cnt == TX_IOV_MAX) {
            /* More pieces than one writev takes: gather them first. */
            struct mira_pbuf *flat = mira_pbuf_alloc(frame->tot_len, 0);
            if (flat == NULL) {
                mira_pbuf_free(frame);
                mira_netif_count_drop(n, false, MIRA_NETIF_DROP_NOMEM);
                return MIRA_ENOMEM;
            }
            size_t len = frame->tot_len;
            for (size_t off = 0; off < len;) {
                uint8_t chunk[512];
                size_t k = mira_pbuf_copy_out(frame, off, chunk, sizeof(chunk));
                mira_pbuf_copy_in(flat, off, chunk, k);
                off += k;
            }
            mira_pbuf_free(frame);
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
    mira_pbuf_free(t->spare);
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
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    strcpy(ifr.ifr_name, cfg.tap);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
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
    t->dev.info.offloads = 0;
    t->dev.info.headroom = 0;
    const uint8_t *m = t->dev.info.mac;
    mira_log(MIRA_LOG_INFO, DRIVER, "%s: plugged into %s%s with MAC %02x:%02x:%02x:%02x:%02x:%02x",
             name, t->tap, existed ? "" : " (created; bring it up on the host)",
             m[0], m[1], m[2], m[3], m[4], m[5]);
    *out = &t->dev;
    return MIRA_OK;
}
