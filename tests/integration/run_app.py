#!/usr/bin/env python3
"""Runs a unix unikernel once and checks its verdict from outside.

usage: run_app.py EXE [--status N] [--stdout FILE] [--stdout-has TEXT] [--stderr-has TEXT]
                  [--min-seconds S] [--timeout S] [--arg ARG]...
Exit 0 when every given check holds; otherwise prints what differed.
"""
import argparse
import os
import subprocess
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument('exe')
    p.add_argument('--status', type=int, default=0)
    p.add_argument('--stdout', help='file with the exact expected stdout')
    p.add_argument('--stdout-has', action='append', default=[])
    p.add_argument('--stderr-has', action='append', default=[])
    p.add_argument('--min-seconds', type=float, default=0.0)
    p.add_argument('--timeout', type=float, default=60.0)
    p.add_argument('--arg', dest='args', action='append', default=[],
                   help='an argument for the unikernel (repeatable)')
    a = p.parse_args()

    # `meson test --setup valgrind` asks for the unikernel to run under it.
    wrapper = os.environ.get('MIRA_TEST_WRAPPER', '').split()
    t0 = time.monotonic()
    try:
        r = subprocess.run(wrapper + [a.exe] + a.args, capture_output=True, text=True,
                           timeout=a.timeout * (10 if wrapper else 1), stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        print(f'FAIL: {a.exe} still running after {a.timeout} s')
        return 1
    took = time.monotonic() - t0
    print(f'{a.exe}: status {r.returncode}, {took:.2f} s')
    print('--- stdout ---\n' + r.stdout + '--- stderr ---\n' + r.stderr + '---')

    failures = []
    if r.returncode != a.status:
        failures.append(f'exit status {r.returncode}, expected {a.status}')
    if a.stdout is not None:
        with open(a.stdout) as f:
            want = f.read()
        if r.stdout != want:
            failures.append(f'stdout differs: expected {want!r}, got {r.stdout!r}')
    for text in a.stdout_has:
        if text not in r.stdout:
            failures.append(f'stdout lacks {text!r}')
    for text in a.stderr_has:
        if text not in r.stderr:
            failures.append(f'stderr lacks {text!r}')
    if took < a.min_seconds:
        failures.append(f'took {took:.2f} s, expected at least {a.min_seconds} s')
    for f in failures:
        print('FAIL: ' + f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
