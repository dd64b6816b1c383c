#!/usr/bin/env python3
"""The benchmark boot of the Xen rig (test 'rig-bench', suite 'xen-bench'):
runs ci/xen/rig with the arguments given, but only when MIRA_BENCH=1 (set by
ci/bench), so that a plain `meson test` does not pay for a second Xen boot.
Otherwise it reports itself skipped (TAP).

  bench_rig.py RIG [RIG ARGS...]
"""
import os
import sys

if os.environ.get('MIRA_BENCH') != '1':
    print('1..0 # SKIP the benchmark boot runs under ci/bench (or with MIRA_BENCH=1)')
    sys.exit(0)
os.execv(sys.argv[1], sys.argv[1:])
