#!/usr/bin/env python3
"""Prints bulk TCP over netfront, dom0 to a Mira guest, against dom0 to a
Linux PVH guest, from the last Xen rig run (a figure, not a verdict): the
'[dom0] send|recv BYTES bytes SECONDS s MB/s' lines nbtool printed in dom0
against the Mira guest netbench (tests/apps/netbench: discard 9, chargen
19) and against the Linux guest linux-netbench (`nbtool serve`), both in
the same Xen boot (dom0-bench.sh).  "send": dom0 sends, the guest
receives; "recv": the guest sends.  One line per direction and
repetition: BENCH {"name": ..., "mira": MB/s, "reference": MB/s, "unit":
"MB/s", "ratio": mira/reference, "goal": 1.0}, or BENCH {"name", "error"}.

  ratio.py RIG_OUT_DIR
"""
import json
import os
import re
import sys

NAMES = {'send': 'TCP bulk dom0 -> guest over netfront: Mira vs Linux',
         'recv': 'TCP bulk guest -> dom0 over netfront: Mira vs Linux'}
out = sys.argv[1]


def figures(guest):
    """{direction: (bytes, MB/s)} of the guest's console, or {}."""
    found = {}
    try:
        with open(os.path.join(out, 'results', guest, 'console.log'), errors='replace') as f:
            for line in f:
                m = re.search(r'\[dom0\] (send|recv) (\d+) bytes [0-9.]+ s ([0-9.]+) MB/s', line)
                if m:
                    found[m.group(1)] = (int(m.group(2)), float(m.group(3)))
    except OSError:
        pass
    return found


# The benchmark boot (ci/bench) runs both guests several times: netbench,
# netbench-r2, ... each paired with linux-netbench of the same repetition.
for rep in [''] + ['-r%d' % k for k in range(2, 10)]:
    mira, linux = figures('netbench' + rep), figures('linux-netbench' + rep)
    if rep and not mira and not linux:
        break
    for d, name in NAMES.items():
        if d not in mira or d not in linux:
            print('BENCH ' + json.dumps({'name': name, 'error': 'no figures from the rig (run '
                  'ci/bench, or meson test --suite xen-bench with MIRA_BENCH=1, first): '
                  'mira=%s linux=%s' % (mira.get(d), linux.get(d))}))
            continue
        if mira[d][0] != linux[d][0] or mira[d][1] <= 0 or linux[d][1] <= 0:
            print('BENCH ' + json.dumps({'name': name, 'error': 'unlike runs: mira %s, linux %s'
                                         % (mira[d], linux[d])}))
            continue
        m, l = mira[d][1], linux[d][1]
        print('netbench%s %s %d bytes: Mira %.2f MB/s, Linux %.2f MB/s' % (rep, d, mira[d][0], m, l))
        print('BENCH ' + json.dumps({'name': name, 'mira': round(m, 2), 'reference': round(l, 2),
                                     'unit': 'MB/s', 'ratio': round(m / l, 3), 'goal': 1.0}))
