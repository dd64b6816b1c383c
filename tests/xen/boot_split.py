#!/usr/bin/env python3
"""The boot time of a Mira guest against a Linux PVH guest, in its parts,
from the last Xen rig run (a figure, never a verdict).  The benchmark boot
(ci/bench: suite xen-bench) runs both guests several times in one Xen boot:
MIRA, MIRA-r2, ... paired with LINUX, LINUX-r2, ...; each pair gives one
line per part (ci/bench takes the medians):

  guest side  the guest's first instruction -> unikernel_start, measured by
              the guest with the PV clock (boot-time=1 prints it), against
              Linux's printk time of "Run /init as init process";
              goal <= 1/100 of Linux's
  toolstack   `xl create -p` until it returns + `xl unpause`, timed in dom0
              (run-guests: toolstack.out) for each guest; no goal
  whole       `xl create` -> the first byte on the guest's console
              (mira-xenwait's first_console); goal <= 0.3x Linux's

  boot_split.py RIG_OUT_DIR [MIRA_GUEST] [LINUX_GUEST]
Lines: BENCH {"name", "mira", "reference", "unit", "ratio", "goal",
"goal_op"} or, without figures, BENCH {"name", "error"}: docs/testing.md.
"""
import json
import os
import re
import sys

out = sys.argv[1]
mira_name = sys.argv[2] if len(sys.argv) > 2 else 'console'
linux_name = sys.argv[3] if len(sys.argv) > 3 else 'linux-hello'
RUN_BENCH = 'run ci/bench (the benchmark boot) first'


def kv(guest, fname):
    try:
        with open(os.path.join(out, 'results', guest, fname)) as f:
            return dict(l.strip().split('=', 1) for l in f if '=' in l)
    except OSError:
        return {}


def console_match(guest, pattern):
    try:
        with open(os.path.join(out, 'results', guest, 'console.log'), errors='replace') as f:
            for line in f:
                m = re.search(pattern, line)
                if m:
                    return m
    except OSError:
        pass
    return None


def number(d, key):
    try:
        return float(d[key])
    except (KeyError, ValueError):
        return None


def guest_side(mira, linux):
    m = console_match(mira, r'mira: boot-time: (\d+) ns')
    l = console_match(linux, r'linux boot-time: ([0-9.]+) s')
    return (int(m.group(1)) / 1e6 if m else None, float(l.group(1)) * 1e3 if l else None)


PARTS = [
    ('boot, guest side: first instruction -> unikernel_start (Linux: Run /init)',
     'ms', guest_side, 0.01),
    ('boot, toolstack: xl create -p + unpause',
     's', lambda m, l: (number(kv(m, 'toolstack.out'), 'toolstack_s'),
                        number(kv(l, 'toolstack.out'), 'toolstack_s')), None),
    ('boot, whole: xl create -> first console line',
     's', lambda m, l: (number(kv(m, 'wait.out'), 'first_console'),
                        number(kv(l, 'wait.out'), 'first_console')), 0.3),
]


def bench(line):
    print('BENCH ' + json.dumps(line), flush=True)


printed = {name: 0 for name, *_ in PARTS}
for rep in [''] + ['-r%d' % k for k in range(2, 10)]:
    mira, linux = mira_name + rep, linux_name + rep
    if rep and not os.path.isdir(os.path.join(out, 'results', mira)):
        break
    for name, unit, get, goal in PARTS:
        m, l = get(mira, linux)
        if m is None or l is None or l <= 0:
            continue
        bench({'name': name, 'mira': round(m, 3), 'reference': round(l, 3), 'unit': unit,
               'ratio': round(m / l, 4), 'goal': goal, 'goal_op': '<='})
        printed[name] += 1
for name, unit, get, goal in PARTS:
    if not printed[name]:
        m, l = get(mira_name, linux_name)
        why = []
        if m is None:
            why.append('no figure from %s' % mira_name)
        if l is None:
            why.append('no figure from %s' % linux_name)
        bench({'name': name, 'unit': unit, 'goal': goal, 'goal_op': '<=',
               'error': '%s in %s: %s' % (', '.join(why) or 'no figures', out, RUN_BENCH)})
