#!/usr/bin/env python3
"""The block skeleton app on a real block device and on a file system that
refuses O_DIRECT for 512-byte sectors, both made with loop devices of
4096-byte logical sectors (removed again even on failure).

  1. a 1 MiB loop device: block-file takes its logical sector size (BLKSSZGET)
     and its size (BLKGETSIZE64): the output is block4096.expected;
  2. a 1 MiB file on ext4 on such a device, with 512-byte sectors: O_DIRECT
     refuses them, block-file goes on through the page cache and says so:
     the output is block512.expected.

usage: block_loop.py BLOCK_EXE BLOCK4096_EXPECTED BLOCK512_EXPECTED
Skipped (77) where loop devices or mounting are not available (not root).
"""
import os
import subprocess
import sys
import tempfile

SKIP = 77


def sh(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def run_app(exe, args, expected, stderr_has):
    wrapper = os.environ.get('MIRA_TEST_WRAPPER', '').split()
    r = subprocess.run(wrapper + [exe] + args, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=600 if wrapper else 60)
    print(f'$ {exe} {" ".join(args)}: status {r.returncode}')
    print('--- stdout ---\n' + r.stdout + '--- stderr ---\n' + r.stderr + '---')
    with open(expected) as f:
        want = f.read()
    failures = []
    if r.returncode != 0:
        failures.append(f'exit status {r.returncode}')
    if r.stdout != want:
        failures.append('stdout differs from ' + expected)
    if stderr_has not in r.stderr:
        failures.append(f'stderr lacks {stderr_has!r}')
    return failures


def main():
    exe, exp4096, exp512 = sys.argv[1:4]
    if os.geteuid() != 0:
        print('SKIP: loop devices need root')
        return SKIP
    loops, mounted = [], None
    failures = []
    with tempfile.TemporaryDirectory(dir='/var/tmp') as d:
        try:
            def loop(size):
                img = os.path.join(d, f'loop{len(loops)}.img')
                with open(img, 'wb') as f:
                    f.truncate(size)
                r = sh(['losetup', '-b', '4096', '-f', '--show', img])
                if r.returncode != 0:
                    return None
                loops.append(r.stdout.strip())
                return loops[-1]

            dev = loop(1 << 20)
            if dev is None:
                print('SKIP: cannot set up a loop device here')
                return SKIP
            failures += run_app(exe, ['--block0-file=' + dev, '--log-level=debug'], exp4096,
                                "'" + dev + "', 256 sectors of 4096 bytes")

            fsdev = loop(16 << 20)
            mnt = os.path.join(d, 'mnt')
            os.mkdir(mnt)
            if (fsdev is None or sh(['mkfs.ext4', '-q', '-b', '4096', fsdev]).returncode != 0
                    or sh(['mount', fsdev, mnt]).returncode != 0):
                print('SKIP: cannot make and mount a file system here')
                return SKIP
            mounted = mnt
            img = os.path.join(mnt, 'disk.img')
            with open(img, 'wb') as f:
                f.truncate(1 << 20)
            failures += run_app(exe, ['--block0-file=' + img], exp512,
                                'O_DIRECT refused for 512-byte sectors; using the page cache')
        finally:
            if mounted:
                sh(['umount', mounted])
            for dev in reversed(loops):
                sh(['losetup', '-d', dev])
    for f in failures:
        print('FAIL: ' + f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
