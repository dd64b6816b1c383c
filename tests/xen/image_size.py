#!/usr/bin/env python3
"""The stripped size of unikernel images (a figure, never a verdict): one
line per image, against a goal in KiB; no reference (the table shows "—").

  image_size.py NAME=PATH[:GOAL_KIB] ...      (PATH empty: not built; then
                                              NAME=:GOAL_KIB:WHY)
Lines: BENCH {"name", "mira": KiB, "unit": "KiB", "goal", "goal_op": "<=",
"goal_of": "mira"} or BENCH {"name", "error"} (docs/testing.md).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

strip = shutil.which('strip') or 'strip'
for arg in sys.argv[1:]:
    name, spec = arg.split('=', 1)
    path, _, rest = spec.partition(':')
    goal, _, why = rest.partition(':')
    line = {'name': 'image size: %s.xen, stripped' % name, 'unit': 'KiB',
            'goal': float(goal) if goal else None, 'goal_op': '<=', 'goal_of': 'mira'}
    if not path:
        line['error'] = why or 'not built'
    else:
        with tempfile.TemporaryDirectory() as d:
            stripped = os.path.join(d, 'stripped')
            subprocess.run([strip, '-o', stripped, path], check=True)
            line['mira'] = round(os.path.getsize(stripped) / 1024, 1)
    print('BENCH ' + json.dumps(line), flush=True)
