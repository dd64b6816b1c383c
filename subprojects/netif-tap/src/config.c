/* config.c - netif-tap's runtime parameters (see config.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mira/driver/netif.h>

#include "config.h"

int tap_config_read(struct tap_config *c, const char *dev, tap_param_fn param,
                    char *err, size_t errlen)
{
    char key[96];
    *c = (struct tap_config){ .mtu = TAP_DEFAULT_MTU, .offload = true };

    snprintf(key, sizeof(key), "%s-tap", dev);
    const char *tap = param(key, TAP_DEFAULT_NAME);
    /* A Linux interface name: 1 to 15 bytes, no '/', no space, not "." or "..". */
    size_t len = strlen(tap);
    if (len == 0 || len >= IFNAMSIZ || strpbrk(tap, "/ \t\n:") != NULL ||
        strcmp(tap, ".") == 0 || strcmp(tap, "..") == 0) {
        snprintf(err, errlen, "--%s=%s is not an interface name (1 to %d characters, "
                 "no '/', ':' or spaces)", key, tap, IFNAMSIZ - 1);
        return -1;
    }
    strcpy(c->tap, tap);

    snprintf(key, sizeof(key), "%s-tun-device", dev);
    const char *tun = param(key, TAP_DEFAULT_TUN_DEVICE);
    if (tun[0] == '\0' || strlen(tun) >= sizeof(c->tun_device)) {
        snprintf(err, errlen, "--%s needs a path (default %s)", key, TAP_DEFAULT_TUN_DEVICE);
        return -1;
    }
    strcpy(c->tun_device, tun);

    snprintf(key, sizeof(key), "%s-mac", dev);
    const char *mac = param(key, NULL);
    if (mac != NULL) {
        if (mira_netif_parse_mac(mac, c->mac) < 0 || (c->mac[0] & 1)) {
            snprintf(err, errlen, "--%s=%s is not a unicast MAC address "
                     "(e.g. 02:00:00:00:00:02)", key, mac);
            return -1;
        }
        c->mac_given = true;
    }

    snprintf(key, sizeof(key), "%s-mtu", dev);
    const char *mtu = param(key, "1500");
    char *end;
    unsigned long v = strtoul(mtu, &end, 10);
    if (mtu[0] < '0' || mtu[0] > '9' || *end != '\0' || v < TAP_MTU_MIN || v > TAP_MTU_MAX) {
        snprintf(err, errlen, "--%s=%s is not an MTU (%u to %u)", key, mtu, TAP_MTU_MIN,
                 TAP_MTU_MAX);
        return -1;
    }
    c->mtu = (uint32_t)v;

    snprintf(key, sizeof(key), "%s-offload", dev);
    const char *off = param(key, "true");
    if (strcmp(off, "true") != 0 && strcmp(off, "false") != 0) {
        snprintf(err, errlen, "--%s=%s is not true or false", key, off);
        return -1;
    }
    c->offload = strcmp(off, "true") == 0;
    return 0;
}
