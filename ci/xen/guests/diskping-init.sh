# Sourced by the guest initramfs' /init (busybox sh); it powers off afterwards.
disk=FAIL net=FAIL
i=0
while [ ! -b /dev/xvdb ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if [ -b /dev/xvdb ]; then
    echo "mira xen rig disk check $(date +%s)" >/tmp/pattern
    dd if=/tmp/pattern of=/dev/xvdb bs=512 count=1 conv=sync,fsync 2>/dev/null
    echo 3 >/proc/sys/vm/drop_caches
    dd if=/dev/xvdb of=/tmp/readback bs=512 count=1 2>/dev/null
    dd if=/tmp/pattern of=/tmp/padded bs=512 count=1 conv=sync 2>/dev/null
    cmp -s /tmp/padded /tmp/readback && disk=ok
else
    echo "diskping: no /dev/xvdb"
fi
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
ip link set lo up
ip link set eth0 up && ip addr add 10.0.0.2/24 dev eth0
ping -c 5 -W 1 10.0.0.1 >/tmp/ping.txt 2>&1 && net=ok
[ "$net" = ok ] || cat /tmp/ping.txt
echo "DISKPING: disk=$disk net=$net"
