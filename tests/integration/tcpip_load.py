#!/usr/bin/env python3
"""Load on Mira's TCP (subprojects/tcpip, -Dnet=direct): thousands of
connections from Linux, then a SYN flood.  Over a tap inside a network
namespace this test creates (and removes again, even on failure); Linux is
10.0.0.1 on the tap, the app 10.0.0.2.

usage: tcpip_load.py APP PORT [CONNS [APP_ARG...]]
  APP   an echo server on the stack device stack0 (tests/apps/tcpmany,
        tests/apps/netbench): every byte it reads on PORT comes back
  CONNS connections to hold at once (default 10000)

1. Linux opens CONNS connections to the app and holds them all open; each
   sends one line (its number) and reads the same line back.
2. `hping3 --flood -S --rand-source` at PORT for 10 s (bounded by
   timeout(1)): SYNs from random addresses that never finish the
   handshake, so the listener's SYN backlog fills and stays full.  3 s into
   it Linux opens a new connection and echoes a line over it.
3. After the flood: another new connection is accepted and echoes, and
   every one of the CONNS connections still echoes a second line.  The
   backlog stays full of the flood's half-open connections, so the new
   connections are made by SYN cookies (the app's count says so).
The app's resident memory is printed before the connections, with them
all open, and after the flood; the times taken are printed too (never
asserted: the machine may be busy).  It fails when a connection is
refused or does not echo within a generous deadline, when the app never
says it sent SYN cookies (the flood did not fill the backlog: nothing
was proven), or when the app does not end with status 0 at SIGTERM.
Skipped (77) without root, ip or hping3.
"""
import os
import resource
import selectors
import socket
import subprocess
import sys
import time

import tapns

NS_ADDR, APP_ADDR = '10.0.0.1', '10.0.0.2'
FLOOD_SECONDS = 10
DEADLINE = 600  # seconds for any one phase: guards a hang, not a speed


# --- the Linux side, run inside the namespace (this script, --helper) ---

def say(*a):
    print(*a, flush=True)


def line_of(i):
    return b'%09d\n' % i


def open_all(port, n):
    """n connections, at most 256 handshakes in flight (the app's backlog
    is larger); returns the sockets in order."""
    sel = selectors.DefaultSelector()
    socks = [None] * n
    pending = 0
    nxt = 0
    t_end = time.monotonic() + DEADLINE
    while nxt < n or pending:
        while nxt < n and pending < 256:
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex((APP_ADDR, port))
            sel.register(s, selectors.EVENT_WRITE, nxt)
            socks[nxt] = s
            nxt += 1
            pending += 1
        if time.monotonic() > t_end:
            raise SystemExit(f'only {nxt - pending} of {n} connected in {DEADLINE} s')
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                raise SystemExit(f'connection {key.data} failed: {os.strerror(err)}')
            sel.unregister(s)
            pending -= 1
    sel.close()
    return socks


def echo_all(socks, salt):
    """Every socket sends its line and reads it back; raises on a
    mismatch or when the deadline passes."""
    sel = selectors.DefaultSelector()
    want = {}
    for i, s in enumerate(socks):
        msg = line_of(i + salt)
        s.setblocking(True)
        s.sendall(msg)
        s.setblocking(False)
        want[s] = [msg, b'']
        sel.register(s, selectors.EVENT_READ)
    t_end = time.monotonic() + DEADLINE
    while want:
        if time.monotonic() > t_end:
            raise SystemExit(f'{len(want)} connections did not echo in {DEADLINE} s')
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            b = s.recv(64)
            if not b:
                raise SystemExit('a connection ended instead of echoing')
            w = want[s]
            w[1] += b
            if len(w[1]) >= len(w[0]):
                if w[1] != w[0]:
                    raise SystemExit(f'echo {w[1]!r} for {w[0]!r}')
                sel.unregister(s)
                del want[s]
    sel.close()


def one_new(port, what):
    """A new connection and one echo over it; prints how long each took."""
    t0 = time.monotonic()
    s = socket.create_connection((APP_ADDR, port), timeout=DEADLINE)
    t1 = time.monotonic()
    s.sendall(b'new connection\n')
    got = b''
    while len(got) < 15:
        b = s.recv(64)
        if not b:
            break
        got += b
    t2 = time.monotonic()
    if got != b'new connection\n':
        raise SystemExit(f'{what}: the new connection echoed {got!r}')
    say(f'{what}: new connection accepted in {t1 - t0:.3f} s, echoed in {t2 - t1:.3f} s')
    s.close()


