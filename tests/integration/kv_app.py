#!/usr/bin/env python3
"""Runs a kv_ro skeleton app and checks it from outside: its exact stdout
and exit status, from a directory that is not its build folder (the stores
must not depend on the current directory).

usage: kv_app.py EXE CASE EXPECTED_STDOUT [STORE]
CASE:
  match     no parameter: every file matches, status 0
  differ    (kv-direct) --kv1-dir=a copy of STORE with one file changed and
            one added: a NO line for each, status 1
  escape    (kv-direct) --kv1-dir=a copy of STORE with symbolic links that
            lead out (relative and absolute) and a FIFO: none is a file of
            the store, so every file still matches, status 0
  missing   (kv-direct) --kv1-dir=a missing directory: status 1 and one
            error line naming --kv1-dir
Exit 0 when every check holds; otherwise prints what differed.
"""
import os
import shutil
import subprocess
import sys
import tempfile


def run(exe, args, cwd):
    wrapper = os.environ.get('MIRA_TEST_WRAPPER', '').split()
    r = subprocess.run(wrapper + [exe] + args, cwd=cwd, capture_output=True, text=True,
                       timeout=600 if wrapper else 60, stdin=subprocess.DEVNULL)
    print(f'$ {exe} {" ".join(args)}: status {r.returncode}')
    print('--- stdout ---\n' + r.stdout + '--- stderr ---\n' + r.stderr + '---')
    return r


def main():
    exe, case, expected = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3]
    store = sys.argv[4] if len(sys.argv) > 4 else None
    with open(expected) as f:
        want = f.read()
    failures = []
    with tempfile.TemporaryDirectory() as d:
        copy = os.path.join(d, 'copy')
        if store:
            shutil.copytree(store, copy)
        if case == 'match':
            r = run(exe, [], d)
            if r.returncode != 0:
                failures.append(f'status {r.returncode}, expected 0')
            if r.stdout != want:
                failures.append(f'stdout differs: expected {want!r}')
        elif case == 'differ':
            with open(os.path.join(copy, 'secret'), 'w') as f:
                f.write('bar\n')
            with open(os.path.join(copy, 'extra'), 'w') as f:
                f.write('only in kv1\n')
            r = run(exe, ['--kv1-dir=' + copy], d)
            if r.returncode != 1:
                failures.append(f'status {r.returncode}, expected 1')
            for line in ['secret: NO (differs after byte 0)', 'NO: kv1 has 4 files, kv0 3',
                         '3 files, 2 matched']:
                if line + '\n' not in r.stdout:
                    failures.append(f'stdout lacks {line!r}')
        elif case == 'escape':
            with open(os.path.join(d, 'outside'), 'w') as f:
                f.write('outside the store\n')
            os.symlink('../outside', os.path.join(copy, 'up-link'))
            os.symlink(os.path.join(d, 'outside'), os.path.join(copy, 'abs-link'))
            os.symlink('/', os.path.join(copy, 'docs', 'root'))
            os.mkfifo(os.path.join(copy, 'fifo'))
            r = run(exe, ['--kv1-dir=' + copy], d)
            if r.returncode != 0:
                failures.append(f'status {r.returncode}, expected 0')
            if r.stdout != want:
                failures.append(f'stdout differs: expected {want!r}')
        elif case == 'missing':
            r = run(exe, ['--kv1-dir=' + os.path.join(d, 'nosuch')], d)
            if r.returncode != 1:
                failures.append(f'status {r.returncode}, expected 1')
            errs = [l for l in r.stderr.splitlines() if 'error' in l]
            if len(errs) != 1 or '--kv1-dir=PATH' not in errs[0] or 'no such directory' not in errs[0]:
                failures.append(f'expected one error line naming --kv1-dir, got {errs!r}')
        else:
            failures.append(f'unknown case {case}')
    for f in failures:
        print('FAIL: ' + f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
