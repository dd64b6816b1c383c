# dom0's side of the stackv4 guest in the Xen rig (its dom0_during hook:
# runs in dom0 while the guest runs, $CONSOLE is the guest's console log).
# Waits for the guest's 'IP address:' line (static 10.0.0.2, or the one
# dnsmasq leased), pings that address, sends the tutorial's UDP datagram
# and TCP connection, waits for the guest to print them, then asks it to
# stop (`xl shutdown`).  dom0 has no netcat-openbsd (busybox's nc has no
# UDP mode in every build), so the datagram and the connection are bash's
# /dev/udp and /dev/tcp redirections.
wait_for() {  # wait_for PATTERN TENTHS: 0 once PATTERN is on the console
    i=0
    until grep -q "$1" "$CONSOLE" 2>/dev/null; do
        i=$((i + 1))
        [ $i -gt "$2" ] && { echo "never on the console: $1"; return 1; }
        sleep 0.1
    done
}
wait_for 'IP address: 10\.0\.0\.[0-9]' 900 || { xl shutdown "$DOMID"; exit 1; }
ip=$(grep -o 'IP address: 10\.0\.0\.[0-9]*' "$CONSOLE" | head -n 1 | sed 's/.*: //')
echo "guest address: $ip"
rc=0
# -w: wait for every reply (up to 60 s): under TCG replies are sometimes late.
if ping -c 5 -i 0.2 -w 60 "$ip" >/tmp/ping.out 2>&1; then
    grep -E 'transmitted' /tmp/ping.out
else
    cat /tmp/ping.out; rc=1
fi
bash -c "printf 'hello udp world' >/dev/udp/$ip/53" || rc=1
wait_for '"hello udp world"' 300 || rc=1
bash -c "exec 3<>/dev/tcp/$ip/8080 && printf 'hello tcp world' >&3" || rc=1
wait_for '"hello tcp world"' 300 || rc=1
xl shutdown "$DOMID"
echo "xl shutdown: exit $?"
exit $rc
