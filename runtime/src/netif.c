/* netif.c - the network interface's public functions: frames are checked
 * and counted here, the same way for every driver, around the dispatch. */
#include <mira/driver/netif.h>
#include <mira/log.h>
#include <mira/random.h>

static struct mira_netif *checked(const struct mira_netif *n, const char *fn)
{
    if (n == NULL || n->ops == NULL)
        mira_panic("%s: NULL network interface", fn);
    return (struct mira_netif *)n;
}

int mira_netif_check_frame(const struct mira_netif_info *info, size_t len, bool gso)
{
    if (len < MIRA_ETH_HLEN)
        return MIRA_EINVAL;
    if (gso)
        return (info->offloads & MIRA_NETIF_TSO4) && len <= info->gso_max ? MIRA_OK
                                                                          : MIRA_EINVAL;
    return len - MIRA_ETH_HLEN <= info->mtu ? MIRA_OK : MIRA_EINVAL;
}

void mira_netif_count_drop(struct mira_netif *n, bool rx, enum mira_netif_drop reason)
{
    if ((unsigned)reason >= MIRA_NETIF_DROP_REASONS)
        mira_panic("mira_netif_count_drop: reason %d", (int)reason);
    if (rx)
        n->stats.rx_drops[reason]++;
    else
        n->stats.tx_drops[reason]++;
}

void mira_netif_info(const struct mira_netif *n, struct mira_netif_info *info)
{
    *info = checked(n, "mira_netif_info")->info;
}

int mira_netif_send(struct mira_netif *n, struct mira_pbuf *frame)
{
    checked(n, "mira_netif_send");
    if (frame == NULL)
        mira_panic("mira_netif_send: NULL frame on %s", n->name);
    size_t len = frame->tot_len;
    bool gso = frame->offload.gso_type != MIRA_PBUF_GSO_NONE;
    if (mira_netif_check_frame(&n->info, len, gso) < 0) {
        mira_netif_count_drop(n, false, len < MIRA_ETH_HLEN ? MIRA_NETIF_DROP_TOO_SHORT
                                                            : MIRA_NETIF_DROP_TOO_LONG);
        mira_pbuf_free(frame);
        return MIRA_EINVAL;
    }
    int r = n->ops->send(n, frame);
    if (r == 0) {
        n->stats.tx_frames++;
        n->stats.tx_bytes += len;
        n->stats.tx_gso_frames += gso;
    }
    return r;
}

int mira_netif_wait_writable(struct mira_netif *n, mira_time_t deadline)
{
    return checked(n, "mira_netif_wait_writable")->ops->wait_writable(n, deadline);
}

int mira_netif_recv(struct mira_netif *n, struct mira_pbuf **frames, int max,
                    mira_time_t deadline)
{
    checked(n, "mira_netif_recv");
    if (frames == NULL || max < 1)
        mira_panic("mira_netif_recv: no room for frames on %s", n->name);
    int r = n->ops->recv(n, frames, max, deadline);
    for (int i = 0; i < r; i++) {
        n->stats.rx_frames++;
        n->stats.rx_bytes += frames[i]->tot_len;
        n->stats.rx_gso_frames += frames[i]->offload.gso_type != MIRA_PBUF_GSO_NONE;
    }
    return r;
}

void mira_netif_stats(const struct mira_netif *n, struct mira_netif_stats *st)
{
    *st = checked(n, "mira_netif_stats")->stats;
}

const char *mira_netif_drop_name(enum mira_netif_drop reason)
{
    static const char *const names[MIRA_NETIF_DROP_REASONS] = {
        [MIRA_NETIF_DROP_NOMEM] = "no-memory",
        [MIRA_NETIF_DROP_TOO_LONG] = "too-long",
        [MIRA_NETIF_DROP_TOO_SHORT] = "too-short",
        [MIRA_NETIF_DROP_TX_FULL] = "tx-full",
        [MIRA_NETIF_DROP_DEVICE] = "device-error",
        [MIRA_NETIF_DROP_MALFORMED] = "malformed",
    };
    return (unsigned)reason < MIRA_NETIF_DROP_REASONS ? names[reason] : "unknown";
}

void mira_netif_close(struct mira_netif *n)
{
    checked(n, "mira_netif_close")->ops->close(n);
}

const char *mira_netif_name(const struct mira_netif *n)
{
    return checked(n, "mira_netif_name")->name;
}

void mira_netif_random_mac(uint8_t mac[MIRA_ETH_ALEN])
{
    mira_random_bytes(mac, MIRA_ETH_ALEN);
    mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int mira_netif_parse_mac(const char *s, uint8_t mac[MIRA_ETH_ALEN])
{
    uint8_t out[MIRA_ETH_ALEN];
    for (unsigned i = 0; i < MIRA_ETH_ALEN; i++) {
        int hi = hexval(s[0]), lo = hi < 0 ? -1 : hexval(s[1]);
        if (lo < 0)
            return MIRA_EINVAL;
        out[i] = (uint8_t)(hi << 4 | lo);
        s += 2;
        if (i + 1 < MIRA_ETH_ALEN && *s++ != ':')
            return MIRA_EINVAL;
    }
    if (*s != '\0')
        return MIRA_EINVAL;
    for (unsigned i = 0; i < MIRA_ETH_ALEN; i++)
        mac[i] = out[i];
    return MIRA_OK;
}