def helper(port, n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + 1000
    if hard < want:
        hard = want
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))
    t0 = time.monotonic()
    socks = open_all(port, n)
    t1 = time.monotonic()
    echo_all(socks, 0)
    t2 = time.monotonic()
    say(f'held {n}: opened in {t1 - t0:.1f} s, each echoed once in {t2 - t1:.1f} s')
    sys.stdin.readline()  # the flood starts
    time.sleep(3)
    one_new(port, 'during the flood')
    sys.stdin.readline()  # the flood is over
    one_new(port, 'after the flood')
    t3 = time.monotonic()
    echo_all(socks, n)
    say(f'after the flood: all {n} held connections echoed again in '
        f'{time.monotonic() - t3:.1f} s')
    for s in socks:
        s.close()
    say('done')


# --- the test ---

def rss_kib(pid):
    try:
        with open(f'/proc/{pid}/status') as f:
            for l in f:
                if l.startswith('VmRSS:'):
                    return int(l.split()[1])
    except OSError:
        pass
    return -1


def run(ns, app_exe, port, n, app_args):
    failures = tapns.setup(tapns.tap_cmds(ns, NS_ADDR))
    if failures:
        return failures
    args = ['--stack0-netif-tap=mtap0', f'--stack0-ipv4={APP_ADDR}/24',
            '--stack0-gateway=0.0.0.0', f'--stack0-tcp-max-conns={n + 1000}',
            '--stack0-tcp-backlog=512'] + app_args
    app = tapns.start(ns, [app_exe] + args)
    out, err = tapns.Lines(app.stdout), tapns.Lines(app.stderr)
    helper_p = None
    rss = {}
    try:
        if out.wait(lambda l: l.startswith('listening on'), 30) is None:
            return ['the app never said "listening on"']
        rss['before'] = rss_kib(app.pid)
        helper_p = tapns.start(ns, [sys.executable, os.path.abspath(__file__), '--helper',
                                    str(port), str(n)])
        hl = tapns.Lines(helper_p.stdout)
        if hl.wait(lambda l: l.startswith('held '), DEADLINE + 60) is None:
            helper_p.wait(timeout=60)
            return [f'Linux could not hold {n} connections: '
                    + helper_p.stderr.read().strip()[-2000:]]
        rss['held'] = rss_kib(app.pid)
        tapns.tell(helper_p, 'flood')
        flood = tapns.sh('ip', 'netns', 'exec', ns, 'timeout', '-s', 'INT', str(FLOOD_SECONDS),
                         'hping3', '--flood', '-S', '--rand-source', '-p', str(port), APP_ADDR)
        print('--- hping3 ---\n' + (flood.stdout + flood.stderr).strip() + '\n---', flush=True)
        rss['flood'] = rss_kib(app.pid)
        tapns.tell(helper_p, 'after')
        try:
            helper_p.wait(timeout=DEADLINE + 60)
        except subprocess.TimeoutExpired:
            helper_p.kill()
            helper_p.wait()
        print('--- linux ---\n' + '\n'.join(hl.lines) + '\n'
              + helper_p.stderr.read().strip()[-2000:] + '\n---', flush=True)
        if helper_p.returncode != 0 or 'done' not in hl.lines:
            failures.append(f'the Linux side failed (status {helper_p.returncode})')
        rss['closed'] = rss_kib(app.pid)
    finally:
        status = tapns.stop(app, 120)
        print(f'--- app: status {status} ---', flush=True)
        if helper_p is not None and helper_p.poll() is None:
            helper_p.kill()
            helper_p.wait()
    time.sleep(0.2)
    print('app stdout:\n' + '\n'.join(out.lines))
    print('app stderr:\n' + '\n'.join(err.lines))
    print('resident memory of the app (VmRSS): ' + ', '.join(
        f'{k} {v / 1024:.1f} MiB' for k, v in rss.items()))
    if 'held' in rss and 'before' in rss:
        print(f'per held connection: {(rss["held"] - rss["before"]) * 1024 / n:.0f} bytes')
    if not any('sending SYN cookies' in l for l in err.lines):
        failures.append('the app never sent SYN cookies: the flood did not fill its backlog')
    opened = [l for l in err.lines if 'connections opened by one' in l]
    if opened and int(opened[0].split(' connections opened by one')[0].split()[-1]) < 1:
        failures.append('no connection was opened by a SYN cookie (the backlog was full)')
    if any(l.startswith('echo ended') for l in out.lines):
        failures.append('a connection failed on the app side')
    if status != 0:
        failures.append(f'the app ended with status {status}, expected 0')
    return failures


def main():
    if len(sys.argv) == 4 and sys.argv[1] == '--helper':
        helper(int(sys.argv[2]), int(sys.argv[3]))
        return 0
    app_exe, port = sys.argv[1], int(sys.argv[2])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    app_args = sys.argv[4:]
    return tapns.main_in_namespace('mira-load', lambda ns: run(ns, app_exe, port, n, app_args),
                                   tools=('hping3',))


if __name__ == '__main__':
    sys.exit(main())
