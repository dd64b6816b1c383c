#!/bin/bash
# The packages in use, with no source tree (issue 12):
#   tests/packaging/out_of_tree.sh [--part PART]... [--no-build] [--no-rig]
# PARTs, in order (all by default; meson runs each as a test of the suite
# packaging, tests/packaging/meson.build): build (1), root (2-6), rig
# (7), subproject (8).  A later part uses what the earlier ones left in
# packages/out and packages/work/test.
# 1. packages/build: every .deb, lintian without errors (--no-build: the
#    .debs already in packages/out/).
# 2. A fresh root (debootstrap minbase + tests/packaging/root-packages.txt,
#    cached like the Xen rig's dom0 in $MIRA_PACKAGING_CACHE, default
#    /var/cache/mira/packaging-root, by a hash of that list and this
#    script), unpacked anew each run; the .debs installed there with dpkg -i.
# 3. There: pkg-config --cflags --libs of every .pc of every package; the
#    xen flavour's flags reach Xen's headers and Mira's, and no header
#    resolves in /usr/include outside /usr/include/mira-xen (cc -M); no
#    build path in any .pc.
# 4. There: packages/example-app built for unix (run: its console lines)
#    and xen (kernel + .xl); its main.c and mira_app.h are what the tree's
#    mira-gen writes; a unikernel_start that does not match the devices is
#    the compile error "conflicting types for 'unikernel_start'".
# 5. There: each driver's `meson dist` tarball (made from its folder in
#    this tree) unpacked, built and tested against the installed runtime.
# 6. The tree's `meson install` (packages/out/tree-install.txt) holds no
#    file the packages lack.
# 7. The xen build of the app booted in the Xen rig (--no-rig: not).
# 8. On this machine, the same app with Mira as a Meson subproject (a
#    local checkout: subprojects/mira -> this tree, with a mira.wrap
#    providing the dependencies), built for both targets, the unix one run.
# Needs root (debootstrap, chroot, mounts; else skipped).  Ends with "packaging: ok" or
# "FAIL: ..." and a non-zero status.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tree=$(cd "$here/../.." && pwd)
all_parts="build root rig subproject"
parts=""
skip=""
while [ $# -gt 0 ]; do
    case $1 in
        --part)
            case " $all_parts " in *" ${2:-} "*) ;; *) echo "FAIL: --part takes one of: $all_parts" >&2; exit 2 ;; esac
            parts="$parts $2"; shift ;;
        --no-build) skip="$skip build" ;;
        --no-rig) skip="$skip rig" ;;
        *) echo "usage: $0 [--part build|root|rig|subproject]... [--no-build] [--no-rig]" >&2; exit 2 ;;
    esac
    shift
done
[ -n "$parts" ] || parts=$all_parts
want() { # want PART: it is asked for and not skipped
    case " $parts " in *" $1 "*) ;; *) return 1 ;; esac
    case " $skip " in *" $1 "*) return 1 ;; esac
}
cache=${MIRA_PACKAGING_CACHE:-/var/cache/mira/packaging-root}
work="$tree/packages/work/test"
mkdir -p "$work"
debs="$tree/packages/out"
t_start=$(date +%s)
timing=""

step() { echo "=== $*"; }
fail() { echo "FAIL: $*"; exit 1; }
lap() { # lap NAME T0: record the seconds since T0
    timing="$timing $1=$(( $(date +%s) - $2 ))s"
}

# Not root: skipped (status 77, as meson counts it).
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (debootstrap, chroot, mounts)"; exit 77; }

# --- 1. the packages ---
if want build; then
    step "packages/build"
    t0=$(date +%s)
    "$tree/packages/build" || fail "packages/build (its log above)"
    lap build "$t0"
    step "a package for every folder of subprojects/"
    python3 "$here/walk.py" "$tree" --debs "$debs" || fail "a driver without its package (above)"
