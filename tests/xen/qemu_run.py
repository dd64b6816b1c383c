#!/usr/bin/env python3
"""Boots a Mira xen guest kernel directly with QEMU (PVH boot, no Xen) and
checks its verdict: the debugcon output (port 0xe9) must contain the
expected lines in order, and the exit status (written to isa-debug-exit at
port 0xf4; QEMU exits with (status << 1) | 1) must match.  A crash is a
'mira: panic:' line.

  qemu_run.py --qemu QEMU --kernel K [--expect-status N]
              [--expect-reason poweroff|crash] [--expect LINE|FILE]... [-- APPEND]
"""
import argparse
import os
import subprocess
import sys
import tempfile

ap = argparse.ArgumentParser()
ap.add_argument('--qemu', default='qemu-system-x86_64')
ap.add_argument('--kernel', required=True)
ap.add_argument('--expect-status', type=int, default=0)
ap.add_argument('--expect-reason', default='poweroff')
ap.add_argument('--expect', action='append', default=[])
ap.add_argument('--timeout', type=float, default=30)
ap.add_argument('append', nargs='*')
a = ap.parse_args()

with tempfile.TemporaryDirectory() as d:
    dbg = os.path.join(d, 'dbg.txt')
    cmd = [a.qemu, '-accel', 'tcg', '-machine', 'q35', '-m', '128M',
           '-display', 'none', '-serial', 'null', '-monitor', 'none',
           '-no-reboot', '-kernel', a.kernel, '-debugcon', 'file:' + dbg,
           '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
           '-append', ' '.join(a.append)]
    try:
        rc = subprocess.run(cmd, timeout=a.timeout, stdin=subprocess.DEVNULL).returncode
    except subprocess.TimeoutExpired:
        rc = None
    out = open(dbg, errors='replace').read() if os.path.exists(dbg) else ''

sys.stdout.write(out)
fail = []
crashed = 'mira: panic:' in out
if rc is None:
    fail.append('timed out after %gs' % a.timeout)
elif a.expect_reason == 'crash':
    if not crashed:
        fail.append('expected a crash, got none (qemu exit %d)' % rc)
else:
    if crashed:
        fail.append('unexpected crash')
    status = (rc - 1) // 2 if rc % 2 == 1 else None
    if status != a.expect_status:
        fail.append('exit status %s (qemu exit %d), expected %d' % (status, rc, a.expect_status))
expects = []
for e in a.expect:
    if os.path.isfile(e):  # a file: one expected line per non-empty line
        expects += [l for l in open(e).read().splitlines() if l.strip()]
    else:
        expects.append(e)
lines = out.splitlines()
i = 0
for e in expects:
    while i < len(lines) and e not in lines[i]:
        i += 1
    if i == len(lines):
        fail.append('console line not found (in order): %r' % e)
        break
    i += 1
for f in fail:
    print('FAIL:', f)
sys.exit(1 if fail else 0)
