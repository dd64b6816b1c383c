#!/usr/bin/env python3
"""Every public runtime header compiles on its own with only the compiler's
freestanding headers (no libc): what the xen guest build relies on.
unix.h, the unix platform's own header, is the one exception; the xen
platform's headers (mira/xen/) are compiled with Xen's public headers and the
pinned interface version (XEN_ARGS), as the guest build does.
usage: headers_freestanding.py INCLUDE_DIR --xen-args=XEN_ARGS CC [CC ARGS...]"""
import glob
import os
import subprocess
import sys
import tempfile

HOSTED_ONLY = {'unix.h'}


def main():
    inc = sys.argv[1]
    xen_args = sys.argv[2].split('=', 1)[1].split()
    cc = sys.argv[3:]
    gcc_inc = subprocess.run(cc + ['-print-file-name=include'], capture_output=True,
                             text=True, check=True).stdout.strip()
    headers = sorted(glob.glob(os.path.join(inc, 'mira', '**', '*.h'), recursive=True))
    failures = 0
    with tempfile.TemporaryDirectory() as d:
        for h in headers:
            rel = os.path.relpath(h, inc)
            if os.path.basename(rel) in HOSTED_ONLY:
                continue
            src = os.path.join(d, 't.c')
            with open(src, 'w') as f:
                f.write(f'#include <{rel}>\n#include <{rel}>\n')  # twice: include guards
            r = subprocess.run(cc + ['-ffreestanding', '-nostdinc', '-isystem', gcc_inc,
                                     '-I', inc, '-std=gnu11', '-Wall', '-Werror',
                                     '-fsyntax-only', src] +
                               (xen_args if rel.startswith('mira/xen/') else []),
                               capture_output=True, text=True)
            print(('ok   ' if r.returncode == 0 else 'FAIL ') + rel)
            if r.returncode != 0:
                print(r.stderr)
                failures += 1
    if not headers:
        print('FAIL: no headers found in ' + inc)
        return 1
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