fi
ls "$debs"/*.deb >/dev/null 2>&1 || fail "no .deb in $debs: run packages/build (--part build)"

if want root; then
pkgwork=$(ls -d "$tree"/packages/work/mira-*/ 2>/dev/null | head -n 1)
[ -n "$pkgwork" ] && [ -d "$pkgwork/b/unix/meson-uninstalled" ] ||
    fail "no runtime build in packages/work/mira-*/: run packages/build (--part build)"
rm -rf "$work/xen"

# --- 2. the fresh root ---
key=$( (cat "$here/root-packages.txt"; sed -n '/^# --- root cache ---$/,/^# --- end root cache ---$/p' "$0") |
    sha256sum | cut -c1-16)
# --- root cache ---
entry="$cache/$key"
mkdir -p "$cache"
t0=$(date +%s)
(
    flock 9
    if [ ! -f "$entry/root.tar" ]; then
        if [ -n "${MIRA_DEBIAN_MIRROR:-}" ]; then
            mirror=$MIRA_DEBIAN_MIRROR
        else
            mirror=$("$tree/ci/xen/apt-mirror.sh" bookworm) || exit 1
        fi
        command -v debootstrap >/dev/null || { echo "debootstrap missing: apt-get install debootstrap" >&2; exit 1; }
        pkgs=$(grep -v '^\s*#' "$here/root-packages.txt" | tr -s ' \n' ',' | sed 's/^,//; s/,$//')
        tmp="$entry.tmp.$$"
        rm -rf "$tmp"
        mkdir -p "$tmp"
        echo "packaging: debootstrap bookworm from $mirror (cache $entry)"
        if ! debootstrap --variant=minbase --include="$pkgs" bookworm "$tmp/root" "$mirror" \
                >"$tmp/debootstrap.log" 2>&1; then
            tail -n 20 "$tmp/debootstrap.log" >&2
            exit 1
        fi
        rm -rf "$tmp/root"/var/cache/apt/archives/*.deb "$tmp/root"/var/lib/apt/lists/*
        tar -C "$tmp/root" -cf "$tmp/root.tar" .
        rm -rf "$tmp/root" "$entry"
        mv "$tmp" "$entry"
    fi
) 9>"$cache/.lock" || fail "could not make the root (see above)"
# --- end root cache ---
lap root-cache "$t0"
# Used now; roots of other package lists unused for 14 days go (as the Xen
# rig prunes its dom0 cache).
touch "$entry"
find "$cache" -mindepth 1 -maxdepth 1 -type d -name '????????????????' ! -name "$key" -mtime +14 \
    -exec rm -rf {} + 2>/dev/null || true

root="$work/root"
cleanup() {
    for m in "$root/dev" "$root/proc"; do
        mountpoint -q "$m" 2>/dev/null && umount -l "$m"
    done
    rm -rf "$root"
}
trap cleanup EXIT
cleanup
mkdir -p "$root"
t0=$(date +%s)
tar -C "$root" -xf "$entry/root.tar"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
lap root-unpack "$t0"
in_root() { chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 sh -c "$1"; }
[ ! -e "$root$tree" ] || fail "the root holds the source tree"

step "dpkg -i $(cd "$debs" && echo *.deb)"
mkdir -p "$root/tmp/debs"
cp "$debs"/*.deb "$root/tmp/debs/"
in_root 'dpkg -i /tmp/debs/*.deb >/tmp/dpkg.log 2>&1' ||
    { cat "$root/tmp/dpkg.log"
      fail "dpkg -i in the fresh root: $(grep -m1 -A1 ' depends on ' "$root/tmp/dpkg.log" | tr -s ' \n' ' ')"; }

# --- 3. pkg-config of every package, the xen flavour's include path ---
step "pkg-config --cflags --libs of every .pc"
for deb in "$debs"/*.deb; do
    pkg=$(dpkg-deb -f "$deb" Package)
    pcs=$(dpkg-deb -c "$deb" | awk '{print $NF}' | sed -n 's|.*/pkgconfig/\(.*\)\.pc$|\1|p')
    [ -n "$pcs" ] || fail "$pkg holds no .pc file"
    # Each package holds the .pc of its own name (mira-<subproject>,
    # mira-runtime): an app asks for the driver by its folder's name.
    echo "$pcs" | grep -qx "$pkg" || fail "$pkg holds no $pkg.pc (only: $(echo $pcs))"
    for pc in $pcs; do
        flags=$(in_root "pkg-config --cflags --libs $pc") || fail "pkg-config --cflags --libs $pc ($pkg)"
        echo "$pc: $flags"
    done
done
if grep -l "$tree\|/packages/work/" "$root"/usr/lib/x86_64-linux-gnu/pkgconfig/mira*.pc; then
    fail "a build path in the .pc files above"
fi
for allow in "" "PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 "; do
    flags=$(in_root "${allow}pkg-config --cflags mira-console-xen mira-crunch-xen")
    case " $flags " in *" -I/usr/include "*) fail "${allow}xen cflags reach /usr/include: $flags" ;; esac
