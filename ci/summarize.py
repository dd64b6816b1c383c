#!/usr/bin/env python3
"""Counts meson test results over several runs and prints the one line CI
reads: "N passed, N failed" (", N skipped" when some were).  Exits 0 only
when nothing failed.  usage: summarize.py [--extra-failed N] TESTLOG.json..."""
import json
import sys

PASSED = {'OK', 'EXPECTEDFAIL'}
SKIPPED = {'SKIP'}


def main(argv):
    extra = 0
    if argv[:1] == ['--extra-failed']:
        extra = int(argv[1])
        argv = argv[2:]
    passed = failed = skipped = 0
    for path in argv:
        with open(path) as f:
            for line in f:
                if not line.strip():
                    continue
                r = json.loads(line)['result']
                if r in PASSED:
                    passed += 1
                elif r in SKIPPED:
                    skipped += 1
                else:
                    failed += 1
    failed += extra
    if passed + failed == 0:
        failed = 1  # a run that ran nothing has not passed
    line = f'{passed} passed, {failed} failed'
    if skipped:
        line += f', {skipped} skipped'
    print(line)
    return 0 if failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
