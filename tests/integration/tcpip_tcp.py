#!/usr/bin/env python3
"""Mira's TCP (subprojects/tcpip, -Dnet=direct) against Linux's, over a tap
inside a network namespace this test creates (and removes again, even on
failure).  Linux is 10.0.0.1 on the tap, the app (tests/apps/tcpecho)
10.0.0.2.

usage: tcpip_tcp.py TCPECHO_EXE CASE
CASE:
  linux-client  Linux connects to the app's echo, sends 10 MiB of random
                bytes while reading the echo, half-closes; the echo comes
                back whole (sha256 equal both ways: 10 MiB each way) and
                the app says "echoed 10485760 bytes".
  linux-server  the same with the app connecting to a Linux listener.
                Both: the tap's offloads are negotiated (the driver's line
                lists tx-csum tso4 rx-csum rx-gso) and used: the stack's
                closing line counts GSO frames sent (TSO) and received
                (coalesced segments) above 0.
  no-offload    linux-client with --stack0-netif-offload=false (the fallback
                of a kernel that refuses IFF_VNET_HDR): the same echo, the
                driver says "offloads: none", no GSO frame either way.
  peer-reset    Linux resets the connection (SO_LINGER 0): the app's read
                ends with "closed" after the bytes it had.
  peer-vanish   Linux stops reading (small SO_RCVBUF) so the app's echo
                waits behind a zero window, then 10.0.0.1 leaves the tap:
                nothing answers any more, and the app's probes give up
                (--stack0-tcp-retries=4): "echo ended: timed out".
  sack-loss     linux-client with Linux one router away (a second
                namespace, 10.0.1.2) and the router losing 2 % of the
                segments each way (netem, or nftables where the kernel has
                no netem: see loss_setup): the echo still comes back whole;
                Linux's tcp_info shows timestamps and SACK negotiated;
                Linux recovered with the SACK blocks the app sent
                (TcpExtTCPSackRecovery > 0), and the app by its own
                scoreboard (its "tcp: ... sack-recoveries N" line at
                close, N > 0).  Printed: the drops each way,
                Linux's retransmissions, and the duplicates Linux received
                from the app (TCPDSACKOldSent: what the app resent
                needlessly).
  newreno-loss  the same with the app's SACK and timestamps off
                (--stack0-tcp-sack=false --stack0-tcp-timestamps=false):
                Linux's tcp_info shows neither, the app recovers by
                NewReno (no SACK recovery, no TSecr sample) and the echo
                is whole.
  tcp-mem       linux-client with --stack0-tcp-mem=65536: the echo whole
                with the rings' peak (the stack's "tcp rings: peak N"
                line) above their two first 4096 bytes and within 65536;
                linux-client's peak goes past 65536.
  routed        linux-client from a second namespace behind the first,
                which routes between the tap and a veth pair whose
                checksum and segmentation offloads are off: Linux must
                finish the checksums we left partial (from the pseudo-header
                sum we put in the field) and cut our TSO frames itself, and
                the far side checks every sum in software, so a wrong seed
                or a bad TSO frame stalls the echo.  Skipped without ethtool.
Every case ends the app with SIGTERM: status 0 (under valgrind via
MIRA_TEST_WRAPPER, no leak).  Skipped (77) without root or ip.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import tapns
from tapns import SKIP, Lines, setup, sh, slow, start, tap_cmds, wrapper

NS_ADDR, APP_ADDR, PORT = '10.0.0.1', '10.0.0.2', 5001
TOTAL = 10 * 1024 * 1024


# --- the Linux side, run inside the namespace (this script, --helper) ---

def exchange(s):
    """Sends TOTAL random bytes on s while reading what comes back; returns
    the sha256 of both."""
    tapns.echo_both(s, [os.urandom(TOTAL)])
    # struct tcp_info: tcpi_options at byte 5 (1 timestamps, 2 SACK),
    # tcpi_total_retrans at byte 100.
    info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    opts = [n for bit, n in ((1, 'ts'), (2, 'sack')) if info[5] & bit]
    print(f'tcp_info options {" ".join(opts) or "none"} total_retrans '
          f'{int.from_bytes(info[100:104], "little")}', flush=True)


def helper(case):
    if case in LOSSY:
        case = 'linux-client'
    if case == 'linux-server':
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((NS_ADDR, PORT))
        ls.listen(1)
        print('listening', flush=True)
        s, _ = ls.accept()
        exchange(s)
        s.close()
        return
    s = socket.socket()
    if case == 'peer-vanish':
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(30 * slow())
    s.connect((APP_ADDR, PORT))
    if case in ('linux-client', 'no-offload', 'routed', 'tcp-mem'):
        exchange(s)
        s.close()
    elif case == 'peer-reset':
        s.sendall(b'x' * 1000)
        got = 0
        while got < 1000:
            got += len(s.recv(1000 - got))
        print('echoed 1000, resetting', flush=True)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b'\x01\x00\x00\x00\x00\x00\x00\x00')
        s.close()
    else:  # peer-vanish: send without reading until told to stop
        s.settimeout(None)
        threading.Thread(target=lambda: s.sendall(b'v' * (32 << 20)), daemon=True).start()
        print('streaming', flush=True)
        sys.stdin.readline()


# --- the test ---

def wait(lines, pred, what, failures, limit):
    """Waits up to limit (x slow) seconds for an app line pred accepts; if
    none comes, says so in failures."""
    if lines.wait(pred, limit * slow()) is None:
        failures.append('never: ' + what)
        return False
    return True


def stop(p, name):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
    try:
        out, err = p.communicate(timeout=60 * slow())
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    print(f'--- {name}: status {p.returncode} ---\n{out or ""}{err}---', flush=True)
    p.err_text = err or ''
    return p.returncode


LOSS_PCT = 2
LOSSY = ('sack-loss', 'newreno-loss')


PEER_NET, PEER_ADDR, ROUTER_PEER_ADDR = '10.0.1.0/24', '10.0.1.2', '10.0.1.1'


def peer_ns_of(ns):
    return ns + '-peer'


def loss_setup(ns):
    """For sack-loss: Linux's end moves to a second namespace (10.0.1.2,
    over a veth), the first routes between it and the tap, and loses
    LOSS_PCT % of what it forwards each way: netem on both egresses, or
    nftables' numgen random drop in the forward hook where the kernel has
    no netem (the Firecracker VM this was written on).  Losses on a
    router are real ones for both ends (a drop in Linux's own output path
    would be a local error its TCP simply retries).  Returns a function
    giving the drops (to the app, to Linux), or None when it cannot."""
    peer = peer_ns_of(ns)
    for cmd in (['ip', 'netns', 'add', peer],
                ['ip', '-n', ns, 'link', 'add', 'mveth0', 'type', 'veth', 'peer', 'name', 'mveth1',
                 'netns', peer],
                ['ip', '-n', ns, 'addr', 'add', ROUTER_PEER_ADDR + '/24', 'dev', 'mveth0'],
                ['ip', '-n', ns, 'link', 'set', 'mveth0', 'up'],
                ['ip', '-n', peer, 'link', 'set', 'lo', 'up'],
                ['ip', '-n', peer, 'addr', 'add', PEER_ADDR + '/24', 'dev', 'mveth1'],
                ['ip', '-n', peer, 'link', 'set', 'mveth1', 'up'],
                ['ip', '-n', peer, 'route', 'add', '10.0.0.0/24', 'via', ROUTER_PEER_ADDR],
                ['ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']):
        r = sh(*cmd)
        if r.returncode != 0:
            print(f'{" ".join(cmd)}: {r.stderr.strip()}')
            return None
    netem = [['tc', '-n', ns, 'qdisc', 'add', 'dev', dev, 'root', 'netem', 'loss', f'{LOSS_PCT}%']
             for dev in ('mtap0', 'mveth0')]
    if all(sh(*c).returncode == 0 for c in netem):
        print(f'loss: netem {LOSS_PCT}% each way')
        return lambda: (tc_drops(ns, 'mtap0'), tc_drops(ns, 'mveth0'))
    sh('tc', '-n', ns, 'qdisc', 'del', 'dev', 'mtap0', 'root')
    if shutil.which('nft') is None:
        return None
    rules = f"""table inet mira_loss {{
  chain forward_loss {{ type filter hook forward priority 0;
    oifname "mtap0" numgen random mod 100 < {LOSS_PCT} counter drop
    iifname "mtap0" numgen random mod 100 < {LOSS_PCT} counter drop
  }}
}}
"""
    r = subprocess.run(['ip', 'netns', 'exec', ns, 'nft', '-f', '-'], input=rules, text=True,
                       capture_output=True)
    if r.returncode != 0:
        print('nft: ' + r.stderr.strip())
        return None
    print(f'loss: no netem in this kernel; nftables numgen random drop {LOSS_PCT}% each way')

    def drops():
        out = sh('ip', 'netns', 'exec', ns, 'nft', 'list', 'table', 'inet', 'mira_loss').stdout
        got = {}
        for line in out.splitlines():
            if 'packets' in line:
                got['oifname' in line] = int(line.split('packets')[1].split()[0])
        return got.get(True, -1), got.get(False, -1)
    return drops


def tc_drops(ns, dev):
    out = sh('tc', '-n', ns, '-s', 'qdisc', 'show', 'dev', dev).stdout
    for line in out.splitlines():
        if 'dropped' in line:
            return int(line.split('dropped')[1].split(',')[0])
    return -1


def netstat(ns):
    """Linux's TcpExt counters inside the namespace (/proc/net/netstat)."""
    out = sh('ip', 'netns', 'exec', ns, 'cat', '/proc/net/netstat').stdout.splitlines()
    got = {}
    for names, values in zip(out[0::2], out[1::2]):
        k, v = names.split(), values.split()
        if k and k[0] == 'TcpExt:':
            got.update(zip(k[1:], (int(x) for x in v[1:])))
    return got


