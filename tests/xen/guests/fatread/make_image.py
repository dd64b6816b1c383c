#!/usr/bin/env python3
"""The FAT benchmark's disk: a tree shaped like the copy-out benchmark's
(tests/integration/fat_bench.py: 300 files in 12 directories of 5
subdirectories, long names with spaces) but with files of 1 to 13 KB,
2.1 MB in all (a 4.6 MiB image), written to a temporary directory and made
into a FAT image, no partition table, by mira-fat make (checked against
mtools by the fat tests).  Small because the rig stages a copy for every
guest that reads it (six in the benchmark boot) in dom0's RAM root, whose
room shrinks as the initrd grows: four guests with the 20 MB tree's 27 MB
image left none ("No space left on device" at the third `xl create`).

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
            n = (i * 7919) % 12000 + 1000
            L.write(f'{work}/dir {i % 12:02d}/sub {i % 5}/file number {i:03d}.bin',
                    L.pattern(i, n))
        subprocess.run([mira_fat, 'make', work, out], check=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
