#!/bin/sh
# capture.sh - records real Linux traffic for the wire layer's test vectors
# (run once by hand, as root; its output, capture.pcap, is converted by
# pcap2c.py into ../vectors.h and corpus seeds, which are committed).
# Two network namespaces joined by a veth pair, removed on exit whatever
# happens; checksum offload is off so captured checksums are final.
# Needs: iproute2 ethtool tcpdump iputils-ping iputils-arping dnsmasq-base
# isc-dhcp-client python3 (none of them is needed to build or test).
set -eu
out=${1:-capture.pcap}
A=mira-wire-a B=mira-wire-b
tmp=$(mktemp -d)
cleanup() {
    [ -f "$tmp/tcpdump.pid" ] && kill "$(cat "$tmp/tcpdump.pid")" 2>/dev/null || true
    [ -f "$tmp/dnsmasq.pid" ] && kill "$(cat "$tmp/dnsmasq.pid")" 2>/dev/null || true
    ip netns del $A 2>/dev/null || true
    ip netns del $B 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
ip netns add $A
ip netns add $B
ip link add veth-a netns $A type veth peer name veth-b netns $B
for ns in $A $B; do
    ip -n $ns link set lo up
done
ip -n $A link set veth-a address 02:00:00:00:00:0a up
ip -n $B link set veth-b address 02:00:00:00:00:0b up
ip netns exec $A ethtool -K veth-a tx off rx off >/dev/null
ip netns exec $B ethtool -K veth-b tx off rx off >/dev/null
ip -n $B addr add 10.99.0.2/24 dev veth-b

ip netns exec $B tcpdump -i veth-b -U -w "$tmp/cap.pcap" 2>/dev/null &
echo $! > "$tmp/tcpdump.pid"
sleep 1

# DHCP first (A has no address yet): dnsmasq in B, dhclient in A.
ip netns exec $B dnsmasq --no-daemon --port=0 --interface=veth-b --bind-interfaces \
    --dhcp-range=10.99.0.50,10.99.0.60,255.255.255.0,1h --dhcp-option=3,10.99.0.2 \
    --dhcp-option=6,10.99.0.2,10.99.0.3 --dhcp-leasefile="$tmp/leases" \
    >/dev/null 2>&1 &
echo $! > "$tmp/dnsmasq.pid"  # --no-daemon writes no pid file of its own
sleep 1
ip netns exec $A timeout 20 dhclient -1 -d -sf /bin/true -lf "$tmp/dhclient.leases" \
    -pf "$tmp/dhclient.pid" veth-a >/dev/null 2>&1 || true
ip netns exec $A dhclient -r -sf /bin/true -lf "$tmp/dhclient.leases" -pf "$tmp/dhclient.pid" veth-a \
    >/dev/null 2>&1 || true
ip -n $A addr add 10.99.0.1/24 dev veth-a

# ARP: a request and its reply, then a gratuitous ARP.
ip netns exec $A arping -c 1 -I veth-a 10.99.0.2 >/dev/null
ip netns exec $A arping -U -c 1 -I veth-a 10.99.0.1 >/dev/null || true
# ICMP echo, small and fragmented (3000 bytes over MTU 1500).
ip netns exec $A ping -c 1 -s 56 10.99.0.2 >/dev/null
ip netns exec $A ping -c 1 -s 3000 10.99.0.2 >/dev/null
# UDP to a closed port: the datagram and B's port unreachable.
ip netns exec $A python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b"mira wire layer", ("10.99.0.2", 9999))'
sleep 0.5
# TCP: SYN (MSS, SACK-permitted, timestamps, window scale), data, FIN.
ip netns exec $B python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.99.0.2", 7777)); s.listen(1); s.settimeout(10)
c, _ = s.accept(); c.sendall(c.recv(100)); c.close()' &
srv=$!
sleep 0.5
ip netns exec $A python3 -c '
import socket
c = socket.create_connection(("10.99.0.2", 7777), timeout=10)
c.sendall(b"hello from linux\n"); c.recv(100); c.close()'
wait $srv
sleep 1
kill "$(cat "$tmp/tcpdump.pid")"; rm "$tmp/tcpdump.pid"
sleep 0.5
cp "$tmp/cap.pcap" "$out"
echo "capture.sh: wrote $out"
