#!/usr/bin/env python3
"""The kvtree app, run from an unrelated directory without parameters,
finds the FAT image the build made of tests/apps/kvtree/t (the path is the
declared default of --kv0-block-file, baked in by mira-gen) and prints
exactly that tree; --help lists the baked-in default.

usage: fat_default.py KVTREE SOURCE_T
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fat_lib as L  # noqa: E402


def main():
    exe, src = os.path.abspath(sys.argv[1]), sys.argv[2]
    want = set()
    for path, data in L.read_tree(src).items():
        want.add('d ' + path if data is None else f'f {path} {len(data)} {L.fnv64(data):016x}')
    wrapper = os.environ.get('MIRA_TEST_WRAPPER', '').split()
    with tempfile.TemporaryDirectory() as cwd:
        r = subprocess.run(wrapper + [exe], cwd=cwd, capture_output=True, text=True, timeout=600)
        h = subprocess.run([exe, '--help'], cwd=cwd, capture_output=True, text=True, timeout=60)
    lines = r.stdout.splitlines()
    print(r.stdout + r.stderr)
    fails = []
    if r.returncode != 0:
        fails.append(f'status {r.returncode}')
    if not lines or lines[-1] != f'done {len(want)}' or set(lines[:-1]) != want:
        fails.append(f'output differs from {sorted(want)}')
    if 'kv0-block-file' not in h.stdout or 'kvtree-kv0.img' not in h.stdout:
        fails.append('--help does not show the baked-in kv0-block-file default')
    for f in fails:
        print('FAIL: ' + f)
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
