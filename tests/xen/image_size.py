#!/usr/bin/env python3
"""Prints the stripped size of a unikernel image (a figure, not a verdict;
the goal for console.xen is at most 64 KiB)."""
import os
import shutil
import subprocess
import sys
import tempfile

img = sys.argv[1]
strip = shutil.which('strip') or 'strip'
with tempfile.TemporaryDirectory() as d:
    out = os.path.join(d, 'stripped')
    subprocess.run([strip, '-o', out, img], check=True)
    size = os.path.getsize(out)
print('%s: %d bytes stripped (%.1f KiB; goal <= 64 KiB: %s)' % (
    os.path.basename(img), size, size / 1024, 'met' if size <= 65536 else 'NOT met'))
