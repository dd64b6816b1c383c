# dom0's side of the netfront guest (the rig's dom0_during hook: runs in
# dom0 while the guest runs; $CONSOLE is the guest's console log).
# Accept gratuitous ARP on the bridge, so the guest's announcement shows
# as a neighbour entry; wait for the guest to say it is up; then ping it.
echo 1 >/proc/sys/net/ipv4/conf/xenbr0/arp_accept
ip neigh flush dev xenbr0
i=0
until grep -q 'netfront: up' "$CONSOLE" 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt 600 ] && { echo "the guest never said it was up"; exit 1; }
    sleep 0.1
done
i=0
until ip neigh show 10.0.0.2 dev xenbr0 | grep -q lladdr; do
    i=$((i + 1))
    [ $i -gt 50 ] && break
    sleep 0.1
done
echo "neighbour from the gratuitous ARP: $(ip neigh show 10.0.0.2 dev xenbr0)"
rc=0
# run_ping ARGS...: the summary lines, or everything when it failed.  -w:
# wait for every reply (up to 60 s); without it ping gives a late reply up
# after two round trips, and replies under TCG are sometimes late.
run_ping() {
    ping "$@" 10.0.0.2 >/tmp/ping.out 2>&1
    st=$?
    if [ $st -eq 0 ]; then grep -E 'transmitted|rtt' /tmp/ping.out; else cat /tmp/ping.out; rc=1; fi
    echo "ping $*: exit $st"
}
run_ping -c 20 -i 0.2 -w 60
run_ping -c 5 -i 0.2 -w 60 -s 1400
echo 0 >/proc/sys/net/ipv4/conf/xenbr0/arp_accept
ip neigh flush dev xenbr0
exit $rc
