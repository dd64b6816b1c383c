#!/usr/bin/env python3
"""The smallest `memory =` (MiB) each app boots and runs in on Xen, from the
last rig run's memory probes (a figure, never a verdict): the benchmark boot
(ci/bench) runs each app's guest NAME-mem, the rig bisecting its memory
(run-guests: results/NAME-mem/memprobe.log, "floor=M").  The domain also
has the 1 MiB paging pool the generated .xl asks for (shadow_memory).

  memory_floor.py RIG_OUT_DIR APP[:GOAL_MIB[:WHY_NOT_BUILT]] ...
Lines: BENCH {"name", "mira": MiB, "unit": "MiB", "goal", "goal_op": "<=",
"goal_of": "mira"} or BENCH {"name", "error"} (docs/testing.md).
"""
import json
import os
import sys

out = sys.argv[1]
for arg in sys.argv[2:]:
    app, _, rest = arg.partition(':')
    goal, _, why = rest.partition(':')
    line = {'name': 'memory floor on Xen: %s' % app, 'unit': 'MiB',
            'goal': float(goal) if goal else None, 'goal_op': '<=', 'goal_of': 'mira'}
    log = os.path.join(out, 'results', app + '-mem', 'memprobe.log')
    if why:
        line['error'] = why
    elif not os.path.isfile(log):
        line['error'] = 'no memory probe in %s: run ci/bench (the benchmark boot) first' % out
    else:
        with open(log) as f:
            tries = [l.strip() for l in f if l.strip()]
        floor = [l[len('floor='):] for l in tries if l.startswith('floor=')]
        if floor and floor[-1].isdigit():
            line['mira'] = int(floor[-1])
        else:
            fails = [l for l in tries if ' fail ' in l]
            line['error'] = 'did not run at the probe\'s largest memory: %s' % (
                fails[0] if fails else 'no tries')
    print('BENCH ' + json.dumps(line), flush=True)