def check_offloads(err, want):
    """The driver's offloads line and the stack's GSO counts in the app's
    stderr: used both ways (want True), or not at all."""
    failures = []
    m = re.search(r'\[netif-tap\] stack0-netif: plugged into .*offloads:(.*)$', err, re.M)
    t = re.search(r'\[tcpip\] stack0: frames out (\d+) \(gso (\d+), \d+ bytes\), '
                  r'in (\d+) \(gso (\d+), \d+ bytes\)', err)
    if m is None or t is None:
        return ['no offloads line or no frames line from the app']
    offs = m.group(1).split()
    gso_out, gso_in = int(t.group(2)), int(t.group(4))
    print(f'offloads: {offs}; GSO frames out {gso_out}, in {gso_in}')
    if want:
        if offs != ['tx-csum', 'tso4', 'rx-csum', 'rx-gso']:
            failures.append(f'offloads {offs}, expected tx-csum tso4 rx-csum rx-gso')
        if gso_out == 0 or gso_in == 0:
            failures.append(f'GSO frames out {gso_out}, in {gso_in}: an offload was not used')
    else:
        if offs != ['none']:
            failures.append(f'offloads {offs}, expected none')
        if gso_out != 0 or gso_in != 0:
            failures.append(f'GSO frames out {gso_out}, in {gso_in} without offloads')
    return failures


