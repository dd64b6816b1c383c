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
import socket
import subprocess
import sys
import time

import tapns

NS_ADDR, APP_ADDR, PORT = '10.0.0.1', '10.0.0.2', 7


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


def run(ns, exe):
    failures = tapns.setup(tapns.tap_cmds(ns, NS_ADDR))
    if failures:
        return failures
    slow = tapns.slow()
    app = tapns.start(ns, tapns.wrapper() + [
        exe, '--stack0-netif-tap=mtap0', f'--stack0-ipv4={APP_ADDR}/24',
        '--stack0-gateway=0.0.0.0', f'--port={PORT}', '--keepalive=2,1,3', '--nodelay=true'])
    out, err = tapns.Lines(app.stdout), tapns.Lines(app.stderr)
    helper_p = None
    try:
        if not out.wait(lambda l: l.startswith('listening on'), 30 * slow):
            return ['the app never said "listening on"']
        helper_p = tapns.start(ns, [sys.executable, os.path.abspath(__file__), '--helper'])
        hl = tapns.Lines(helper_p.stdout)
        if not hl.wait(lambda l: l == 'echoed line 1', 60 * slow):
            failures.append('the connection did not survive 10 s of silence with keepalive '
                            'on (Linux answers the probes)')
        elif any(l.startswith('echo ended') for l in out.lines):
            failures.append('the app gave up a connection whose peer answered')
        else:
            r = tapns.sh('ip', '-n', ns, 'addr', 'del', NS_ADDR + '/24', 'dev', 'mtap0')
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
            tapns.tell(helper_p, '')
        tapns.stop(app, 60 * slow)
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


if __name__ == '__main__':
    sys.exit(tapns.main(helper, 'mira-ka', run))
