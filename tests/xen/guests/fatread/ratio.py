#!/usr/bin/env python3
"""Prints the fat driver's read of a whole FAT image over blkfront against
Linux's from the last Xen rig run (a figure, not a verdict): the BENCH-RAW
lines of the Mira guest fatread (mount with the fat driver, read every file
through mira_kv_ro) and of the Linux PVH guest linux-fatread (`mount -t
vfat`, `cat` of every file), both on copies of the same image in the same
Xen boot.  Each line is "BENCH-RAW fat-read FILES BYTES MICROSECONDS"; the
two must have read the same files and bytes.  One line per repetition:
BENCH {"name": ..., "mira": MB/s, "reference": MB/s, "unit": "MB/s",
"ratio": mira/reference, "goal": 1.0}, or BENCH {"name", "error"}.

  ratio.py RIG_OUT_DIR
"""
import json
import os
import re
import sys

NAME = 'FAT image read over blkfront: fat driver vs Linux vfat + cat'
out = sys.argv[1]


def figures(guest):
    try:
        with open(os.path.join(out, 'results', guest, 'console.log'), errors='replace') as f:
            for line in f:
                m = re.search(r'BENCH-RAW fat-read (\d+) (\d+) (\d+)', line)
                if m and int(m.group(3)) > 0:
                    return tuple(int(x) for x in m.groups())
    except OSError:
        pass
    return None


# The benchmark boot (ci/bench) runs both guests several times: fatread,
# fatread-r2, ... each paired with linux-fatread of the same repetition.
printed = 0
for rep in [''] + ['-r%d' % k for k in range(2, 10)]:
    mira, linux = figures('fatread' + rep), figures('linux-fatread' + rep)
    if rep and not mira and not linux:
        break
    if not mira or not linux:
        print('BENCH ' + json.dumps({'name': NAME, 'error': 'no figures from the rig '
              '(run `meson test --suite xen` or ci/bench first): mira=%s linux=%s' % (mira, linux)}))
        continue
    if mira[:2] != linux[:2]:
        print('BENCH ' + json.dumps({'name': NAME, 'error': 'the guests read different trees: '
              'mira %d files %d bytes, linux %d files %d bytes' % (mira[:2] + linux[:2])}))
        continue
    print('%s%s: %d files, %d bytes: Mira %.3f s, Linux %.3f s' %
          ('fatread', rep, mira[0], mira[1], mira[2] / 1e6, linux[2] / 1e6))
    m, l = mira[1] / mira[2], linux[1] / linux[2]  # bytes per microsecond = MB/s
    print('BENCH ' + json.dumps({'name': NAME, 'mira': round(m, 2), 'reference': round(l, 2),
                                 'unit': 'MB/s', 'ratio': round(m / l, 3), 'goal': 1.0}))
