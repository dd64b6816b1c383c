# Sourced by the guest initramfs' /init (busybox sh); it powers off afterwards.
# The reference for tests/xen/guests/fatread: mount the same FAT image
# (vfat, read only, a cold page cache) and cat every file, timed together
# as the Mira guest times its mount and reads; then count the files and
# bytes (untimed) for ratio.py to check both read the same.
i=0
while [ ! -b /dev/xvdb ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
now() { cut -d' ' -f1 /proc/uptime; }
us() { awk "BEGIN { printf \"%d\", ($2 - $1) * 1000000 }"; }
if [ -b /dev/xvdb ]; then
    a=$(now)
    mount -t vfat -o ro,codepage=437,iocharset=utf8 /dev/xvdb /mnt &&
        find /mnt -type f -exec cat {} + >/dev/null
    st=$?
    b=$(now)
    files=$(find /mnt -type f | wc -l)
    bytes=$(find /mnt -type f -exec cat {} + | wc -c)
    umount /mnt
    if [ $st -eq 0 ]; then
        echo "BENCH-RAW fat-read $files $bytes $(us "$a" "$b")"
        echo "fatread: done"
    else
        echo "fatread: mount or cat failed (status $st)"
    fi
else
    echo "fatread: no /dev/xvdb"
fi