done
cat >"$root/tmp/guest_ok.c" <<'EOF'
#include <mira/console.h>
#include <mira/crunch.h>
#include <mira/xen/shared_ring.h>
#include <xen/io/blkif.h>
#include <string.h>
#include <stdint.h>
int f(void) { return (int)strlen("x") + (int)sizeof(blkif_request_t); }
EOF
in_root 'cc $(pkg-config --cflags mira-console-xen mira-crunch-xen) -c /tmp/guest_ok.c -o /tmp/guest_ok.o' ||
    fail "a guest source using Mira's and Xen's headers does not compile with the xen flags"
# Where each header resolves (-M, paths as found, not canonicalized; -MG
# lists a header not found by its bare name):
# with the xen flags nothing may come from /usr/include itself - glibc's
# <sys/socket.h>, zlib's <zlib.h> - only through the guest's directory
# (/usr/include/mira-xen, its link mira) and the Xen link.
printf '#include <mira/console.h>\n#include <xen/xen.h>\n#include <sys/socket.h>\n#include <zlib.h>\n' \
    >"$root/tmp/guest_probe.c"
for allow in "" "PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 "; do
    deps=$(in_root "cc \$(${allow}pkg-config --cflags mira-console-xen mira-crunch-xen) -M -MG -fno-canonical-system-headers /tmp/guest_probe.c" |
        tr ' \\' '\n\n' | grep -v '^$') || fail "cc -M with the xen flags"
    leaked=$(echo "$deps" | grep '^/usr/include/' | grep -v '^/usr/include/mira-xen/' || true)
    [ -z "$leaked" ] || fail "${allow}the xen flags reach /usr/include: $leaked"
    echo "$deps" | grep -qx 'sys/socket.h' || fail "<sys/socket.h> found with the xen flags"
    echo "$deps" | grep -q '/mira/xen/include/xen/xen.h$' || fail "<xen/xen.h> not through Mira's link"
done
echo "xen flags: Mira's, Xen's and the guest libc's headers compile; nothing resolves in /usr/include outside mira-xen"

# --- 4. the example app, both targets ---
step "packages/example-app in the root: unix"
rm -rf "$root/root/app"
cp -r "$tree/packages/example-app" "$root/root/app"
[ ! -e "$root/root/app/subprojects" ] || fail "the example app has a subprojects/ folder"
t0=$(date +%s)
in_root 'cd /root/app && meson setup bu -Dtarget=unix >/tmp/setup-unix.log 2>&1 || { cat /tmp/setup-unix.log; exit 1; }
         ninja -C bu >/tmp/ninja-unix.log 2>&1 || { cat /tmp/ninja-unix.log; exit 1; }' || fail "example app: unix build"
in_root 'cd /root/app && ./bu/hello' >"$work/hello-unix.out" 2>&1 || fail "example app: ./bu/hello exited $?"
cat "$work/hello-unix.out"
for line in 'hello from outside the tree (1/3)' 'hello from outside the tree (3/3)' 'bye'; do
    grep -qF "$line" "$work/hello-unix.out" || fail "example app (unix): no line '$line'"
