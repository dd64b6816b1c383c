#!/usr/bin/env python3
"""Benchmark of mira-crunch on a generated tree of 100 MB in 5,000 files
(MIRA_BENCH_MB, MIRA_BENCH_FILES; in MIRA_BENCH_DIR, default /var/tmp):
text-like files (compressible), random ones (not) and mixed ones, in 50
directories, one file of 8 MB among them.  Prints, as

  BENCH {"name": ..., "mira": ..., "reference": ..., "unit": ..., "ratio": ..., "goal": ...,
         "goal_op": "<="}      (each ratio is met at or below its goal)

  crunch-time    mira-crunch's wall time against `tar | gzip -9` of the same
                 tree (the same deflate at the same level, no C text);
  crunch-memory  mira-crunch's peak resident memory (/usr/bin/time's
                 maximum resident set) against the largest file: goal below 2;
  crunch-image   the bytes the compiled C adds to an image (text + data of
                 the object, `size`) against the data compressed where it
                 helps (per file, the smaller of its size and its zlib
                 deflate at level 9): goal 1.01.

usage: crunch_bench.py MIRA_CRUNCH
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zlib


def bench(name, m, ref, unit, goal):
    print('BENCH ' + json.dumps({'name': name, 'mira': round(m, 3), 'reference': round(ref, 3),
                                 'unit': unit, 'ratio': round(m / ref, 4), 'goal': goal,
                                 'goal_op': '<='}),
          flush=True)


def make_tree(root, total, count):
    rng = random.Random(2024)
    words = [''.join(rng.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(rng.randint(2, 9)))
             for _ in range(3000)]
    text = ' '.join(rng.choice(words) for _ in range(400000)).encode()
    big = 8 << 20
    avg = (total - big) // (count - 1)
    sizes = [big] + [max(1, int(rng.expovariate(1 / avg))) for _ in range(count - 1)]
    scale = (total - big) / sum(sizes[1:])
    sizes = [big] + [max(1, int(s * scale)) for s in sizes[1:]]
    for i, size in enumerate(sizes):
        d = os.path.join(root, f'dir{i % 50:02d}')
        os.makedirs(d, exist_ok=True)
        kind = i % 5
        if kind < 2:  # text
            data = b''
            while len(data) < size:
                at = rng.randrange(len(text) - 4096)
                data += text[at:at + min(size - len(data), 65536)]
        elif kind < 4:  # random
            data = rng.randbytes(size)
        else:  # mixed
            half = size // 2
            at = rng.randrange(len(text) - half) if half < len(text) else 0
            data = (text[at:at + half] + rng.randbytes(size - half))[:size]
        with open(os.path.join(d, f'file{i:05d}.{"txt" if kind < 2 else "bin"}'), 'wb') as f:
            f.write(data[:size])
    return sizes


def main():
    tool = sys.argv[1]
    mb = int(os.environ.get('MIRA_BENCH_MB', '100'))
    count = int(os.environ.get('MIRA_BENCH_FILES', '5000'))
    where = os.environ.get('MIRA_BENCH_DIR', '/var/tmp')
    with tempfile.TemporaryDirectory(dir=where) as tmp:
        tree = os.path.join(tmp, 't')
        t0 = time.monotonic()
        sizes = make_tree(tree, mb * 1000 * 1000, count)
        print(f'{len(sizes)} files, {sum(sizes)} bytes, largest {max(sizes)} '
              f'(made in {time.monotonic() - t0:.1f} s)', flush=True)
        out = os.path.join(tmp, 'kv0.crunch.c')

        # Peak memory from /usr/bin/time, which forks a small process: the
        # rusage of a child forked from this (large) Python would count
        # the copy of it before the exec.
        t0 = time.monotonic()
        r = subprocess.run(['/usr/bin/time', '-f', '%M', tool, tree, out], check=True,
                           capture_output=True, text=True)
        crunch_s = time.monotonic() - t0
        peak_kib = int(r.stderr.strip().splitlines()[-1])

        t0 = time.monotonic()
        subprocess.run(f'tar -C {tree} -cf - . | gzip -9 > /dev/null', shell=True, check=True)
        gzip_s = time.monotonic() - t0
        bench('crunch-time', crunch_s, gzip_s, 's', 1.0)
        bench('crunch-memory', peak_kib, max(sizes) / 1024, 'KiB', 2.0)

        # What the data would take compressed where it helps, file by file.
        packed = 0
        for d, _, names in os.walk(tree):
            for n in names:
                with open(os.path.join(d, n), 'rb') as f:
                    raw = f.read()
                c = zlib.compressobj(9, zlib.DEFLATED, -15)
                packed += min(len(raw), len(c.compress(raw) + c.flush()))
        obj = os.path.join(tmp, 'kv0.o')
        inc = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'subprojects',
                           'crunch', 'include')
        rinc = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'runtime',
                            'include')
        t0 = time.monotonic()
        subprocess.run(['cc', '-c', '-O2', '-I', inc, '-I', rinc, out, '-o', obj], check=True)
        print(f'cc -c of {os.path.getsize(out)} bytes of C: {time.monotonic() - t0:.1f} s',
              flush=True)
        size = subprocess.run(['size', obj], check=True, capture_output=True, text=True)
        text, data = (int(x) for x in size.stdout.splitlines()[1].split()[:2])
        bench('crunch-image', text + data, packed, 'bytes', 1.01)
    return 0


if __name__ == '__main__':
    sys.exit(main())
