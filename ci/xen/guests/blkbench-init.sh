# Sourced by the guest initramfs' /init (busybox sh); it powers off afterwards.
# The reference for tests/xen/guests/blkbench: the same 32 MiB, written then
# read in 1 MiB requests with O_DIRECT (the page cache left out, as in Mira).
MIB=32
i=0
while [ ! -b /dev/xvdb ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
now() { cut -d' ' -f1 /proc/uptime; }
us() { awk "BEGIN { printf \"%d\", ($2 - $1) * 1000000 }"; }
if [ -b /dev/xvdb ]; then
    a=$(now)
    dd if=/dev/zero of=/dev/xvdb bs=1M count=$MIB oflag=direct conv=fsync 2>/tmp/dd.err || cat /tmp/dd.err
    b=$(now)
    dd if=/dev/xvdb of=/dev/null bs=1M count=$MIB iflag=direct 2>>/tmp/dd.err || cat /tmp/dd.err
    c=$(now)
    echo "BENCH-RAW write $((MIB * 1048576)) $(us "$a" "$b")"
    echo "BENCH-RAW read $((MIB * 1048576)) $(us "$b" "$c")"
    echo "blkbench: done"
else
    echo "blkbench: no /dev/xvdb"
fi
