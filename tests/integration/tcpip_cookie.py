#!/usr/bin/env python3
"""SYN cookies of Mira's TCP (subprojects/tcpip, -Dnet=direct) segment by
segment, from a hand-made TCP client on a raw socket, over a tap inside a
network namespace this test creates (and removes again, even on
failure).  Linux is 10.0.0.1, the app (tests/apps/tcpmany, an echo) is
10.0.0.2 with a SYN backlog of 1 (--stack0-tcp-backlog=1).  Linux's own
RSTs (it knows none of these connections) are dropped by an nftables rule
in the namespace.

1. A SYN from port 40001 is answered with a SYN-ACK and kept half-open:
   the backlog is full.
2. A SYN from port 40002 (window scale offered) is answered with a cookie
   SYN-ACK: MSS option only (no window scale), its ack our ISN + 1.
3. An ACK with the wrong cookie (ack + 1) from port 40002 is answered
   with a RST; nothing is created.
4. The right ACK, carrying data, creates the connection: the data is
   acknowledged and echoed back.
5. The app logs at close that one connection was opened by a cookie and
   one cookie was bad.
Skipped (77) without root, ip or nft.
"""
import socket
import struct
import sys
import time

import tapns

NS_ADDR, APP_ADDR, PORT = '10.0.0.1', '10.0.0.2', 7
SYN, RST, PSH, ACK = 0x02, 0x04, 0x08, 0x10


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack(f'!{len(b) // 2}H', b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def segment(sport, seq, ack, flags, data=b'', opts=b''):
    off = (20 + len(opts)) // 4
    h = struct.pack('!HHIIBBHHH', sport, PORT, seq, ack, off << 4, flags, 65535, 0, 0) + opts
    pseudo = (socket.inet_aton(NS_ADDR) + socket.inet_aton(APP_ADDR)
              + struct.pack('!BBH', 0, 6, len(h) + len(data)))
    c = csum(pseudo + h + data)
    return h[:16] + struct.pack('!H', c) + h[18:] + data


def parse(pkt):
    """(src, sport, dport, seq, ack, flags, options, data) of an IPv4+TCP packet."""
    ihl = (pkt[0] & 15) * 4
    src = socket.inet_ntoa(pkt[12:16])
    t = pkt[ihl:]
    sport, dport, seq, ack, off, flags = struct.unpack('!HHIIBB', t[:14])
    hl = (off >> 4) * 4
    return src, sport, dport, seq, ack, flags, t[20:hl], t[hl:]


def helper():
    out = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    got = []

    def wait_for(pred, what, limit=30):
        t_end = time.monotonic() + limit
        while time.monotonic() < t_end:
            out.settimeout(max(0.01, t_end - time.monotonic()))
            try:
                pkt = out.recv(65535)
            except socket.timeout:
                break
            p = parse(pkt)
            if p[0] != APP_ADDR:
                continue
            got.append(p)
            if pred(p):
                return p
        raise SystemExit('never: ' + what)

    mss_ws = struct.pack('!BBH', 2, 4, 1460) + struct.pack('!BBBB', 1, 3, 3, 7)
    out.sendto(segment(40001, 1000, 0, SYN, opts=mss_ws), (APP_ADDR, 0))
    p = wait_for(lambda p: p[2] == 40001 and p[5] == SYN | ACK, 'a SYN-ACK to port 40001')
    print('40001: SYN-ACK, options', p[6].hex(), flush=True)
    out.sendto(segment(40002, 5000, 0, SYN, opts=mss_ws), (APP_ADDR, 0))
    p = wait_for(lambda p: p[2] == 40002 and p[5] == SYN | ACK, 'a cookie SYN-ACK to 40002')
    cookie, opts = p[3], p[6]
    print(f'40002: cookie SYN-ACK seq {cookie:#x} ack {p[4]} options {opts.hex()}', flush=True)
    if p[4] != 5001:
        raise SystemExit(f'the cookie SYN-ACK acknowledges {p[4]}, not 5001')
    if opts[:2] != b'\x02\x04' or b'\x03\x03' in opts:
        raise SystemExit('the cookie SYN-ACK should carry the MSS option and no window scale')
    out.sendto(segment(40002, 5001, (cookie + 2) & 0xffffffff, ACK), (APP_ADDR, 0))
    p = wait_for(lambda p: p[2] == 40002 and p[5] & RST, 'a RST for a wrong cookie')
    print('wrong cookie: RST', flush=True)
    data = b'data on the cookie ACK\n'
    out.sendto(segment(40002, 5001, (cookie + 1) & 0xffffffff, ACK | PSH, data), (APP_ADDR, 0))
    p = wait_for(lambda p: p[2] == 40002 and p[7] == data, 'the echo of the data on the ACK')
    print('cookie ACK with data: connection made, data echoed', flush=True)


def run(ns, exe):
    failures = tapns.setup(tapns.tap_cmds(ns, NS_ADDR) + [
        ['ip', 'netns', 'exec', ns, 'nft', 'add table inet mira; '
         'add chain inet mira out { type filter hook output priority 0; }; '
         'add rule inet mira out tcp flags & rst == rst drop']])
    if failures:
        return failures
    slow = tapns.slow()
    app = tapns.start(ns, tapns.wrapper() + [
        exe, '--stack0-netif-tap=mtap0', f'--stack0-ipv4={APP_ADDR}/24',
        '--stack0-gateway=0.0.0.0', f'--port={PORT}', '--stack0-tcp-backlog=1'], stdin=False)
    out, err = tapns.Lines(app.stdout), tapns.Lines(app.stderr)
    try:
        if not out.wait(lambda l: l.startswith('listening on'), 30 * slow):
            return ['the app never said "listening on"']
        h = tapns.run_self(ns, '--helper', timeout=120 * slow)
        print('--- linux ---\n' + h.stdout + h.stderr + '---')
        if h.returncode != 0:
            failures.append('the raw handshake failed')
    finally:
        tapns.stop(app, 60 * slow)
    out.t.join(5)
    err.t.join(5)
    print(f'--- app: status {app.returncode} ---')
    print('\n'.join(out.lines + err.lines))
    if not any('1 connections opened by one, 1 bad' in l for l in err.lines):
        failures.append('the app did not count 1 connection opened by a cookie and 1 bad')
    if app.returncode != 0:
        failures.append(f'the app ended with status {app.returncode}, expected 0')
    return failures


if __name__ == '__main__':
    sys.exit(tapns.main(helper, 'mira-cookie', run, tools=('nft',)))
