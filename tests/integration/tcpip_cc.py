#!/usr/bin/env python3
"""Mira's TCP congestion control against a Linux peer under netem loss: a
demonstration that prints what the window did, not a timing assertion.

Two network namespaces this test creates (and removes again, even on
failure): a router holding the app's tap (10.0.0.1/24) and a veth to a
peer namespace (10.0.1.1 / 10.0.1.2), with a qdisc on the router's veth
so that Mira's data toward Linux is delayed and lost: `tc netem delay
20ms loss 0.5%`, or, on a kernel without sch_netem, a bottleneck that
drops when its queue is full (`tbf rate 100mbit latency 60ms`: the
queue is the delay, its overflow the loss).  The app (tests/apps/tcpecho, 10.0.0.2, gateway 10.0.0.1)
echoes what a Linux client in the peer namespace sends (TOTAL bytes),
with --log-level=debug so that the stack traces its congestion window
(tcp_stack.c cc_trace: a line per segment of change).

Checked (these can fail): the echo comes back whole (sha256 equal), and
the trace shows congestion events (ssthresh changes) with CUBIC's
reduction.  Printed (never asserted: timing on a shared machine): for
each congestion avoidance epoch, the window at a few points against
RFC 9438's W_cubic(t) = C (t - K)^3 + W_max from the trace's W_max and
K, and the whole trace's summary.

usage: tcpip_cc.py TCPECHO_EXE [cubic|newreno]
       tcpip_cc.py TCPECHO_EXE bad-name: --stack0-tcp-cc=reno stops the app
       at start (status 1) with an error that names the parameter.
Skipped (77) without root, ip or tc (or a qdisc that delays and drops).
"""
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys

import tapns
from tapns import SKIP, sh

APP_ADDR, ROUTER_TAP, ROUTER_VETH, PEER_ADDR = '10.0.0.2', '10.0.0.1', '10.0.1.1', '10.0.1.2'
PORT = 5001
TOTAL = int(os.environ.get('MIRA_CC_DEMO_BYTES', 256 * 1024 * 1024))
QDISCS = (['netem', 'delay', '20ms', 'loss', '0.5%', 'limit', '10000'],
          ['tbf', 'rate', '100mbit', 'burst', '32kb', 'latency', '60ms'])
C = 0.4
CHUNK = 1 << 16