TCP_MEM = 65536


def check_ring_peak(err, case):
    """The stack's closing line of ring memory: past TCP_MEM for the
    default linux-client (the rings grew toward the bandwidth-delay
    product), within it but above the two first rings for tcp-mem."""
    m = re.search(r'\[tcpip\] stack0: tcp rings: peak (\d+) bytes', err)
    if m is None:
        return ['no "tcp rings: peak" line from the app']
    peak = int(m.group(1))
    print(f'ring memory peak: {peak} bytes')
    if case == 'tcp-mem' and not 2 * 4096 < peak <= TCP_MEM:
        return [f'ring memory peak {peak}, expected above 8192 and at most {TCP_MEM}']
    if case == 'linux-client' and peak <= TCP_MEM:
        return [f'ring memory peak {peak}: the rings did not grow past {TCP_MEM}']
    return []


FAR_ADDR = '10.0.1.2'


def setup_far(ns, far):
    """Namespace far (10.0.1.2) behind ns (10.0.1.1 on a veth, forwarding),
    the veth's checksum and segmentation offloads off on ns's side."""
    return setup([['ip', '-n', far, 'link', 'set', 'lo', 'up'],
                ['ip', 'link', 'add', 'mfar0', 'netns', ns, 'type', 'veth', 'peer', 'name',
                 'mfar1', 'netns', far],
                ['ip', '-n', ns, 'addr', 'add', '10.0.1.1/24', 'dev', 'mfar0'],
                ['ip', '-n', far, 'addr', 'add', FAR_ADDR + '/24', 'dev', 'mfar1'],
                ['ip', '-n', ns, 'link', 'set', 'mfar0', 'up'],
                ['ip', '-n', far, 'link', 'set', 'mfar1', 'up'],
                ['ip', '-n', far, 'route', 'add', 'default', 'via', '10.0.1.1'],
                ['ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'],
                ['ip', 'netns', 'exec', ns, 'ethtool', '-K', 'mfar0', 'tx', 'off', 'tso', 'off',
                 'gso', 'off', 'sg', 'off'],
                  ['ip', 'netns', 'exec', far, 'ethtool', '-K', 'mfar1', 'rx', 'off', 'gro',
                   'off']])


