#!/usr/bin/env python3
"""Runs a cmocka test executable that contains tests meant to fail, and
checks each test's TAP verdict.

usage: expect_tap.py EXE N:ok|fail [N:ok|fail ...]
Exit 0 when every listed test has its verdict and the exit status is the
number of failed tests (cmocka's); valgrind's error status (99) or a crash
fails.  `meson test --setup valgrind` passes its wrapper in MIRA_TEST_WRAPPER.
"""
import os
import re
import subprocess
import sys


def main():
    exe, wants = sys.argv[1], sys.argv[2:]
    wrapper = os.environ.get('MIRA_TEST_WRAPPER', '').split()
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT='TAP')
    r = subprocess.run(wrapper + [exe], capture_output=True, text=True, env=env,
                       timeout=600)
    print(r.stdout + r.stderr)
    got = {}
    for line in r.stdout.splitlines():
        m = re.match(r'(not ok|ok) (\d+)', line)
        if m:
            got[int(m.group(2))] = 'ok' if m.group(1) == 'ok' else 'fail'
    failures = []
    for w in wants:
        n, verdict = w.split(':')
        if got.get(int(n)) != verdict:
            failures.append(f'test {n}: expected {verdict}, got {got.get(int(n), "no verdict")}')
    nfail = sum(1 for w in wants if w.endswith(':fail'))
    if r.returncode != nfail:
        failures.append(f'exit status {r.returncode}, expected {nfail} (the failed count)')
    for f in failures:
        print('FAIL: ' + f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
