#!/usr/bin/env python3
"""Bulk TCP between Mira's stack (tests/apps/netbench, -Dnet=direct, on a
tap) and Linux's, on a clean link and under netem, each condition in its
own network namespace with its own app, all conditions at once.

usage: netbench_bulk.py NETBENCH_EXE [--mib N] COND[:MIB]...
COND (netem's impairments, applied to each direction apart; done by
tests/integration/netem_relay.py between Linux's tap in one namespace and
the app's in another, since these kernels lack sch_netem; `clean` has no
relay: the app's tap is Linux's):
  clean      none
  relayed    none, but through the relay (what the relay itself costs)
  loss       loss 5%
  reorder    delay 10 ms, reorder 25%  (a quarter of the packets skip the
             delay: they overtake the ones before them)
  duplicate  duplicate 5%
  corrupt    corrupt 1%  (one bit flipped: the checksums must catch it)
  all        all of the above together
COND:MIB moves MIB MiB in that condition instead of N.
In each, Linux connects to the app's echo (port 7), sends N MiB (default
100, or MIRA_BULK_MIB) of a seeded pseudo-random stream while reading the echo, then
half-closes: the echo must come back whole (sha256 of what was sent equal
to that of what came back: N MiB each way) and end with the app's FIN.
Then the app is stopped with SIGTERM and must end with status 0.

No timing is asserted.  Deadlock guards only: a condition fails when no
byte has moved for 5 minutes, or when it is not done after 40 minutes;
then the Linux side's view of the connection (ss -tni, nstat, the
qdiscs' counters) and the app's output are printed.  Each condition's
duration is printed ("clean: 100 MiB each way in 12.3 s").
Skipped (77) without root or ip.
"""
import hashlib
import os
import random
import shutil
import socket
import sys
import threading
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netbench_lib as nb  # noqa: E402

SKIP = 77
CONDITIONS = {
    'clean': [],
    'relayed': ['loss', '0'],
    'loss': ['loss', '5'],
    'reorder': ['delay', '10', 'reorder', '25'],
    'duplicate': ['duplicate', '5'],
    'corrupt': ['corrupt', '1'],
    'all': ['delay', '10', 'reorder', '25', 'loss', '5', 'duplicate', '5', 'corrupt', '1'],
}
STALL = 300       # seconds without a byte moving: a deadlock
LIMIT = 40 * 60   # seconds for the whole transfer
CHUNK = 1 << 20


def stream(seed, total):
    """The bytes Linux sends, in 1 MiB chunks (seeded: cheap to make, and
    any two conditions send different bytes)."""
    r = random.Random(seed)
    left = total
    while left > 0:
        n = min(CHUNK, left)
        yield r.randbytes(n)
        left -= n


def peer(ns_name, total, seed, report):
    """The Linux side, in the namespace (a thread that entered it): echo
    of total bytes; fills report (progress, sha256s, error)."""
    nb.enter_netns(ns_name)
    s = socket.create_connection((nb.APP_ADDR, nb.ECHO), timeout=60)
    s.settimeout(None)
    report['connected'] = True
    got = hashlib.sha256()

    def reader():
        try:
            while True:
                b = s.recv(1 << 16)
                if not b:
                    break
                got.update(b)
                report['received'] += len(b)
            report['eof'] = True
        except OSError as e:
            report['error'] = 'recv: %s' % e

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    sent = hashlib.sha256()
    try:
        for chunk in stream(seed, total):
            sent.update(chunk)
            s.sendall(chunk)
            report['sent'] += len(chunk)
        s.shutdown(socket.SHUT_WR)
    except OSError as e:
        report['error'] = 'send: %s' % e
    report['sent_sha'] = sent.hexdigest()
    t.join()
    report['received_sha'] = got.hexdigest()
    s.close()


