#!/usr/bin/env python3
"""block-file and dd exchange data through a file: what the driver wrote,
dd reads back exactly, next to untouched zeroes; what dd wrote, the driver
reads back exactly; a wrong expectation is noticed (so the check can fail);
discard clears exactly its sectors; four fibers with requests in flight at
once each get their own data, and a fiber left waiting
when the polling fiber's request is done still completes.

usage: block_dd.py BLOCKIO_EXE SECTOR_SIZE
"""
import os
import subprocess
import sys
import tempfile


def pattern(base, n, seed):
    """The bytes tests/apps/blockio writes at device offsets base..base+n."""
    return bytes(((o ^ (o >> 8) ^ (o >> 16) ^ seed * 37) & 0xff) for o in range(base, base + n))


def run(cmd, status=0):
    wrapper = os.environ.get('MIRA_TEST_WRAPPER', '').split() if 'blockio' in cmd[0] else []
    r = subprocess.run(wrapper + cmd, capture_output=True, stdin=subprocess.DEVNULL,
                       timeout=600 if wrapper else 60)
    print(f'$ {" ".join(cmd)}: status {r.returncode}')
    out = r.stdout.decode(errors='replace') if b'\0' not in r.stdout else f'{len(r.stdout)} bytes'
    print(out + r.stderr.decode(errors='replace'))
    if r.returncode != status:
        raise SystemExit(f'FAIL: status {r.returncode}, expected {status}')
    return r.stdout


def main():
    exe, ss = sys.argv[1], int(sys.argv[2])
    with tempfile.TemporaryDirectory(dir='/var/tmp') as d:
        img = os.path.join(d, 'disk.img')
        with open(img, 'wb') as f:
            f.truncate(1 << 20)
        dev = ['--block0-file=' + img, '--block0-sector-size=' + str(ss)]
        nsec = (1 << 20) // ss

        # The driver writes 7 sectors at 3 and the last 2 sectors; dd reads.
        run([exe] + dev + ['--op=write', '--seed=5', '--at=3', '--count=7'])
        run([exe] + dev + ['--op=write', '--seed=6', f'--at={nsec - 2}', '--count=2'])
        got = run(['dd', 'if=' + img, f'bs={ss}', 'skip=2', 'count=9', 'iflag=direct',
                   'status=none'])
        want = bytes(ss) + pattern(3 * ss, 7 * ss, 5) + bytes(ss)
        if got != want:
            raise SystemExit('FAIL: dd does not read what the driver wrote at sector 3')
        got = run(['dd', 'if=' + img, f'bs={ss}', f'skip={nsec - 3}', 'status=none'])
        if got != bytes(ss) + pattern((nsec - 2) * ss, 2 * ss, 6):
            raise SystemExit('FAIL: dd does not read what the driver wrote at the end')

        # dd writes 5 sectors at 40 (with O_DIRECT, as another host program
        # would); the driver reads them.
        src = os.path.join(d, 'src')
        with open(src, 'wb') as f:
            f.write(pattern(40 * ss, 5 * ss, 9))
        run(['dd', 'if=' + src, 'of=' + img, f'bs={ss}', 'seek=40', 'count=5', 'conv=notrunc',
             'oflag=direct', 'status=none'])
        run([exe] + dev + ['--op=verify', '--seed=9', '--at=40', '--count=5'])
        # ... and notices when the data is not what it expects.
        run([exe] + dev + ['--op=verify', '--seed=8', '--at=40', '--count=5'], status=1)
        run([exe] + dev + ['--op=verify', '--seed=9', '--at=41', '--count=5'], status=1)

        # Discard punches a hole: the sectors read back as zeroes.
        run([exe] + dev + ['--op=discard', '--at=40', '--count=2'])
        got = run(['dd', 'if=' + img, f'bs={ss}', 'skip=40', 'count=3', 'status=none'])
        if got != bytes(2 * ss) + pattern(42 * ss, ss, 9):
            raise SystemExit('FAIL: discard did not clear exactly sectors 40 and 41')
        # Four fibers write and read their own sectors at once, ten rounds
        # each: every fiber gets its own data back, and the file ends with
        # each fiber's last round where it belongs.
        out = run([exe] + dev + ['--op=fibers', '--fibers=4', '--count=8', '--rounds=10'])
        if b'4 fibers ok' not in out:
            raise SystemExit('FAIL: the fibers did not all finish')
        for f in range(4):
            got = run(['dd', 'if=' + img, f'bs={ss}', f'skip={f * 8}', 'count=8', 'status=none'])
            if got != pattern(f * 8 * ss, 8 * ss, 900 + f):
                raise SystemExit(f'FAIL: fiber {f}\'s sectors do not hold its last round')
        # A fiber whose request is done stops polling the ring and hands the
        # polling to a fiber still waiting (else that one would wait forever).
        out = run([exe] + dev + ['--op=handover'])
        if b'handover ok' not in out:
            raise SystemExit('FAIL: handover')
    print('ok')
    return 0


if __name__ == '__main__':
    sys.exit(main())
