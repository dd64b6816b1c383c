#!/usr/bin/env python3
"""Runs the block skeleton app on a fresh 1 MiB file and checks it from
outside: its exact stdout, its exit status, what it left in the file.

usage: block_app.py EXE CASE EXPECTED_STDOUT
CASE:
  default      disk.img in the current directory (no parameter), 512-byte sectors
  sector4096   --block0-file=PATH --block0-sector-size=4096
  ro-param     --block0-read-only: every write refused, status 1, file unchanged
  ro-file      a file that can only be opened read-only (chattr +i): the same;
               skipped (77) where the immutable attribute cannot be set
  missing      no file: status 1 and one error line naming --block0-file
Exit 0 when every check holds; otherwise prints what differed.
"""
import hashlib
import os
import subprocess
import sys
import tempfile

SKIP = 77


def run(exe, args, cwd):
    wrapper = os.environ.get('MIRA_TEST_WRAPPER', '').split()
    r = subprocess.run(wrapper + [exe] + args, cwd=cwd, capture_output=True, text=True,
                       timeout=600 if wrapper else 60, stdin=subprocess.DEVNULL)
    print(f'$ {exe} {" ".join(args)}: status {r.returncode}')
    print('--- stdout ---\n' + r.stdout + '--- stderr ---\n' + r.stderr + '---')
    return r


def digest(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    exe, case, expected = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3]
    with open(expected) as f:
        want = f.read()
    failures = []
    with tempfile.TemporaryDirectory(dir='/var/tmp') as d:
        img = os.path.join(d, 'disk.img')
        with open(img, 'wb') as f:
            f.truncate(1 << 20)
        before = digest(img)
        status, args, immutable = 0, [], False
        if case == 'default':
            pass
        elif case == 'sector4096':
            args = ['--block0-file=' + img, '--block0-sector-size=4096']
        elif case == 'ro-param':
            args, status = ['--block0-read-only'], 1
        elif case == 'ro-file':
            if subprocess.run(['chattr', '+i', img], capture_output=True).returncode != 0:
                print('SKIP: cannot make the file immutable (chattr +i) here')
                return SKIP
            immutable, status = True, 1
            args = ['--block0-file=' + img]
        elif case == 'missing':
            args, status = ['--block0-file=' + os.path.join(d, 'nothere.img')], 1
        else:
            print('FAIL: unknown case ' + case)
            return 1
        try:
            r = run(exe, args, d)
        finally:
            if immutable:
                subprocess.run(['chattr', '-i', img])
        if r.returncode != status:
            failures.append(f'exit status {r.returncode}, expected {status}')
        if r.stdout != want:
            failures.append(f'stdout differs: expected {want!r}, got {r.stdout!r}')
        if case in ('ro-param', 'ro-file') and digest(img) != before:
            failures.append('the read-only file was changed')
        if case == 'missing':
            lines = [l for l in r.stderr.splitlines() if l.strip()]
            if len(lines) != 1 or '--block0-file' not in lines[0] or 'nothere.img' not in lines[0]:
                failures.append('stderr is not one line naming --block0-file and the path')
    for f in failures:
        print('FAIL: ' + f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
