/* config.h - netif-tap's runtime parameters, parsed apart from any I/O so
 * that unit tests can check every accepted and refused value. */
#ifndef NETIF_TAP_CONFIG_H
#define NETIF_TAP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>

#define TAP_DEFAULT_NAME "tap0"
#define TAP_DEFAULT_TUN_DEVICE "/dev/net/tun"
#define TAP_DEFAULT_MTU 1500u
/* The MTU's bounds: IPv4's minimum, and what fits one 64 KiB frame. */
#define TAP_MTU_MIN 68u
#define TAP_MTU_MAX 65521u

struct tap_config {
    char tap[IFNAMSIZ];     /* <device>-tap */
    char tun_device[4096];  /* <device>-tun-device */
    uint8_t mac[6];         /* <device>-mac */
    bool mac_given;         /* false: the driver picks a random one */
    uint32_t mtu;           /* <device>-mtu */
    bool offload;           /* <device>-offload: ask for IFF_VNET_HDR and offloads */
};

/* How a parameter is looked up: mira_param in the driver, a table in tests. */
typedef const char *(*tap_param_fn)(const char *key, const char *dflt);

/* tap_config_read: fills c from the parameters of device dev.  Returns 0,
 * or -1 with a one-line message naming the parameter in err. */
int tap_config_read(struct tap_config *c, const char *dev, tap_param_fn param,
                    char *err, size_t errlen);

#endif
