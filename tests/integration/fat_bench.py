#!/usr/bin/env python3
"""Benchmark: copying a 300-file, 20 MB tree out of a FAT image with
`mira-fat get` against `mcopy -s` (mtools) from the same image, in the same
run.  Prints one BENCH line; the ratio is mcopy's time over mira-fat's
(above 1: mira-fat is faster).  Seven runs each after a warm-up, the two
tools alternating so that the machine's load falls on both alike; the
figures are the medians.  Both copy into a tmpfs (/dev/shm, when there is
one): on a disk, creating the 372 files and directories took 1-2 ms each
(strace -w), most of either tool's time and most of the noise, and is the
same work for both; what differs is how each reads the image.

usage: fat_bench.py MIRA_FAT
"""
import json
import statistics
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fat_lib as L  # noqa: E402


def once(cmd, out):
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, env=L.ENV, capture_output=True)
    return time.perf_counter() - t


def medians(cmds, runs=7):
    """{name: median seconds} of each (cmd, out), run alternately."""
    times = {name: [] for name in cmds}
    for i in range(runs + 1):
        for name, (cmd, out) in cmds.items():
            t = once(cmd, out)
            if i:  # the first round warms the page cache
                times[name].append(t)
    return {name: statistics.median(t) for name, t in times.items()}


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
        dest = tempfile.mkdtemp(dir='/dev/shm') if os.path.isdir('/dev/shm') else work
        try:
            a, b = os.path.join(dest, 'a'), os.path.join(dest, 'b')
            t = medians({'mira': ([mira_fat, 'get', img, a], a),
                         'mcopy': (['mcopy', '-s', '-n', '-i', img, '::/', b + '/'], b)})
            same = L.read_tree(a) == L.read_tree(src)
        finally:
            if dest != work:
                shutil.rmtree(dest, ignore_errors=True)
        if not same:
            print('FAIL: mira-fat get copied something else')
            return 1
        mira, ref = t['mira'], t['mcopy']
        mb = total / 1e6
        print(f'{mb:.1f} MB in 300 files: mira-fat get {mira * 1000:.1f} ms, '
              f'mcopy -s {ref * 1000:.1f} ms')
        print('BENCH ' + json.dumps({'name': 'fat-copy-out', 'mira': round(mb / mira, 1),
                                     'reference': round(mb / ref, 1), 'unit': 'MB/s',
                                     'ratio': round(ref / mira, 2), 'goal': 1.0}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
