#!/usr/bin/env python3
"""A unikernel_start that does not match the app's device list must fail to
compile; the matching one must compile.  usage: gen_mismatch.py MIRA_GEN
RUNTIME_INCLUDE_DIR CC [CC ARGS...]"""
import os
import subprocess
import sys
import tempfile

GOOD = '''#include <mira/console.h>
int unikernel_start(struct mira_console *c) { (void)c; return 0; }
'''
BAD = '''#include <mira/console.h>
int unikernel_start(struct mira_console *c, int extra) { (void)c; return extra; }
'''


def compiles(cc, inc, header, src, d):
    path = os.path.join(d, 'unikernel.c')
    with open(path, 'w') as f:
        f.write(src)
    r = subprocess.run(cc + ['-I', inc, '-include', header, '-c', path,
                             '-o', os.path.join(d, 'u.o')],
                       capture_output=True, text=True)
    return r.returncode == 0, r.stderr


def main():
    gen, inc, cc = sys.argv[1], sys.argv[2], sys.argv[3:]
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([gen, '--app', 'console', '--target', 'unix', '--out-dir', d,
                        'console0:console:console-unix'], check=True)
        header = os.path.join(d, 'mira_app.h')
        ok, err = compiles(cc, inc, header, GOOD, d)
        if not ok:
            print('FAIL: the matching unikernel_start did not compile:\n' + err)
            return 1
        ok, err = compiles(cc, inc, header, BAD, d)
        if ok:
            print('FAIL: a unikernel_start with an extra parameter compiled')
            return 1
        print('mismatch rejected by the compiler as expected:\n' + err)
        if 'unikernel_start' not in err:
            print('FAIL: the compiler error does not name unikernel_start')
            return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
