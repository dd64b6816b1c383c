#!/usr/bin/env python3
"""A full connection table of TIME-WAIT in Mira's TCP (subprojects/tcpip,
-Dnet=direct) makes room for new connections, over a tap inside a network
namespace this test creates (and removes again, even on failure).  Linux
is 10.0.0.1, the app 10.0.0.2.

usage: tcpip_timewait.py TCPMANY_EXE

The app (tests/apps/tcpmany --close-first=true) closes each connection
itself after one echo, so each of its connections ends in TIME-WAIT,
here 2 x 600 s (--stack0-tcp-msl-ms=600000), in a table of 8
(--stack0-tcp-max-conns=8).  Linux opens 40 connections one after the
other, each echoing a line: from the 9th on the table is full of
TIME-WAIT, and each must still be accepted (the oldest TIME-WAIT gives
way).  A connect has 60 s (a guard, not a timing: without the room made
it would wait 20 minutes).  The app logs at close how many TIME-WAITs
ended early (at least 32) and ends with status 0 at SIGTERM.  Skipped
(77) without root or ip.
"""
import socket
import sys

import tapns

NS_ADDR, APP_ADDR, PORT = '10.0.0.1', '10.0.0.2', 7
CONNS, TABLE = 40, 8


def helper():
    for i in range(CONNS):
        s = socket.create_connection((APP_ADDR, PORT), timeout=60)
        msg = b'connection %03d\n' % i
        s.sendall(msg)
        got = b''
        while True:
            b = s.recv(64)
            if not b:
                break
            got += b
        if got != msg:
            raise SystemExit(f'connection {i} echoed {got!r}')
        s.close()
    print(f'{CONNS} connections echoed', flush=True)


def run(ns, exe):
    failures = tapns.setup(tapns.tap_cmds(ns, NS_ADDR))
    if failures:
        return failures
    slow = tapns.slow()
    app = tapns.start(ns, tapns.wrapper() + [
        exe, '--stack0-netif-tap=mtap0', f'--stack0-ipv4={APP_ADDR}/24',
        '--stack0-gateway=0.0.0.0', f'--port={PORT}', '--close-first=true',
        f'--stack0-tcp-max-conns={TABLE}', '--stack0-tcp-msl-ms=600000'], stdin=False)
    out, err = tapns.Lines(app.stdout), tapns.Lines(app.stderr)
    try:
        if not out.wait(lambda l: l.startswith('listening on'), 30 * slow):
            return ['the app never said "listening on"']
        h = tapns.run_self(ns, '--helper', timeout=CONNS * 70 * slow)
        print('--- linux ---\n' + h.stdout + h.stderr + '---')
        if h.returncode != 0:
            failures.append('a connection was not accepted or did not echo')
    finally:
        tapns.stop(app, 60 * slow)
    out.t.join(5)
    err.t.join(5)
    print(f'--- app: status {app.returncode} ---')
    print('\n'.join(out.lines + err.lines))
    ended = [l for l in err.lines if 'TIME-WAIT ended early' in l]
    n = int(ended[0].split(' TIME-WAIT ended early')[0].split()[-1]) if ended else 0
    if n < CONNS - TABLE:
        failures.append(f'{n} TIME-WAITs ended early for room, expected at least '
                        f'{CONNS - TABLE}')
    if app.returncode != 0:
        failures.append(f'the app ended with status {app.returncode}, expected 0')
    return failures


if __name__ == '__main__':
    sys.exit(tapns.main(helper, 'mira-tw', run))