def run_case(ns, exe, case):
    failures = setup(tap_cmds(ns, NS_ADDR))
    if failures:
        return failures
    me = [sys.executable, os.path.abspath(__file__), '--helper', case]
    gateway = NS_ADDR if case == 'routed' else '0.0.0.0'
    args = ['--stack0-netif-tap=mtap0', f'--stack0-ipv4={APP_ADDR}/24',
            f'--stack0-gateway={gateway}', f'--port={PORT}']
    peer_ns = ns
    lossy = case in LOSSY
    if case == 'newreno-loss':
        args += ['--stack0-tcp-sack=false', '--stack0-tcp-timestamps=false']
    if lossy:
        drops = loss_setup(ns)
        if drops is None:
            print('skipped: no second namespace, or neither netem nor nftables')
            return None
        peer_ns = peer_ns_of(ns)
        args[2] = f'--stack0-gateway={NS_ADDR}'
    if case == 'routed':
        peer_ns = ns + '-far'
        failures = setup_far(ns, peer_ns)
        if failures:
            return failures
    if case == 'peer-vanish':
        args.append('--stack0-tcp-retries=4')
    if case == 'no-offload':
        args.append('--stack0-netif-offload=false')
    if case == 'tcp-mem':
        args.append(f'--stack0-tcp-mem={TCP_MEM}')
    helper_p = None
    if case == 'linux-server':
        helper_p = start(ns, me)
        if helper_p.stdout.readline().strip() != 'listening':
            stop(helper_p, 'linux')
            return ['the Linux listener did not start']
        args += ['--mode=client', f'--peer={NS_ADDR}']
    app = start(ns, wrapper() + [exe] + args)
    lines = Lines(app.stdout)
    try:
        if case != 'linux-server':
            wait(lines, lambda l: l == f'listening on {PORT}', 'the app listens', failures, 30)
            if failures:
                return failures
            helper_p = start(peer_ns, me)
        if lossy:
            before = netstat(peer_ns)
        if case in ('linux-client', 'linux-server', 'no-offload', 'routed', 'tcp-mem') or lossy:
            out, err = helper_p.communicate(timeout=300 * slow())
            print(f'--- linux ---\n{out}{err}---')
            sums = [l.split()[-1] for l in out.splitlines() if 'sha256' in l]
            if helper_p.returncode != 0 or len(sums) != 2:
                failures.append(f'the Linux side failed (status {helper_p.returncode})')
            elif sums[0] != sums[1] or f'received {TOTAL} ' not in out:
                failures.append('the echo differs from what was sent')
            wait(lines, lambda l: l == f'echoed {TOTAL} bytes', f'"echoed {TOTAL} bytes"',
                       failures, 30)
            if lossy:
                after = netstat(peer_ns)
                d = {k: after.get(k, 0) - before.get(k, 0) for k in after}
                want = 'ts sack' if case == 'sack-loss' else 'none'
                if f'tcp_info options {want} ' not in out:
                    failures.append(f'Linux\'s tcp_info does not show options {want}')
                to_app, to_linux = drops()
                print(f'segments dropped: Linux->app {to_app}, app->Linux {to_linux}')
                print(sh('ip', 'netns', 'exec', ns, 'nft', 'list', 'ruleset').stdout)
                print('linux TcpExt: ' + ' '.join(f'{k} {v}' for k, v in sorted(d.items()) if v))
                if case == 'sack-loss' and d.get('TCPSackRecovery', 0) <= 0:
                    failures.append('Linux never recovered with SACK blocks from the app')
        elif case == 'peer-reset':
            out, err = helper_p.communicate(timeout=60 * slow())
            print(f'--- linux ---\n{out}{err}---')
            wait(lines, lambda l: l == 'echo ended: closed after 1000 bytes',
                       '"echo ended: closed after 1000 bytes"', failures, 30)
        else:
            if helper_p.stdout.readline().strip() != 'streaming':
                failures.append('the Linux side did not connect')
                return failures
            time.sleep(2 * slow())  # the windows fill up both ways
            r = sh('ip', '-n', ns, 'addr', 'del', NS_ADDR + '/24', 'dev', 'mtap0')
            if r.returncode != 0:
                failures.append('addr del: ' + r.stderr.strip())
            t0 = time.monotonic()
            wait(lines, lambda l: l.startswith('echo ended: timed out'),
                       '"echo ended: timed out"', failures, 120)
            print(f'gave up {time.monotonic() - t0:.1f} s after the peer vanished')
            helper_p.stdin.write('\n')
            helper_p.stdin.flush()
    finally:
        status = stop(app, 'app')
        if helper_p is not None and helper_p.poll() is None:
            helper_p.kill()
            helper_p.communicate()
    if status != 0:
        failures.append(f'the app ended with status {status}, expected 0')
    if lossy:
        # The stack's own counters, logged at its close: it recovered by
        # its scoreboard (RFC 6675) as a sender too, or (newreno-loss)
        # never.
        tcp = [l for l in app.err_text.splitlines() if ': tcp: ' in l]
        words = tcp[0].split(': tcp: ')[1].split() if tcp else []
        stats = dict(zip(words[0::2], (int(x) for x in words[1::2])))
        print(f'app: {stats}')
        if case == 'sack-loss' and stats.get('sack-recoveries', 0) <= 0:
            failures.append('the app never recovered by its SACK scoreboard')
        if case == 'newreno-loss' and (stats.get('sack-recoveries', 0) != 0 or
                                       stats.get('ts-rtt-samples', 0) != 0 or
                                       stats.get('rexmit', 0) <= 0):
            failures.append('the app used SACK or timestamps, or resent nothing')
    if case in ('linux-client', 'linux-server', 'no-offload', 'routed', 'tcp-mem'):
        failures += check_offloads(app.err_text, case != 'no-offload')
    if case in ('linux-client', 'tcp-mem'):
        failures += check_ring_peak(app.err_text, case)
    print('\n'.join(['app lines:'] + lines.lines))
    return failures