def run_condition(exe, cond, total, results):
    """One condition in its own namespace; appends its failures, prints
    its story in one piece at the end."""
    failures, log = [], []
    ns = ans = relay = app = None
    t0 = time.monotonic()
    seed = zlib.crc32(cond.encode())
    try:
        name = 'mira-nb-%d-%s' % (os.getpid(), cond)
        if CONDITIONS[cond]:
            # Linux in one namespace, the app in another, the relay
            # between their taps.
            ns = nb.Namespace(name)
            ns.ip('tuntap', 'add', 'tap0', 'mode', 'tap')
            ns.ip('addr', 'add', nb.LINUX_ADDR + '/24', 'dev', 'tap0')
            ans = nb.Namespace(name + '-app').bare_tap()
            relay = nb.Relay(ns, ans, seed, CONDITIONS[cond])
            ns.ip('link', 'set', 'tap0', 'up')
        else:
            ns = ans = nb.Namespace(name).with_tap()
        app = nb.App(ans, exe)
        if not app.wait_listening(60 * (10 if nb.wrapper() else 1)):
            failures.append('the app never listened')
            return
        report = {'sent': 0, 'received': 0, 'connected': False, 'eof': False}
        th = threading.Thread(target=lambda: _guard(peer, report, ns.name, total, seed),
                              daemon=True)
        t0 = time.monotonic()
        th.start()
        last, last_move, next_say = (-1, -1), time.monotonic(), 60
        while th.is_alive():
            th.join(1)
            now = time.monotonic()
            moved = (report['sent'], report['received'])
            if moved != last:
                last, last_move = moved, now
            if now - t0 >= next_say:
                log.append('%s: after %.0f s: %d MiB sent, %d MiB back' % (
                    cond, now - t0, moved[0] >> 20, moved[1] >> 20))
                next_say += 60
            if now - last_move > STALL or now - t0 > LIMIT:
                failures.append('%s: %d of %d bytes sent, %d back' % (
                    'stalled (nothing moved for %d s)' % STALL if now - last_move > STALL
                    else 'not done in %d min' % (LIMIT // 60), moved[0], total, moved[1]))
                log.append(ns.diagnose())
                break
        took = time.monotonic() - t0
        if not failures:
            if 'error' in report:
                failures.append('the Linux side: ' + report['error'])
                log.append(ns.diagnose())
            elif report['received'] != total or not report.get('eof'):
                failures.append('%d bytes came back, expected %d' % (report['received'], total))
            elif report['sent_sha'] != report['received_sha']:
                failures.append('the echo differs: sent sha256 %s, received %s' % (
                    report['sent_sha'], report['received_sha']))
            else:
                log.append('%s: %d MiB each way in %.1f s, sha256 equal (%s)' % (
                    cond, total >> 20, took, report['sent_sha'][:16]))
    except OSError as e:
        failures.append(str(e))
    finally:
        if app is not None:
            status = app.stop()
            if status != 0:
                failures.append('the app ended with status %s, expected 0' % status)
            log.append(app.output())
        if relay is not None:
            log.append(relay.stop())
        for n in {id(x): x for x in (ns, ans) if x is not None}.values():
            n.close()
        print('\n'.join('=== %s: %s' % (cond, l) if i == 0 else l
                        for i, l in enumerate(log)) if log else '', flush=True)
        results[cond] = (failures, time.monotonic() - t0)


def _guard(fn, report, *args):
    try:
        fn(*args, report)
    except Exception as e:  # noqa: BLE001 - any failure of the peer is the verdict
        report['error'] = '%s: %s' % (type(e).__name__, e)


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        print(__doc__)
        return 2
    exe, conds, mib = args[0], [], int(os.environ.get('MIRA_BULK_MIB', '100'))
    i = 1
    while i < len(args):
        if args[i] == '--mib':
            mib = int(args[i + 1])
            i += 2
            continue
        cond, _, size = args[i].partition(':')
        if cond not in CONDITIONS or (size and not size.isdigit()):
            print('unknown condition %s (one of %s, optionally :MIB)' % (
                args[i], ' '.join(CONDITIONS)))
            return 2
        conds.append((cond, int(size) if size else None))
        i += 1
    if os.geteuid() != 0 or not shutil.which('ip'):
        print('skipped: needs root (network namespaces) and ip')
        return SKIP
    nb.cleanup_on_signal('mira-nb-%d-' % os.getpid())
    results = {}
    threads = [threading.Thread(target=run_condition, args=(exe, c, (size or mib) << 20, results))
               for c, size in conds]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print('all %d conditions at once: %.1f s' % (len(conds), time.monotonic() - t0))
    failed = 0
    for c, _ in conds:
        failures, took = results.get(c, (['no result'], 0))
        print('%-9s %s (%.1f s)' % (c, 'FAIL: ' + '; '.join(failures) if failures else 'ok', took))
        failed += bool(failures)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
