#!/usr/bin/env python3
"""The FAT benchmark's disk: the tree of the copy-out benchmark
(tests/integration/fat_bench.py: 300 files of 3 to 133 KB, about 20 MB, in
12 directories of 5 subdirectories, long names with spaces) written to a
temporary directory and made into a FAT image, no partition table, by
mira-fat make (checked against mtools by the fat tests).

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
            n = (i * 7919) % 130000 + 3000
            L.write(f'{work}/dir {i % 12:02d}/sub {i % 5}/file number {i:03d}.bin',
                    L.pattern(i, n))
        subprocess.run([mira_fat, 'make', work, out], check=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
