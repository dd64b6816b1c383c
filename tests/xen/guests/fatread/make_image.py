#!/usr/bin/env python3
"""The FAT benchmark's disk: a tree shaped like the copy-out benchmark's
(tests/integration/fat_bench.py: 300 files in 12 directories of 5
subdirectories, long names with spaces) but with files of 1 to 41 KB,
6.3 MB in all (an 8 MiB image): the rig stages a copy for every guest
that reads it, six in the benchmark boot, in dom0's RAM root, where four
copies of the 20 MB tree's image left no room), written to a temporary
directory and made into a FAT image, no partition table, by mira-fat make
(checked against mtools by the fat tests).

  make_image.py MIRA_FAT OUTPUT
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '../../../integration'))
import fat_lib as L  # noqa: E402


def main():
    mira_fat, out = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as work:
        for i in range(300):
            n = (i * 7919) % 40000 + 1000
            L.write(f'{work}/dir {i % 12:02d}/sub {i % 5}/file number {i:03d}.bin',
                    L.pattern(i, n))
        subprocess.run([mira_fat, 'make', work, out], check=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
