# dom0's side of the netbench benchmark (the dom0_during hook of both
# guests; ADDR, READY and STOP are set before this text): once the guest
# says READY, nbtool (the same binary for Mira and Linux: ./nbtool.img,
# the guest's disk) sends BYTES to its discard port 9 and asks chargen 19
# for BYTES, printing one "send|recv BYTES bytes SECONDS s MB/s" line each
# (ratio.py reads them); then STOP ends the guest.  The 600 s limits guard
# a deadlock, they are not figures.
BYTES=33554432
i=0
until grep -q "$READY" "$CONSOLE" 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt 1800 ] && { echo "the guest never said '$READY'"; eval "$STOP"; exit 1; }
    sleep 0.1
done
chmod +x ./nbtool.img
ip neigh flush dev xenbr0
rc=0
for dir in send recv; do
    timeout 600 ./nbtool.img $dir $ADDR $BYTES 2>&1
    st=$?
    echo "nbtool $dir: exit $st"
    [ $st = 0 ] || rc=1
done
eval "$STOP"
echo "stop: exit $?"
exit $rc
