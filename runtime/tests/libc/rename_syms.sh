#!/bin/sh
# rename_syms.sh SYMS OUT.a OBJ... - copies each object with objcopy,
# renaming symbols as SYMS lists them ("old new" per line), into the
# archive OUT.a.  (objcopy cannot copy meson's thin archives, so the
# objects are renamed one by one.)
set -eu
syms=$1 out=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
for o in "$@"; do
    i=$((i + 1))
    objcopy --redefine-syms="$syms" "$o" "$tmp/$i-$(basename "$o")"
done
rm -f "$out"
ar rcs "$out" "$tmp"/*
