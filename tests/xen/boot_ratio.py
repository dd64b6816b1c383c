#!/usr/bin/env python3
"""Prints the boot-time figure of the last Xen rig run (not a verdict):
`xl create` -> first console output of the Mira guest against the rig's
Linux PVH guest, from the same boot (mira-xenwait's first_console).
Goal: the Mira guest in at most 1/100 of Linux's time.

  boot_ratio.py RIG_OUT_DIR [MIRA_GUEST] [LINUX_GUEST]
"""
import os
import sys

out = sys.argv[1]
mira = sys.argv[2] if len(sys.argv) > 2 else 'console'
linux = sys.argv[3] if len(sys.argv) > 3 else 'linux-hello'


def first_console(name):
    try:
        with open(os.path.join(out, 'results', name, 'wait.out')) as f:
            kv = dict(l.strip().split('=', 1) for l in f if '=' in l)
        return float(kv['first_console'])
    except (OSError, KeyError, ValueError):
        return None


m, l = first_console(mira), first_console(linux)
if m is None or l is None:
    print('boot time: no figures yet (run `meson test --suite xen` first): '
          '%s=%s %s=%s' % (mira, m, linux, l))
    sys.exit(0)
print('boot time (xl create -> first console output, same Xen boot): '
      '%s %.3f s, %s %.3f s, ratio 1/%.1f (goal 1/100: %s)' % (
          mira, m, linux, l, l / m if m > 0 else float('inf'),
          'met' if m * 100 <= l else 'NOT met'))
