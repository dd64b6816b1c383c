#!/usr/bin/env python3
"""The runtime parameter boot-time=1 (the boot split's guest side): the app
prints one line "mira: boot-time: N ns to unikernel_start (CLOCK...)" on
stderr before unikernel_start runs, and otherwise exactly what it prints
without it.

usage: boot_time_param.py CONSOLE_EXE
"""
import os
import re
import subprocess
import sys

exe = sys.argv[1]
wrapper = os.environ.get('MIRA_TEST_WRAPPER', '').split()
plain = subprocess.run(wrapper + [exe], capture_output=True, text=True, timeout=600)
timed = subprocess.run(wrapper + [exe, '--boot-time=1'], capture_output=True, text=True,
                       timeout=600)
failures = []
lines = timed.stderr.splitlines()
m = re.fullmatch(r'mira: boot-time: (\d+) ns to unikernel_start \(.+\)', lines[0]) if lines else None
if not m or int(m.group(1)) <= 0:
    failures.append('no boot-time line first on stderr: %r' % timed.stderr[:300])
if 'boot-time' in plain.stderr:
    failures.append('a boot-time line without the parameter: %r' % plain.stderr[:300])
if timed.stdout != plain.stdout or timed.returncode != plain.returncode:
    failures.append('the app behaved differently with the parameter: %r vs %r' % (
        timed.stdout, plain.stdout))
for f in failures:
    print('FAIL: ' + f)
print(timed.stderr, end='')
sys.exit(1 if failures else 0)
