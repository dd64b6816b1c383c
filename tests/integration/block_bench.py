#!/usr/bin/env python3
"""Benchmarks of block-file against host tools on the same file, in one run.

usage: block_bench.py BLOCKIO_EXE seq|randread
  seq       sequential 1 MiB writes (+ fdatasync) and reads of the whole
            file, against dd: O_DIRECT (oflag/iflag=direct) and through the
            page cache; goal >= 0.95 x dd
  randread  random 4 KiB O_DIRECT reads by 4 fibers against fio
            (ioengine=io_uring, iodepth=4); goal >= 0.9 x fio.  Also 4
            fibers against 1: the fibers' requests overlap.
The file is MIRA_BENCH_MIB MiB (default 512) in MIRA_BENCH_DIR (default
/var/tmp, a disk, not tmpfs).  Each figure is the best of 5 alternating
passes.  Prints one line per benchmark:
  BENCH {"name": ..., "mira": ..., "reference": ..., "unit": ..., "ratio": ..., "goal": ...}
No assertion on time: the status is non-zero only if a program failed.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

REPS = 5


def sh(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise SystemExit(f'FAIL: {" ".join(cmd)} exited {r.returncode}: {r.stdout}{r.stderr}')
    return r


def dd_seconds(args):
    """Runs dd and returns the seconds it reports for the copy itself."""
    r = sh(['dd'] + args)
    m = re.search(r'copied, ([0-9.e+-]+) s', r.stderr)
    return float(m.group(1))


def mira(exe, img, args):
    """Runs blockio and returns its report as a dict of numbers."""
    r = sh([exe, '--block0-file=' + img] + args)
    line = r.stdout.strip().splitlines()[-1]
    return {k: int(v) for k, v in (kv.split('=') for kv in line.split())}


def bench(name, m, ref, unit, goal):
    print('BENCH ' + json.dumps({'name': name, 'mira': round(m, 1), 'reference': round(ref, 1),
                                 'unit': unit, 'ratio': round(m / ref, 3), 'goal': goal}),
          flush=True)


def seq(exe, img, mib):
    mb = mib * 1048576 / 1e6
    dd_common = ['bs=1M', f'count={mib}', 'status=progress']
    cases = [
        ('seqwrite-direct', ['if=/dev/zero', 'of=' + img, 'oflag=direct', 'conv=notrunc,fdatasync'],
         ['--op=seqwrite', '--block0-direct=yes']),
        ('seqwrite-cached', ['if=/dev/zero', 'of=' + img, 'conv=notrunc,fdatasync'],
         ['--op=seqwrite', '--block0-direct=no']),
        ('seqread-direct', ['if=' + img, 'of=/dev/null', 'iflag=direct'],
         ['--op=seqread', '--block0-direct=yes']),
        ('seqread-cached', ['if=' + img, 'of=/dev/null'],
         ['--op=seqread', '--block0-direct=no']),
    ]
    for name, dd_args, mira_args in cases:
        if name == 'seqread-cached':  # warm the page cache first
            dd_seconds(dd_args + dd_common)
        best_dd = best_mira = 0.0
        for _ in range(REPS):
            best_dd = max(best_dd, mb / dd_seconds(dd_args + dd_common))
            rep = mira(exe, img, mira_args + [f'--mib={mib}'])
            if name.endswith('direct') and rep['direct'] != 1:
                raise SystemExit('FAIL: block-file did not use O_DIRECT')
            best_mira = max(best_mira, mb / (rep['elapsed_ns'] / 1e9))
        bench('block-file-' + name, best_mira, best_dd, 'MB/s', 0.95)


def randread(exe, img, mib):
    ops = int(os.environ.get('MIRA_BENCH_OPS', '40000'))
    fio = ['fio', '--name=randread', '--filename=' + img, '--ioengine=io_uring', '--iodepth=4',
           '--rw=randread', '--bs=4k', '--direct=1', f'--size={mib}M', f'--number_ios={ops}',
           '--output-format=json']
    best_fio = best4 = best1 = 0.0
    in_flight = 0
    for _ in range(REPS):
        j = json.loads(sh(fio).stdout)
        best_fio = max(best_fio, j['jobs'][0]['read']['iops'])
        rep = mira(exe, img, ['--op=randread', '--fibers=4', f'--ops={ops}', f'--mib={mib}',
                              '--block0-direct=yes'])
        best4 = max(best4, ops / (rep['elapsed_ns'] / 1e9))
        in_flight = max(in_flight, rep['max_in_flight'])
        rep = mira(exe, img, ['--op=randread', '--fibers=1', f'--ops={ops}', f'--mib={mib}',
                              '--block0-direct=yes'])
        best1 = max(best1, ops / (rep['elapsed_ns'] / 1e9))
    bench('block-file-randread-4k-4fibers', best4, best_fio, 'IOPS', 0.9)
    print(f'4 fibers: at most {in_flight} requests in flight at once', flush=True)
    bench('block-file-randread-4fibers-vs-1', best4, best1, 'IOPS', 1.5)


def main():
    exe, which = sys.argv[1], sys.argv[2]
    mib = int(os.environ.get('MIRA_BENCH_MIB', '512'))
    where = os.environ.get('MIRA_BENCH_DIR', '/var/tmp')
    with tempfile.TemporaryDirectory(dir=where) as d:
        img = os.path.join(d, 'bench.img')
        sh(['dd', 'if=/dev/zero', 'of=' + img, 'bs=1M', f'count={mib}', 'oflag=direct',
            'conv=fdatasync', 'status=none'])
        print(f'{mib} MiB file in {where}', flush=True)
        if which == 'seq':
            seq(exe, img, mib)
        else:
            randread(exe, img, mib)
    return 0


if __name__ == '__main__':
    sys.exit(main())
