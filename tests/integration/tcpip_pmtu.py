#!/usr/bin/env python3
"""Path MTU discovery in Mira's TCP (subprojects/tcpip, RFC 1191) through a
real Linux router with a smaller-MTU hop, in two network namespaces this
test creates (and removes again, even on failure):

    app 10.0.0.2 --tap mtap0-- [router ns] 10.0.0.1 | 10.0.1.1 --veth, MTU 1280-- 10.0.1.2 [peer ns]

The peer's route back says advmss 1460, so it offers the app an MSS of
1460 although its own link takes 1280: the app's full segments (1500
bytes, DF) cannot pass the router, which answers "fragmentation needed,
next-hop MTU 1280".  The peer sends 1 MiB to the app's echo
(tests/apps/tcpecho) and reads it back: it must come back whole (sha256
equal), the router must have sent at least one "fragmentation needed" and
fragmented nothing (the app sets DF and lowers its MSS to 1240).

usage: tcpip_pmtu.py TCPECHO_EXE.  Skipped (77) without root or ip.
"""
import os
import shutil
import socket
import subprocess
import sys

import tapns
from tapns import SKIP, sh, slow, wrapper

APP, ROUTER_A, ROUTER_B, PEER, PORT = '10.0.0.2', '10.0.0.1', '10.0.1.1', '10.0.1.2', 5001
HOP_MTU = 1280
TOTAL = 1 << 20


def peer():
    """In the peer namespace: sends TOTAL random bytes to the echo while
    reading it back; prints both sha256."""
    data = os.urandom(TOTAL)
    s = socket.create_connection((APP, PORT), timeout=60 * slow())
    tapns.echo_both(s, [data])
    s.close()


def snmp(ns, table, field):
    """A counter of /proc/net/snmp in namespace ns."""
    r = sh('ip', 'netns', 'exec', ns, 'cat', '/proc/net/snmp')
    lines = [l.split() for l in r.stdout.splitlines() if l.startswith(table + ':')]
    if len(lines) < 2:
        return None
    row = dict(zip(lines[0][1:], lines[1][1:]))
    return int(row[field]) if field in row else None


def run(router, peer_ns, exe):
    failures = tapns.setup([['ip', '-n', peer_ns, 'link', 'set', 'lo', 'up']]
                           + tapns.tap_cmds(router, ROUTER_A) + [
        ['ip', '-n', router, 'link', 'add', 'vr', 'type', 'veth', 'peer', 'name', 'vp',
         'netns', peer_ns],
        ['ip', '-n', router, 'link', 'set', 'vr', 'mtu', str(HOP_MTU), 'up'],
        ['ip', '-n', router, 'addr', 'add', ROUTER_B + '/24', 'dev', 'vr'],
        ['ip', '-n', peer_ns, 'link', 'set', 'vp', 'mtu', str(HOP_MTU), 'up'],
        ['ip', '-n', peer_ns, 'addr', 'add', PEER + '/24', 'dev', 'vp'],
        ['ip', '-n', peer_ns, 'route', 'add', '10.0.0.0/24', 'via', ROUTER_B, 'advmss', '1460'],
        ['ip', 'netns', 'exec', router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'],
    ])
    if failures:
        return failures
    frags0 = snmp(router, 'Ip', 'FragCreates') or 0
    unreach0 = snmp(router, 'Icmp', 'OutDestUnreachs') or 0
    cmd = ['ip', 'netns', 'exec', router] + wrapper() + [
        exe, '--stack0-netif-tap=mtap0', f'--stack0-ipv4={APP}/24',
        f'--stack0-gateway={ROUTER_A}', f'--port={PORT}']
    print('$ ' + ' '.join(cmd), flush=True)
    app = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = tapns.Lines(app.stdout), tapns.Lines(app.stderr)
    lines = out.lines
    try:
        if out.wait(lambda l: l == f'listening on {PORT}', 30 * slow(), proc=app) is None:
            return failures + ['the app never listened']
        pr = subprocess.run(['ip', 'netns', 'exec', peer_ns, sys.executable,
                             os.path.abspath(__file__), '--peer'],
                            capture_output=True, text=True, timeout=240 * slow())
        print(f'--- peer ---\n{pr.stdout}{pr.stderr}---')
        sums = [l.split()[-1] for l in pr.stdout.splitlines() if 'sha256' in l]
        if pr.returncode != 0 or len(sums) != 2:
            failures.append(f'the peer failed (status {pr.returncode})')
        elif sums[0] != sums[1] or f'received {TOTAL} ' not in pr.stdout:
            failures.append('the echo differs from what was sent')
        if out.wait(lambda l: l == f'echoed {TOTAL} bytes', 30 * slow()) is None:
            failures.append(f'never: "echoed {TOTAL} bytes"')
    except subprocess.TimeoutExpired:
        failures.append('the peer never finished (a stall: the MSS never came down?)')
    finally:
        tapns.stop(app, 60 * slow())
        out.t.join(5)
        err.t.join(5)
        print(f'--- app: status {app.returncode} ---\n' + '\n'.join(lines) + '\n'
              + ''.join(l + '\n' for l in err.lines) + '---')
    if app.returncode != 0:
        failures.append(f'the app ended with status {app.returncode}, expected 0')
    frags = (snmp(router, 'Ip', 'FragCreates') or 0) - frags0
    unreach = (snmp(router, 'Icmp', 'OutDestUnreachs') or 0) - unreach0
    print(f'router: {unreach} destination unreachable sent, {frags} fragments made')
    if unreach < 1:
        failures.append('the router never said "fragmentation needed" (no DF on the segments?)')
    if frags != 0:
        failures.append(f'the router fragmented the app\'s datagrams ({frags} fragments): DF unset')
    return failures


def main():
    if len(sys.argv) == 2 and sys.argv[1] == '--peer':
        peer()
        return 0
    exe = sys.argv[1]
    if os.geteuid() != 0 or shutil.which('ip') is None:
        print('skipped: needs root (network namespaces) and ip')
        return SKIP
    router, peer_ns = f'mira-pmtu-r-{os.getpid()}', f'mira-pmtu-p-{os.getpid()}'
    r = sh('ip', 'netns', 'add', router)
    if r.returncode != 0:
        print('skipped: ip netns add: ' + r.stderr.strip())
        return SKIP
    try:
        r = sh('ip', 'netns', 'add', peer_ns)
        if r.returncode != 0:
            failures = ['ip netns add: ' + r.stderr.strip()]
        else:
            failures = run(router, peer_ns, exe)
    finally:
        sh('ip', 'netns', 'del', peer_ns)
        sh('ip', 'netns', 'del', router)
    return tapns.report(failures)


if __name__ == '__main__':
    sys.exit(main())