def main():
    if len(sys.argv) == 3 and sys.argv[1] == '--helper':
        helper(sys.argv[2])
        return 0
    exe, case = sys.argv[1], sys.argv[2]
    if os.geteuid() != 0 or shutil.which('ip') is None:
        print('skipped: needs root (network namespaces) and ip')
        return SKIP
    ns = f'mira-tcp-{os.getpid()}'
    r = sh('ip', 'netns', 'add', ns)
    if r.returncode != 0:
        print('skipped: ip netns add: ' + r.stderr.strip())
        return SKIP
    if case == 'routed':
        if shutil.which('ethtool') is None:
            sh('ip', 'netns', 'del', ns)
            print('skipped: needs ethtool')
            return SKIP
        r = sh('ip', 'netns', 'add', ns + '-far')
        if r.returncode != 0:
            sh('ip', 'netns', 'del', ns)
            print('skipped: ip netns add: ' + r.stderr.strip())
            return SKIP
    try:
        failures = run_case(ns, exe, case)
    finally:
        sh('ip', 'netns', 'del', ns)
        if case in LOSSY:
            sh('ip', 'netns', 'del', peer_ns_of(ns))
        if case == 'routed':
            sh('ip', 'netns', 'del', ns + '-far')
    if failures is None:
        return SKIP
    for f in failures:
        print('FAIL: ' + f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
