#!/bin/bash
# Build the Xen test rig's dom0 image from Debian 12 packages.
#   build-dom0.sh OUTDIR
# Produces in OUTDIR (created atomically, via OUTDIR.tmp.<pid>):
#   xen.elf      Xen 4.17 hypervisor (multiboot ELF, from xen-hypervisor-4.17-amd64)
#   vmlinuz      Debian's kernel: dom0 kernel and Linux guest kernel
#   dom0.cpio    dom0 root filesystem (newc cpio, uncompressed)
#   guest-kit/   busybox + Xen frontend modules, for Linux test guests' initramfs
#   MANIFEST     versions and sizes
# ci/xen/rig calls this when no cache entry exists for the hash of this
# script + dom0-packages.txt. Needs root, debootstrap, cpio, ~3 GiB free.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build-dom0.sh OUTDIR}
suite=bookworm
need_kb=$((3 * 1024 * 1024))

die() { echo "build-dom0: error: $*" >&2; exit 1; }
log() { echo "build-dom0: $*" >&2; }

# The mirror: MIRA_DEBIAN_MIRROR, else the one this machine's apt uses for
# the suite (apt-mirror.sh says why when there is none).
if [ -n "${MIRA_DEBIAN_MIRROR:-}" ]; then
    mirror=$MIRA_DEBIAN_MIRROR
else
    mirror=$("$here/apt-mirror.sh" "$suite") || exit 1
fi

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap)"
for t in debootstrap cpio zcat; do
    command -v "$t" >/dev/null || die "missing tool '$t': run ci/xen/install-deps.sh"
done
mkdir -p "$(dirname "$out")"
avail=$(df -Pk "$(dirname "$out")" | awk 'NR==2 {print $4}')
[ "$avail" -ge "$need_kb" ] || die "not enough free disk in $(dirname "$out"): $((avail / 1024)) MiB free, need $((need_kb / 1024)) MiB"

tmp="$out.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
root="$tmp/root"

pkgs=$(grep -v '^\s*#' "$here/dom0-packages.txt" | tr -s ' \n' ',' | sed 's/^,//; s/,$//')
log "debootstrap $suite from $mirror ($pkgs)"
t0=$(date +%s)
# INITRD=No: the kernel's postinst hook does not build an initramfs we never use.
if ! INITRD=No debootstrap --variant=minbase --include="$pkgs" "$suite" "$root" "$mirror" \
        >"$tmp/debootstrap.log" 2>&1; then
    tail -n 30 "$tmp/debootstrap.log" >&2
    [ -f "$root/debootstrap/debootstrap.log" ] && tail -n 30 "$root/debootstrap/debootstrap.log" >&2
    die "debootstrap failed (see above)"
fi
log "debootstrap done in $(( $(date +%s) - t0 )) s"

xengz=$(ls "$root"/boot/xen-4.17-amd64.gz 2>/dev/null | head -n1) || true
[ -n "$xengz" ] || die "no /boot/xen-4.17-amd64.gz in the tree"
zcat "$xengz" >"$tmp/xen.elf"
vmlinuz=$(ls "$root"/boot/vmlinuz-* | sort -V | tail -n1)
kver=${vmlinuz##*/vmlinuz-}
cp "$vmlinuz" "$tmp/vmlinuz"
grep -E '^CONFIG_(XEN_PVH|HVC_XEN|XEN_BLKDEV_FRONTEND|XEN_NETDEV_FRONTEND)=' \
    "$root/boot/config-$kver" >"$tmp/config.txt" || true

# Kernel modules: keep only what dom0 (and the Linux test guests) need.
dom0_mods="xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs xen-blkback xen-netback bridge loop tun virtio_pci virtio_blk"
# vfat and its code pages: the Linux reference of the FAT benchmark mounts
# a FAT image (tests/xen/guests/fatread).
guest_mods="xen-blkfront xen-netfront vfat nls_cp437 nls_utf8"
moddir="$root/lib/modules/$kver"
keep="$tmp/keep.txt"
: >"$keep"
for m in $dom0_mods $guest_mods; do
    # --show-depends prints "insmod /path" per module (deps first); builtins print "builtin".
    chroot "$root" modprobe -S "$kver" --show-depends "$m" 2>/dev/null | awk '$1 == "insmod" {print $2}' >>"$keep" || true
done
sort -u -o "$keep" "$keep"
find "$moddir/kernel" -name '*.ko*' | sed "s|^$root||" | sort >"$tmp/all.txt"
comm -23 "$tmp/all.txt" "$keep" | sed "s|^|$root|" | xargs -r rm -f
find "$moddir/kernel" -type d -empty -delete
chroot "$root" depmod "$kver"

# Guest kit: busybox + the frontend modules (and their deps), loaded in order.
kit="$tmp/guest-kit"
mkdir -p "$kit/bin" "$kit/lib/modules"
cp "$root/bin/busybox" "$kit/bin/busybox"
: >"$kit/lib/modules/load-order"
for m in $guest_mods; do
    for ko in $(chroot "$root" modprobe -S "$kver" --show-depends "$m" | awk '$1 == "insmod" {print $2}'); do
        b=$(basename "$ko")
        [ -f "$kit/lib/modules/$b" ] && continue
        cp "$root$ko" "$kit/lib/modules/$b"
        echo "$b" >>"$kit/lib/modules/load-order"
    done
done

# Trim what dom0 never reads.
rm -rf "${root:?}"/boot/* "$root"/usr/share/doc "$root"/usr/share/man "$root"/usr/share/info \
       "$root"/usr/share/locale "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* \
       "$root"/lib/firmware "$root"/usr/lib/firmware "$root"/debootstrap

(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) >"$tmp/dom0.cpio"

{
    echo "built: $(date -u +%FT%TZ)"
    echo "kernel: $kver"
    echo "xen: $(chroot "$root" dpkg-query -W -f='${Version}' xen-hypervisor-4.17-amd64 2>/dev/null || echo '?')"
    echo "dom0.cpio: $(du -m "$tmp/dom0.cpio" | cut -f1) MiB"
    echo "guest-kit modules: $(tr '\n' ' ' <"$kit/lib/modules/load-order")"
    cat "$tmp/config.txt"
} >"$tmp/MANIFEST"
rm -rf "$root" "$tmp/config.txt" "$tmp/keep.txt" "$tmp/all.txt"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
log "built $out in $(( $(date +%s) - t0 )) s"
cat "$out/MANIFEST" >&2
