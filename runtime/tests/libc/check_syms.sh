#!/bin/sh
# check_syms.sh ARCHIVE - every global symbol the renamed guest libc
# defines must start with mira_.  A function added to runtime/src/libc but
# not to guest_syms.txt would otherwise keep its C name and silently
# replace glibc's in the test executables (and in cmocka).
set -eu
bad=$(nm --defined-only -g "$1" | awk 'NF == 3 && $3 !~ /^mira_/ { print $3 }')
if [ -n "$bad" ]; then
    # shellcheck disable=SC2086 # the names on one line
    echo "guest libc symbols not renamed (add them to guest_syms.txt):" $bad >&2
    exit 1
fi
echo "ok: every guest libc symbol is renamed"
