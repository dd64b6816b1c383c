#!/usr/bin/env python3
"""Benchmark: copying a 300-file, 20 MB tree out of a FAT image with
`mira-fat get` against `mcopy -s` (mtools) from the same image, in the same
run.  Prints one BENCH line; the ratio is mcopy's time over mira-fat's
(above 1: mira-fat is faster).  Best of five runs each, after a warm-up.

usage: fat_bench.py MIRA_FAT
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fat_lib as L  # noqa: E402


def best(cmd, out, runs=5):
    times = []
    for _ in range(runs + 1):
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        t = time.perf_counter()
        subprocess.run(cmd, check=True, env=L.ENV, capture_output=True)
        times.append(time.perf_counter() - t)
    return min(times[1:])


def main():
    mira_fat = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(dir='/var/tmp') as work:
        src = os.path.join(work, 'src')
        total = 0
        for i in range(300):
            n = (i * 7919) % 130000 + 3000  # 3 KB to 133 KB, about 20 MB in all
            L.write(f'{src}/dir {i % 12:02d}/sub {i % 5}/file number {i:03d}.bin', L.pattern(i, n))
            total += n
        img = os.path.join(work, 'tree.img')
        L.sh([mira_fat, 'make', src, img])
        mira = best([mira_fat, 'get', img, os.path.join(work, 'a')], os.path.join(work, 'a'))
        ref = best(['mcopy', '-s', '-n', '-i', img, '::/', os.path.join(work, 'b') + '/'],
                   os.path.join(work, 'b'))
        if L.read_tree(os.path.join(work, 'a')) != L.read_tree(src):
            print('FAIL: mira-fat get copied something else')
            return 1
        mb = total / 1e6
        print(f'{mb:.1f} MB in 300 files: mira-fat get {mira * 1000:.1f} ms, '
              f'mcopy -s {ref * 1000:.1f} ms')
        print('BENCH ' + json.dumps({'name': 'fat-copy-out', 'mira': round(mb / mira, 1),
                                     'reference': round(mb / ref, 1), 'unit': 'MB/s',
                                     'ratio': round(ref / mira, 2), 'goal': 1.0}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
