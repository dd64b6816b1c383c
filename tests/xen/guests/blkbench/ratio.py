#!/usr/bin/env python3
"""Prints blkfront's sequential throughput against Linux's from the last Xen
rig run (a figure, not a verdict): the BENCH-RAW lines of the Mira guest
blkbench and of the Linux PVH guest linux-blkbench (`dd bs=1M`, O_DIRECT,
on the same kind of disk in the same Xen boot).  One line per direction:
BENCH {"name": ..., "mira": MiB/s, "reference": MiB/s, "unit": "MiB/s",
"ratio": mira/reference, "goal": 1.0}

  ratio.py RIG_OUT_DIR
"""
import json
import os
import re
import sys

out = sys.argv[1]


def figures(guest):
    got = {}
    try:
        with open(os.path.join(out, 'results', guest, 'console.log'), errors='replace') as f:
            for line in f:
                m = re.search(r'BENCH-RAW (\w+) (\d+) (\d+)', line)
                if m and int(m.group(3)) > 0:
                    got[m.group(1)] = int(m.group(2)) / (1 << 20) / (int(m.group(3)) / 1e6)
    except OSError:
        pass
    return got


# The benchmark boot (ci/bench) runs both guests several times: blkbench,
# blkbench-r2, ... each paired with linux-blkbench of the same repetition;
# one line per pair (ci/bench takes their median).
for rep in [''] + ['-r%d' % k for k in range(2, 10)]:
    mira, linux = figures('blkbench' + rep), figures('linux-blkbench' + rep)
    if rep and not mira and not linux:
        break
    for op in ('write', 'read'):
        if op not in mira or op not in linux:
            print('blkfront %s: no figures yet (run `meson test --suite xen` first): '
                  'mira=%s linux=%s' % (op, mira.get(op), linux.get(op)))
            continue
        print('BENCH ' + json.dumps({
            'name': 'blkfront sequential %s, 1 MiB requests' % op,
            'mira': round(mira[op], 2), 'reference': round(linux[op], 2), 'unit': 'MiB/s',
            'ratio': round(mira[op] / linux[op], 3), 'goal': 1.0}))
