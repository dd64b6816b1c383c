#!/bin/sh
# Install the host (Debian 12) packages the Xen test rig needs.
# Idempotent and quiet: does nothing when everything is already installed.
# The dom0 packages (Xen, the dom0/guest kernel, xen-utils) are NOT installed on
# the host: ci/xen/build-dom0.sh puts them into a debootstrap tree.
set -eu

PKGS="qemu-system-x86 debootstrap cpio gzip python3 meson ninja-build gcc pkg-config libxen-dev debian-archive-keyring"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "install-deps.sh: missing packages:$missing (run as root)" >&2
    exit 1
fi
echo "install-deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
# shellcheck disable=SC2086
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing >/dev/null
