#!/bin/sh
# Installs the Debian 12 packages Mira's build and tests need (as root).
# Idempotent and quiet: packages already present are not fetched again.
set -eu
PACKAGES="meson ninja-build gcc libc6-dev pkg-config python3 libcmocka-dev
libxen-dev libfdisk-dev zlib1g-dev valgrind liburing-dev fio time
iproute2 netcat-openbsd tcpdump iputils-ping util-linux
dnsmasq-base dosfstools mtools fdisk
hping3 nftables ethtool
debhelper dpkg-dev lintian debootstrap"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "ci/install-deps.sh: missing packages:$missing; run me as root" >&2
        exit 1
    fi
    echo "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing >/dev/null
fi
# The Xen test rig has its own list.
if [ -x "$(dirname "$0")/xen/install-deps.sh" ]; then
    "$(dirname "$0")/xen/install-deps.sh"
fi
