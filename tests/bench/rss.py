#!/usr/bin/env python3
"""Peak resident memory of each unix skeleton app (a figure, never a
verdict): /usr/bin/time's maximum resident set of the app's whole run,
against that of `sleep 0` (the least a C process on this host takes), in
the same run.  No goal.

  rss.py NAME=EXE ...     (EXE empty: not built in this setup)
The apps run as their tests run them: console to its end (5 s), block on a
fresh 1 MiB file, kv_ro and kv_ro_crunch to their end, stackv4 (socket
stack) on 127.0.0.1 until it listens, then SIGTERM.
Lines: BENCH {"name", "mira": KiB, "reference": KiB, "unit": "KiB",
"ratio", "goal": null} or BENCH {"name", "error"} (docs/testing.md).
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

TIME = '/usr/bin/time'


def peak_kib(cmd, cwd, listen=None):
    """Runs cmd under /usr/bin/time; returns (peak KiB, None) or (None, why).
    listen: a TCP port; the app is ended with SIGTERM once it listens."""
    p = subprocess.Popen([TIME, '-f', 'PEAK %M'] + cmd, cwd=cwd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if listen:
        t0 = time.monotonic()
        while time.monotonic() - t0 < 30 and p.poll() is None:
            with open('/proc/net/tcp') as f:
                if any(int(l.split()[1].split(':')[1], 16) == listen and l.split()[3] == '0A'
                       for l in f.readlines()[1:]):
                    break
            time.sleep(0.05)
        time.sleep(0.2)
        try:
            with open('/proc/%d/task/%d/children' % (p.pid, p.pid)) as f:
                for child in f.read().split():
                    os.kill(int(child), signal.SIGTERM)
        except OSError:
            pass
    try:
        _, err = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()
        return None, 'did not end within 120 s'
    peak = [l for l in err.splitlines() if l.startswith('PEAK ')]
    if p.returncode != 0 or not peak:
        return None, 'exit status %s: %s' % (p.returncode, err.strip().splitlines()[-1:] or '')
    return int(peak[-1].split()[1]), None


def main():
    if not os.access(TIME, os.X_OK):
        for arg in sys.argv[1:]:
            print('BENCH ' + json.dumps({'name': 'resident memory (unix): ' + arg.split('=')[0],
                                         'error': 'no /usr/bin/time (Debian package time)'}))
        return 0
    with tempfile.TemporaryDirectory() as d:
        ref, why = peak_kib(['sleep', '0'], d)
        for arg in sys.argv[1:]:
            name, exe = arg.split('=', 1)
            line = {'name': 'resident memory (unix): ' + name, 'unit': 'KiB', 'goal': None}
            args, listen = [], None
            if name == 'block':
                disk = os.path.join(d, 'disk.img')
                with open(disk, 'wb') as f:
                    f.truncate(1 << 20)
                args = ['--block0-file=' + disk]
            elif name == 'stackv4':
                listen = 40000 + os.getpid() % 20000
                args = ['--stack0-ipv4=127.0.0.1', '--udp-port=%d' % listen,
                        '--tcp-port=%d' % listen]
            if not exe:
                line['error'] = 'not built in this setup'
            elif ref is None:
                line['error'] = 'the reference failed: ' + why
            else:
                kib, why_not = peak_kib([exe] + args, d, listen)
                if kib is None:
                    line['error'] = why_not
                else:
                    line.update(mira=kib, reference=ref, ratio=round(kib / ref, 3))
            print('BENCH ' + json.dumps(line), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
