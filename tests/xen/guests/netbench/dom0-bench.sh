# dom0's side of the netbench benchmark (the dom0_during hook of both
# guests; ADDR, READY and STOP are set before this text): once the guest
# says READY, nbtool (the same binary for Mira and Linux: ./nbtool.img,
# the guest's disk) sends BYTES to its discard port 9 and asks chargen 19
# for BYTES, printing one "send|recv BYTES bytes SECONDS s MB/s" line each
# (ratio.py reads them); then STOP ends the guest.  LIMIT guards a
# deadlock, it is not a figure (in the rig Linux's 32 MiB took about 1 s
# each way); every 30 s and at the limit, ss shows the connection.
BYTES=33554432
LIMIT=300
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
    ./nbtool.img $dir $ADDR $BYTES >/tmp/nbtool.out 2>&1 &
    pid=$!
    t=0
    while kill -0 $pid 2>/dev/null && [ $t -lt $LIMIT ]; do
        sleep 1
        t=$((t + 1))
        [ $((t % 30)) = 0 ] && { echo "nbtool $dir: after $t s:"; ss -tni dst $ADDR; }
    done
    if kill -0 $pid 2>/dev/null; then
        echo "nbtool $dir: not done in $LIMIT s; the connection:"
        ss -tni dst $ADDR
        kill $pid
    fi
    wait $pid
    st=$?
    cat /tmp/nbtool.out
    echo "nbtool $dir: exit $st"
    [ $st = 0 ] || rc=1
done
eval "$STOP"
echo "stop: exit $?"
exit $rc
