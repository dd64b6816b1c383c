#!/usr/bin/env python3
"""tests/apps/netbench's protocol, checked from Linux over a tap in a
namespace this test makes and removes (-Dnet=direct, root, else skipped);
the app runs with its defaults (tap0, 10.0.0.2/24).

  chargen  "100003\\n" gives exactly the pattern's first 100,003 bytes
           (tests/apps/netbench/pattern.h, computed here independently),
           then the app's close; "12x\\n", a bare "\\n" and 40 digits get
           nothing and a close, and the app logs each
  echo     1 MiB of random bytes comes back whole, then the app's FIN
  discard  1 MiB is taken, and the app closes after our FIN
  many     200 echo connections open at once, a line echoed on each
Then SIGTERM: status 0 and the summary line with the exact counts
("connections 206 (most at once 200), echoed ..., discarded 1048576,
sent 100003").  Under --setup valgrind, the app runs under valgrind
(MIRA_TEST_WRAPPER): no leak.
"""
import os
import shutil
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netbench_lib as nb  # noqa: E402

SKIP = 77
MANY = 200


def pattern(n):
    """Byte i: byte i mod 8 of the little-endian 64-bit i / 8."""
    words = (n + 7) // 8
    return b''.join(struct.pack('<Q', k) for k in range(words))[:n]


def recv_all(s):
    out = bytearray()
    while True:
        b = s.recv(1 << 16)
        if not b:
            return bytes(out)
        out += b


def conn(port):
    s = socket.create_connection((nb.APP_ADDR, port), timeout=60 * nb.slow())
    return s


def check(failures):
    s = conn(nb.CHARGEN)
    s.sendall(b'100003\n')
    got = recv_all(s)
    s.close()
    if got != pattern(100003):
        failures.append('chargen 100003: %d bytes, pattern %s' % (
            len(got), 'equal' if got == pattern(len(got)) else 'differs'))
    for bad in (b'12x\n', b'\n', b'1' * 40):
        s = conn(nb.CHARGEN)
        s.sendall(bad)
        try:
            got = recv_all(s)
        except ConnectionResetError:
            got = b''
        s.close()
        if got:
            failures.append('chargen %r: %d bytes came' % (bad, len(got)))
    data = os.urandom(1 << 20)
    s = conn(nb.ECHO)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    got = recv_all(s)
    s.close()
    if got != data:
        failures.append('echo of 1 MiB: %d bytes back, %s' % (
            len(got), 'equal' if got == data[:len(got)] else 'different'))
    s = conn(nb.DISCARD)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    if recv_all(s) != b'':
        failures.append('discard sent something')
    s.close()
    socks = [conn(nb.ECHO) for _ in range(MANY)]
    for i, s in enumerate(socks):
        s.sendall(b'line %d\n' % i)
    for i, s in enumerate(socks):
        want = b'line %d\n' % i
        got = b''
        while len(got) < len(want):
            b = s.recv(64)
            if not b:
                break
            got += b
        if got != want:
            failures.append('connection %d of %d: %r back' % (i, MANY, got))
            break
    for s in socks:
        s.close()


def main():
    exe = sys.argv[1]
    if os.geteuid() != 0 or not shutil.which('ip'):
        print('skipped: needs root (network namespaces) and ip')
        return SKIP
    failures = []
    ns = app = None
    try:
        ns = nb.Namespace('mira-nba-%d' % os.getpid()).with_tap()
        app = nb.App(ns, exe)
        if not app.wait_listening(60 * nb.slow()):
            failures.append('the app never listened')
        else:
            nb.enter_netns(ns.name)
            check(failures)
    except OSError as e:
        failures.append('%s: %s' % (type(e).__name__, e))
    finally:
        if app is not None:
            status = app.stop(120 * nb.slow())
            print(app.output())
            if status != 0:
                failures.append('the app ended with status %s' % status)
            # Every connection was closed (or reset) by the time of the
            # stop: the counts are exact.
            want = ('connections %d (most at once %d), echoed %d, discarded %d, sent 100003' % (
                MANY + 6, MANY, (1 << 20) + sum(len(b'line %d\n' % i) for i in range(MANY)),
                1 << 20))
            if not failures and want not in app.lines:
                failures.append('no line "%s"' % want)
            if not failures and sum(l.startswith('chargen ended: invalid argument')
                                    for l in app.lines) != 3:
                failures.append('not 3 "chargen ended: invalid argument" lines')
        if ns is not None:
            ns.close()
    for f in failures:
        print('FAIL: ' + f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