def stream():
    """TOTAL bytes, chunk by chunk, each chunk its own pattern (so a chunk
    echoed out of place would change the sum)."""
    for i in range(0, TOTAL, CHUNK):
        block = hashlib.sha256(i.to_bytes(8, 'little')).digest() * (CHUNK // 32)
        yield block[:min(CHUNK, TOTAL - i)]


def helper():
    """The Linux client, in the peer namespace: TOTAL bytes out, the echo
    read back at the same time."""
    s = socket.create_connection((APP_ADDR, PORT), timeout=600)
    tapns.echo_both(s, stream())


TRACE = re.compile(r'tcp (\d+) cc (\w+) t_ms (-?\d+) cwnd (\d+) ssthresh (\d+) mss (\d+) '
                   r'w_max (\d+) k_ms (\d+) recovery (\d) epoch_ms (-?\d+)')


def analyse(lines, algo):
    """Prints the trace against RFC 9438's curve; returns the number of
    congestion events seen."""
    rows = []
    for l in lines:
        m = TRACE.search(l)
        if m and int(m.group(1)) == PORT:
            rows.append(dict(t=int(m.group(3)), cwnd=int(m.group(4)), ssthresh=int(m.group(5)),
                             mss=int(m.group(6)), w_max=int(m.group(7)), k=int(m.group(8)),
                             rec=int(m.group(9)), epoch=int(m.group(10))))
    if not rows:
        print('no congestion trace lines')
        return 0
    mss = rows[-1]['mss']
    events = [i for i in range(1, len(rows)) if rows[i]['ssthresh'] != rows[i - 1]['ssthresh']]
    print(f'{algo}: {len(rows)} trace lines over {(rows[-1]["t"] - rows[0]["t"]) / 1000:.1f} s, '
          f'mss {mss}, {len(events)} ssthresh changes, '
          f'largest cwnd {max(r["cwnd"] for r in rows) // mss} segments')
    # Each reduction: cwnd before, ssthresh after (0.7 of the flight for CUBIC).
    ratios = []
    for i in events:
        before = rows[i - 1]['cwnd']
        if before > 0 and rows[i]['ssthresh'] < rows[i - 1]['ssthresh']:
            ratios.append(rows[i]['ssthresh'] / before)
    if ratios:
        ratios.sort()
        print(f'ssthresh / cwnd before the event: median {ratios[len(ratios) // 2]:.2f} '
              f'(min {ratios[0]:.2f}, max {ratios[-1]:.2f}; CUBIC 0.7 of the flight, NewReno 0.5)')
    if algo != 'cubic':
        return len(events)
    # Congestion avoidance epochs: from the first line out of recovery with
    # cwnd >= ssthresh after an event, to the next event.
    shown = 0
    devs = []
    for j, i in enumerate(events):
        end = events[j + 1] if j + 1 < len(events) else len(rows)
        ca = [r for r in rows[i:end]
              if not r['rec'] and r['cwnd'] >= r['ssthresh'] and r['epoch'] >= 0]
        if len(ca) < 8:
            continue
        # W_max and K are set at the epoch's first ACK and then fixed: read
        # them at its end (the first line may precede that ACK).
        t0, w_max, k = ca[0]['t'], ca[-1]['w_max'] / mss, ca[-1]['k'] / 1000
        epoch = ca[0]['cwnd'] / mss
        pts = []
        for r in ca:
            t = r['epoch'] / 1000  # the stack's own t: unused spans left out
            want = C * (t - k) ** 3 + w_max
            pts.append((t, r['cwnd'] / mss, want))
            if want > 0:
                devs.append(abs(r['cwnd'] / mss - want) / want)
        if shown < 4:
            shown += 1
            print(f'epoch at {t0 / 1000:.1f} s (trace clock): cwnd_epoch {epoch:.0f} segments, W_max {w_max:.0f}, '
                  f'K {k:.2f} s (RFC eq. 2 from these: {((w_max - epoch) / C) ** (1 / 3) if w_max > epoch else 0:.2f} s)')
            step = max(1, len(pts) // 8)
            for t, w, want in pts[::step] + [pts[-1]]:
                print(f'    t {t:6.2f} s  cwnd {w:7.1f}  W_cubic(t) {want:7.1f} segments')
    if devs:
        devs.sort()
        print(f'all epochs: |cwnd - W_cubic(t)| / W_cubic(t) median {devs[len(devs) // 2]:.3f}, '
              f'90th percentile {devs[int(len(devs) * 0.9)]:.3f} over {len(devs)} trace lines '
              f'(t is the stack\'s: since the epoch began, less the spans its window went unused; the window follows W_cubic(t) to W_cubic(t + RTT))')
    return len(events)


def run(exe, algo):
    r1, peer = f'mira-ccr-{os.getpid()}', f'mira-ccp-{os.getpid()}'
    made = []
    try:
        for ns in (r1, peer):
            r = sh('ip', 'netns', 'add', ns)
            if r.returncode != 0:
                print('skipped: ip netns add: ' + r.stderr.strip())
                return SKIP
            made.append(ns)
        failures = tapns.setup(
            [['ip', '-n', peer, 'link', 'set', 'lo', 'up']] + tapns.tap_cmds(r1, ROUTER_TAP) +
            [['ip', '-n', r1, 'link', 'add', 'v1', 'type', 'veth', 'peer', 'name', 'v2',
              'netns', peer],
             ['ip', '-n', r1, 'addr', 'add', ROUTER_VETH + '/24', 'dev', 'v1'],
             ['ip', '-n', r1, 'link', 'set', 'v1', 'up'],
             ['ip', '-n', peer, 'addr', 'add', PEER_ADDR + '/24', 'dev', 'v2'],
             ['ip', '-n', peer, 'link', 'set', 'v2', 'up'],
             ['ip', '-n', peer, 'route', 'add', 'default', 'via', ROUTER_VETH],
             ['ip', 'netns', 'exec', r1, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']])
        if failures:
            return tapns.report(failures)
        for q in QDISCS:
            r = sh('tc', '-n', r1, 'qdisc', 'add', 'dev', 'v1', 'root', *q)
            if r.returncode == 0:
                break
            print(f'tc qdisc {q[0]}: {r.stderr.strip()}')
        else:
            print('skipped: no qdisc to delay and drop with')
            return SKIP
        print(f'on Mira -> Linux: {" ".join(q)}; {TOTAL} bytes each way; {algo}', flush=True)
        app = subprocess.Popen(
            ['ip', 'netns', 'exec', r1, exe, '--stack0-netif-tap=mtap0',
             f'--stack0-ipv4={APP_ADDR}/24', f'--stack0-gateway={ROUTER_TAP}', f'--port={PORT}',
             f'--stack0-tcp-cc={algo}', '--stack0-tcp-sndbuf=4194304',
             '--stack0-tcp-rcvbuf=4194304', '--log-level=debug'],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        err, out = tapns.Lines(app.stderr), tapns.Lines(app.stdout)
        try:
            if out.wait(lambda l: l == f'listening on {PORT}', 60, proc=app) is None:
                failures.append('the app did not listen')
            else:
                h = subprocess.run(['ip', 'netns', 'exec', peer, sys.executable,
                                    os.path.abspath(__file__), '--helper'],
                                   capture_output=True, text=True, timeout=1800)
                print(h.stdout + h.stderr)
                sums = [l.split()[-1] for l in h.stdout.splitlines() if 'sha256' in l]
                if h.returncode != 0 or len(sums) != 2 or sums[0] != sums[1] or \
                        f'received {TOTAL} ' not in h.stdout:
                    failures.append('the echo differs from what was sent')
        finally:
            tapns.stop(app, 60)
            err.t.join(5)
            out.t.join(5)
        print('app: ' + ' / '.join(out.lines))
        events = analyse(err.lines, algo)
        if events == 0:
            failures.append('no congestion event in the trace (netem loss should cause some)')
        if app.returncode != 0:
            failures.append(f'the app ended with status {app.returncode}')
        return tapns.report(failures)
    finally:
        for ns in made:
            sh('ip', 'netns', 'del', ns)


def bad_name(exe):
    """The stack refuses the name when it connects (its tap, made in a
    namespace of its own, goes with the namespace)."""
    ns = f'mira-ccb-{os.getpid()}'
    r = sh('ip', 'netns', 'add', ns)
    if r.returncode != 0:
        print('skipped: ip netns add: ' + r.stderr.strip())
        return SKIP
    try:
        r = subprocess.run(['ip', 'netns', 'exec', ns] + tapns.wrapper() +
                           [exe, '--stack0-netif-tap=mtap0', '--stack0-tcp-cc=reno'],
                           capture_output=True, text=True, timeout=600)
    finally:
        sh('ip', 'netns', 'del', ns)
    print(f'status {r.returncode}\n{r.stdout}{r.stderr}')
    # 1: the start failed (not 0, not valgrind's 99, not a crash)
    if r.returncode != 1 or '--stack0-tcp-cc=reno is neither cubic nor newreno' not in r.stderr:
        print('FAIL: expected a failed start (status 1) naming --stack0-tcp-cc=reno')
        return 1
    return 0


def main():
    if len(sys.argv) == 2 and sys.argv[1] == '--helper':
        helper()
        return 0
    exe = sys.argv[1]
    algo = sys.argv[2] if len(sys.argv) > 2 else 'cubic'
    if algo == 'bad-name':
        return bad_name(exe)
    if os.geteuid() != 0 or shutil.which('ip') is None or shutil.which('tc') is None:
        print('skipped: needs root (network namespaces), ip and tc')
        return SKIP
    return run(exe, algo)


if __name__ == '__main__':
    sys.exit(main())