done
step "packages/example-app in the root: xen"
in_root 'cd /root/app && meson setup bx -Dtarget=xen >/tmp/setup-xen.log 2>&1 || { cat /tmp/setup-xen.log; exit 1; }
         ninja -C bx >/tmp/ninja-xen.log 2>&1 || { cat /tmp/ninja-xen.log; exit 1; }' || fail "example app: xen build"
lap app "$t0"
[ -f "$root/root/app/bx/hello.xen" ] && [ -f "$root/root/app/bx/hello.xl" ] || fail "no hello.xen and hello.xl"
head -c 4 "$root/root/app/bx/hello.xen" | grep -q ELF || fail "hello.xen is not an ELF file"
cat "$root/root/app/bx/hello.xl"

step "the same main.c and mira_app.h as the tree's mira-gen"
gen="$pkgwork/b/unix/runtime/gen/mira-gen"
for t in unix xen; do
    b=$([ $t = unix ] && echo bu || echo bx)
    exe=$([ $t = unix ] && echo hello || echo hello.xen)
    drv=$([ $t = unix ] && echo console-unix || echo console-xen)
    rm -rf "$work/gen-$t"
    mkdir -p "$work/gen-$t"
    "$gen" --app hello --target $t --out-dir "$work/gen-$t" --kernel "/root/app/$b/$exe" \
        "console0:console:$drv"
    for f in main.c mira_app.h; do
        cmp "$work/gen-$t/$f" "$root/root/app/$b/$f" || fail "$t: $f differs from the tree's mira-gen"
    done
done
cmp "$work/gen-xen/hello.xl" "$root/root/app/bx/hello.xl" || fail "hello.xl differs from the tree's mira-gen"
echo "main.c, mira_app.h (and hello.xl) identical"

step "a unikernel_start that does not match the devices"
for t in unix xen; do
    rm -rf "$root/root/bad"
    cp -r "$tree/packages/example-app" "$root/root/bad"
    sed -i 's/int unikernel_start(struct mira_console \*c)/int unikernel_start(struct mira_console *c, int extra)/' \
        "$root/root/bad/unikernel.c"
    grep -q 'int extra' "$root/root/bad/unikernel.c" || fail "could not make the mismatching app"
    if in_root "cd /root/bad && meson setup b -Dtarget=$t >/dev/null && ninja -C b" >"$work/bad-$t.log" 2>&1; then
        fail "$t: a mismatching unikernel_start compiled"
    fi
    grep -E "conflicting types for .unikernel_start." "$work/bad-$t.log" || fail "$t: no 'conflicting types' error"
done

