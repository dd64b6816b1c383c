#!/usr/bin/env python3
"""Keepalive of Mira's TCP (subprojects/tcpip, -Dnet=direct) with a Linux
peer, over a tap inside a network namespace this test creates (and
removes again, even on failure).  Linux is 10.0.0.1, the app 10.0.0.2.

usage: tcpip_keepalive.py TCPMANY_EXE

The app (tests/apps/tcpmany) runs with --keepalive=2,1,3 (probes after
2 s idle, then every second, the connection given up after 3 unanswered)
and --nodelay=true.  Linux connects and echoes a line, then stays silent
for 10 s: Linux answers the probes, so the connection lives on (another
line echoes).  Then 10.0.0.1 leaves the tap: the probes go unanswered
and the app's read ends with "echo ended: timed out" (without keepalive
an idle connection would never notice).  The app ends with status 0 at
SIGTERM.  Skipped (77) without root or ip.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

SKIP = 77
NS_ADDR, APP_ADDR, PORT = '10.0.0.1', '10.0.0.2', 7


def sh(*cmd):
    return subprocess.run(list(cmd), capture_output=True, text=True)


def helper():
    s = socket.create_connection((APP_ADDR, PORT), timeout=60)
    for i in range(2):
        s.sendall(b'line %d\n' % i)
        got = b''
        while len(got) < 7:
            b = s.recv(64)
            if not b:
                raise SystemExit('the connection ended')
            got += b
        if got != b'line %d\n' % i:
            raise SystemExit(f'echoed {got!r}')
        print(f'echoed line {i}', flush=True)
        if i == 0:
            time.sleep(10)  # silent: only the app's probes and our answers
    sys.stdin.readline()  # hold the socket until told


class Lines:
    def __init__(self, f):
        self.lines = []
        threading.Thread(target=self.run, args=(f,), daemon=True).start()

    def run(self, f):
        for line in f:
            self.lines.append(line.rstrip('\n'))

    def wait(self, pred, limit):
        t0 = time.monotonic()
        while time.monotonic() - t0 < limit:
            if any(pred(l) for l in self.lines):
                return True
            time.sleep(0.05)
        return False


def start(ns, cmd):
    full = ['ip', 'netns', 'exec', ns] + cmd
    print('$ ' + ' '.join(full), flush=True)
    return subprocess.Popen(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.PIPE, text=True)


def run(ns, exe):
    failures = []
    for cmd in (['ip', '-n', ns, 'link', 'set', 'lo', 'up'],
                ['ip', '-n', ns, 'tuntap', 'add', 'mtap0', 'mode', 'tap'],
                ['ip', '-n', ns, 'addr', 'add', NS_ADDR + '/24', 'dev', 'mtap0'],
                ['ip', '-n', ns, 'link', 'set', 'mtap0', 'up']):
        r = sh(*cmd)
        if r.returncode != 0:
            return [f'{" ".join(cmd)}: {r.stderr.strip()}']
    wrapper = os.environ.get('MIRA_TEST_WRAPPER', '').split()
    slow = 10 if wrapper else 1
    app = start(ns, wrapper + [exe, '--stack0-netif-tap=mtap0', f'--stack0-ipv4={APP_ADDR}/24',
                               '--stack0-gateway=0.0.0.0', f'--port={PORT}',
                               '--keepalive=2,1,3', '--nodelay=true'])
    out, err = Lines(app.stdout), Lines(app.stderr)
    helper_p = None
    try:
        if not out.wait(lambda l: l.startswith('listening on'), 30 * slow):
            return ['the app never said "listening on"']
        helper_p = start(ns, [sys.executable, os.path.abspath(__file__), '--helper'])
        hl = Lines(helper_p.stdout)
        if not hl.wait(lambda l: l == 'echoed line 1', 60 * slow):
            failures.append('the connection did not survive 10 s of silence with keepalive '
                            'on (Linux answers the probes)')
        elif any(l.startswith('echo ended') for l in out.lines):
            failures.append('the app gave up a connection whose peer answered')
        else:
            r = sh('ip', '-n', ns, 'addr', 'del', NS_ADDR + '/24', 'dev', 'mtap0')
            if r.returncode != 0:
                failures.append('addr del: ' + r.stderr.strip())
            t0 = time.monotonic()
            if out.wait(lambda l: l == 'echo ended: timed out', 60 * slow):
                print(f'the app gave the vanished peer up {time.monotonic() - t0:.1f} s later '
                      '(2 s idle + 3 probes 1 s apart)')
            else:
                failures.append('never: "echo ended: timed out" after the peer vanished')
    finally:
        if helper_p is not None:
            try:
                helper_p.stdin.write('\n')
                helper_p.stdin.flush()
            except OSError:
                pass
        if app.poll() is None:
            app.send_signal(signal.SIGTERM)
        try:
            app.wait(timeout=60 * slow)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait()
        if helper_p is not None:
            try:
                helper_p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                helper_p.kill()
                helper_p.wait()
            print('--- linux ---\n' + '\n'.join(hl.lines) + '\n'
                  + helper_p.stderr.read().strip() + '\n---')
    time.sleep(0.2)
    print(f'--- app: status {app.returncode} ---')
    print('\n'.join(out.lines + err.lines))
    if app.returncode != 0:
        failures.append(f'the app ended with status {app.returncode}, expected 0')
    return failures


def main():
    if len(sys.argv) == 2 and sys.argv[1] == '--helper':
        helper()
        return 0
    exe = sys.argv[1]
    if os.geteuid() != 0 or shutil.which('ip') is None:
        print('skipped: needs root (network namespaces) and ip')
        return SKIP
    ns = f'mira-ka-{os.getpid()}'
    r = sh('ip', 'netns', 'add', ns)
    if r.returncode != 0:
        print('skipped: ip netns add: ' + r.stderr.strip())
        return SKIP
    try:
        failures = run(ns, exe)
    finally:
        sh('ip', 'netns', 'del', ns)
    for f in failures:
        print('FAIL: ' + f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
