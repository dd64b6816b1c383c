#!/usr/bin/env python3
"""mira-fat make: images of a source tree for each FAT type and table pass
fsck.fat -n, mtools reads every file back identical (and so does mira-fat),
and sfdisk sees the partition libfdisk wrote.  Bad requests end with status
1, one line, and no image left behind.

usage: fat_make.py MIRA_FAT FAT(12|16|32)
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fat_lib as L  # noqa: E402

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print('FAIL: ' + what)


MIRA_FAT = None


def run(args):
    # Under `meson test --setup valgrind`, mira-fat runs under valgrind.
    wrapper = os.environ.get('MIRA_TEST_WRAPPER', '').split() if args[0] == MIRA_FAT else []
    return subprocess.run(wrapper + args, capture_output=True, env=L.ENV, timeout=3000)


def one_line_error(r, label):
    lines = r.stderr.decode(errors='replace').splitlines()
    check(r.returncode == 1 and len(lines) == 1 and lines[0].startswith('mira-fat: '),
          f'{label}: status {r.returncode}, stderr {lines}')


def main():
    global MIRA_FAT
    mira_fat, fat = os.path.abspath(sys.argv[1]), int(sys.argv[2])
    MIRA_FAT = mira_fat
    with tempfile.TemporaryDirectory(dir='/var/tmp') as work:
        src = os.path.join(work, 'src')
        L.source_tree(src, 4096)
        want = L.read_tree(src)
        for table in ('none', 'mbr', 'gpt'):
            img = os.path.join(work, f'made{fat}-{table}.img')
            r = run([mira_fat, 'make', src, img, f'--fat={fat}', f'--table={table}'])
            check(r.returncode == 0, f'make FAT{fat} {table}: {r.returncode} {r.stderr!r}')
            if r.returncode:
                continue
            offset = 0
            if table != 'none':
                t = json.loads(run(['sfdisk', '--json', img]).stdout)['partitiontable']
                check(t['label'] == ('dos' if table == 'mbr' else 'gpt'), f'{table}: label {t["label"]}')
                p = t['partitions'][0]
                offset = p['start'] * 512
                typ = p['type'].upper()
                check(typ in ({'12': '1', '16': 'E', '32': 'C'}[str(fat)], L.BASIC_DATA),
                      f'{table}: partition type {typ}')
                vol = os.path.join(work, 'volume.img')
                with open(img, 'rb') as f, open(vol, 'wb') as g:
                    f.seek(offset)
                    g.write(f.read(p['size'] * 512))
            else:
                vol = img
            fsck = run(['fsck.fat', '-n', vol])
            check(fsck.returncode == 0, f'fsck.fat -n FAT{fat} {table}: {fsck.stdout!r}')
            got = L.mtools_tree(img, offset, os.path.join(work, f'mcopy-{table}'))
            # mtools reads names outside the BMP (UTF-16 surrogate pairs) as
            # "__": compare that file by content under mtools' name.
            emoji = 'emoji 😀 name.bin'
            check(got.pop('emoji __ name.bin', None) == want[emoji], 'mtools: the emoji file')
            got[emoji] = want[emoji]
            check(got == want, f'FAT{fat} {table}: mtools read back {len(got)} paths, '
                  f'differing: {sorted(p for p in set(got) | set(want) if got.get(p) != want.get(p))[:5]}')
            ls = run([mira_fat, 'ls', '-R', img]).stdout.decode().splitlines()
            check(set(ls) == set(want), f'FAT{fat} {table}: mira-fat ls -R differs')
            for path in ('one-cluster.bin', 'many/entry number 119 with a long name.txt'):
                c = run([mira_fat, 'cat', img, path])
                check(c.stdout == want[path], f'FAT{fat} {table}: mira-fat cat {path} differs')
            print(f'ok: make FAT{fat} {table}: fsck.fat clean, {len(got)} paths read back by mtools')
        bad = os.path.join(work, 'bad.img')
        one_line_error(run([mira_fat, 'make', os.path.join(work, 'nothere'), bad]), 'missing DIR')
        one_line_error(run([mira_fat, 'make', src, bad, f'--fat={fat}', '--size=65536']), 'size too small')
        check(not os.path.exists(bad), 'a failed make left its image behind')
        one_line_error(run([mira_fat, 'ls', bad]), 'ls of a missing image')
        one_line_error(run([mira_fat, 'cat', img, 'no/such/file']), 'cat of a missing path')
        one_line_error(run([mira_fat, 'cat', img, 'many']), 'cat of a directory')
    if failures:
        print(f'{len(failures)} failures')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