# --- 5. each driver's dist tarball, built and tested in the root ---
step "meson dist of each driver, built and tested against the installed runtime"
t0=$(date +%s)
mkdir -p "$root/root/dist"
rt_pc="$pkgwork/b/unix/meson-uninstalled:$pkgwork/b/xen/meson-uninstalled"
for d in $(grep -v '^\s*#' "$tree/packages/drivers.txt" | awk -F'|' 'NF == 3 {gsub(/ /, "", $1); print $1}'); do
    rm -rf "$work/dist-$d"
    PKG_CONFIG_PATH=$rt_pc meson setup "$work/dist-$d" "$tree/subprojects/$d" >"$work/dist-$d.log" 2>&1 &&
        meson dist -C "$work/dist-$d" --no-tests --formats gztar --allow-dirty >>"$work/dist-$d.log" 2>&1 ||
        { cat "$work/dist-$d.log"; fail "meson dist of $d"; }
    tarball=$(ls "$work/dist-$d"/meson-dist/*.tar.gz)
    cp "$tarball" "$root/root/dist/"
    name=$(basename "$tarball" .tar.gz)
    in_root "cd /root/dist && tar -xzf $name.tar.gz && cd $name && meson setup b >/tmp/d.log 2>&1 &&
             ninja -C b >>/tmp/d.log 2>&1 && meson test -C b --print-errorlogs >>/tmp/d.log 2>&1 ||
             { cat /tmp/d.log; exit 1; }" || fail "$d: its dist tarball does not build and pass its tests"
    echo "$d: $(basename "$tarball") built; its tests: $(grep -c ' OK ' "$root/tmp/d.log" || true) ok"
done
lap dists "$t0"

# --- 6. the tree's install against the packages ---
step "meson install of the tree against the packages' files"
for deb in "$debs"/*.deb; do
    dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' | sed 's|^\./|./|'
done | sort -u >"$work/package-files.txt"
missing=$(comm -23 "$debs/tree-install.txt" "$work/package-files.txt")
[ -z "$missing" ] || fail "the tree installs files no package holds: $missing"
echo "every file of the tree's install is in a package ($(wc -l <"$debs/tree-install.txt") files)"
extra=$(comm -13 "$debs/tree-install.txt" "$work/package-files.txt" | grep -v '^\./usr/share/doc/' || true)
[ -z "$extra" ] || fail "the packages hold files the tree's install (unix + xen) does not: $(echo $extra)"
echo "and every file of the packages (less /usr/share/doc) is in the tree's install"

# The xen build for the rig part.
mkdir -p "$work/xen"
cp "$root/root/app/bx/hello.xen" "$root/root/app/bx/hello.xl" "$work/xen/"
cleanup
trap - EXIT
fi # want root

# --- 7. the xen build in the rig ---
if want rig; then
    step "hello.xen booted in the Xen rig"
    t0=$(date +%s)
    [ -f "$work/xen/hello.xen" ] && [ -f "$work/xen/hello.xl" ] ||
        fail "no hello.xen from the packaged root: its part (--part root) failed or did not run"
    "$tree/ci/xen/rig" --out "$work/rig-out" \
        --guest hello-packaged --kernel "$work/xen/hello.xen" --xl "$work/xen/hello.xl" \
        --expect 'hello from outside the tree (1/3)' --expect 'hello from outside the tree (3/3)' \
        --expect bye --timeout 60 || fail "the packaged app's xen build in the rig"
    lap rig "$t0"
fi

# --- 8. the same app with Mira as its subproject (a local checkout) ---
if want subproject; then
step "packages/example-app with Mira as a subproject, on this machine"
t0=$(date +%s)
sub="$work/subapp"
rm -rf "$sub"
mkdir -p "$sub/subprojects"
cp "$tree"/packages/example-app/* "$sub/"
ln -s "$tree" "$sub/subprojects/mira"
cat >"$sub/subprojects/mira.wrap" <<'EOF'
[wrap-file]
directory = mira

[provide]
dependency_names = mira-runtime, mira-runtime-xen, mira-console-unix, mira-console-xen
program_names = mira-gen
EOF
for t in unix xen; do
    exe=$([ $t = unix ] && echo hello || echo hello.xen)
    # forcefallback: the subproject even where the packages are installed.
    (cd "$sub" && meson setup "b-$t" -Dtarget=$t --wrap-mode=forcefallback && ninja -C "b-$t" "$exe") \
        >"$work/subapp-$t.log" 2>&1 || { tail -n 20 "$work/subapp-$t.log"; fail "subproject build ($t)"; }
done
"$sub/b-unix/hello" | tee "$work/subapp-unix.out"
grep -qF 'bye' "$work/subapp-unix.out" || fail "subproject build (unix): no 'bye'"
[ -f "$sub/b-xen/hello.xen" ] && [ -f "$sub/b-xen/hello.xl" ] || fail "subproject build (xen): no hello.xen and hello.xl"
echo "subproject builds: unix ran, xen made hello.xen and hello.xl"
lap subproject "$t0"
fi

lap total "$t_start"
echo "timings:$timing"
echo "packaging ($(echo $parts)): ok"
