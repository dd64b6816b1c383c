# Sourced by the guest initramfs' /init (busybox sh); it powers off afterwards.
# The reference of the netbench benchmark: Linux's own TCP serving
# netbench's protocol with nbtool (a static binary; xvdb is the binary
# padded with zeros to whole sectors, which an ELF file ignores) on
# 10.0.0.3, until dom0 (dom0-bench.sh) connects to port 5000 to stop it.
i=0
while { [ ! -b /dev/xvdb ] || [ ! -e /sys/class/net/eth0 ]; } && [ $i -lt 300 ]; do
    sleep 0.1; i=$((i + 1))
done
cat /dev/xvdb >/bin/nbtool && chmod +x /bin/nbtool
ip link set lo up
ip link set eth0 up && ip addr add 10.0.0.3/24 dev eth0
nbtool serve 10.0.0.3 &
srv=$!
sleep 1
if kill -0 $srv 2>/dev/null; then
    echo "nbserve: listening on 10.0.0.3"
    nc -l -p 5000 >/dev/null
    echo "nbserve: asked to stop"
    kill $srv
else
    echo "nbserve: nbtool serve failed"
fi
