#!/usr/bin/env python3
"""Images made by mkfs.fat, mcopy and sfdisk, read by mira-fat and by the
kvtree app (the fat driver over block-file): every path and every byte
must equal what mcopy reads.  Then corrupt variants of them, each of which
both must refuse cleanly: exit status 1 and one line saying why, never a
crash, a hang or a wrong byte.

usage: fat_images.py MIRA_FAT KVTREE FAT(12|16|32)
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fat_lib as L  # noqa: E402

failures = []


def run(args, timeout=120):
    wrapper = os.environ.get('MIRA_TEST_WRAPPER', '').split()
    return subprocess.run(wrapper + args, capture_output=True, timeout=timeout * (10 if wrapper else 1),
                          env=L.ENV, stdin=subprocess.DEVNULL)


def check(cond, what):
    if not cond:
        failures.append(what)
        print('FAIL: ' + what)


def mira_fat_tree(mira_fat, image, part=None):
    opt = [f'--partition={part}'] if part else []
    r = run([mira_fat, 'ls', '-R', image] + opt)
    check(r.returncode == 0, f'ls -R {image}: status {r.returncode} {r.stderr!r}')
    out = {}
    for line in r.stdout.decode().splitlines():
        if line.endswith('/'):
            out[line] = None
        else:
            c = run([mira_fat, 'cat', image, line] + opt)
            check(c.returncode == 0, f'cat {line}: status {c.returncode} {c.stderr!r}')
            out[line] = c.stdout
    return out


def kvtree_lines(tree):
    """What kvtree prints for a tree, as a set (its order is the disk's)."""
    lines = set()
    for path, data in tree.items():
        if data is None:
            lines.add('d ' + path)
        else:
            lines.add(f'f {path} {len(data)} {L.fnv64(data):016x}')
    return lines


def check_image(mira_fat, kvtree, image, ref, label, extra=(), part=None):
    got = mira_fat_tree(mira_fat, image, part)
    if part:
        extra = list(extra) + [f'--kv0-partition={part}']
    check(set(got) == set(ref), f'{label}: mira-fat ls -R differs from mcopy: '
          f'missing {sorted(set(ref) - set(got))[:5]}, extra {sorted(set(got) - set(ref))[:5]}')
    bad = [p for p in ref if p in got and got[p] != ref[p]]
    check(not bad, f'{label}: mira-fat cat differs from mcopy for {bad[:5]}')
    for chunk in ('4000', '65536'):
        r = run([kvtree, f'--kv0-block-file={image}', f'--chunk={chunk}'] + list(extra))
        lines = r.stdout.decode().splitlines()
        check(r.returncode == 0, f'{label}: kvtree status {r.returncode} {r.stderr!r}')
        check(lines and lines[-1] == f'done {len(ref)}', f'{label}: kvtree did not end with done')
        want = kvtree_lines(ref)
        check(set(lines[:-1]) == want, f'{label}: kvtree (chunk {chunk}) differs: '
              f'{sorted(want - set(lines))[:3]} vs {sorted(set(lines) - want)[:3]}')
    print(f'ok: {label}: {len(ref)} paths, every byte equal')


def refused(mira_fat, kvtree, image, label, reason):
    """Both readers refuse image: status 1 with one line that says reason,
    no crash."""
    r = run([mira_fat, 'ls', '-R', image])
    outcomes = [r]
    if r.returncode == 0:
        for line in r.stdout.decode().splitlines():
            if not line.endswith('/'):
                outcomes.append(run([mira_fat, 'cat', image, line]))
    fails = [o for o in outcomes if o.returncode != 0]
    odd = [o.returncode for o in outcomes if o.returncode not in (0, 1)]
    check(not odd, f'{label}: mira-fat exit status {odd} (crash?)')
    check(fails, f'{label}: mira-fat accepted the corrupt image')
    for o in fails[:1]:
        lines = o.stderr.decode(errors='replace').splitlines()
        check(len(lines) == 1 and lines[0].startswith('mira-fat: '),
              f'{label}: mira-fat stderr is not one line: {lines}')
        check(lines and reason in lines[0], f'{label}: mira-fat does not say {reason!r}: {lines}')
        print(f'ok: {label}: mira-fat: {lines[0] if lines else ""}')
    k = run([kvtree, f'--kv0-block-file={image}'])
    check(k.returncode == 1, f'{label}: kvtree status {k.returncode}, expected 1 '
          f'{k.stderr.decode(errors="replace")!r}')
    err = k.stderr.decode(errors='replace').replace(image, 'IMAGE').strip().splitlines()
    out = k.stdout.decode(errors='replace').strip().splitlines()
    why = [x for x in err if reason in x]
    check(why, f'{label}: kvtree does not say {reason!r}: {err} {out[-1:]}')
    if why:
        print(f'ok: {label}: kvtree: {why[0]}')


def corruptions(work, image, offset):
    """(label, path) of corrupt copies of image."""
    out = []

    def variant(name, fn, reason):
        p = os.path.join(work, name + '.img')
        shutil.copy(image, p)
        fn(p, L.Volume(p, offset))
        out.append((name, p, reason))
    size = os.path.getsize(image)
    variant('truncated-half', lambda p, v: os.truncate(p, offset + (size - offset) // 2),
            'truncated image')
    variant('truncated-300', lambda p, v: os.truncate(p, offset + 300), 'truncated image')
    variant('bad-sector-size', lambda p, v: v.poke(offset + 11, struct.pack('<H', 1000)),
            'bytes per sector')
    variant('bad-cluster-size', lambda p, v: v.poke(offset + 13, b'\x03'),
            'sectors per cluster')
    variant('no-signature', lambda p, v: v.poke(offset + 510, b'\0\0'), '55 AA')
    variant('no-fats', lambda p, v: v.poke(offset + 16, b'\0'), 'no FAT')

    def loop(p, v):
        _, c = v.root_entry('LOOP.BIN')
        third = v.get_fat(v.get_fat(c))
        v.set_fat(third, c)  # the third cluster points back at the first
    variant('looped-chain', loop, 'loops')

    def oor(p, v):
        _, c = v.root_entry('OOR.BIN')
        v.set_fat(c, v.clusters + 10)
    variant('cluster-out-of-range', oor, 'leaves the volume')

    def past(p, v):
        at, _ = v.root_entry('PAST.BIN')
        v.poke(at + 26, struct.pack('<H', min(v.clusters + 50, 0xFFEF)))
        if v.type == 32:
            v.poke(at + 20, struct.pack('<H', (v.clusters + 50) >> 16))
    variant('entry-past-end', past, 'points past the end')

    def longer(p, v):
        at, _ = v.root_entry('LONGER.BIN')
        v.poke(at + 28, struct.pack('<I', 10 * v.cb))
    variant('size-larger-than-chain', longer,
            'larger than its cluster chain')
    return out


def stale_long_name(mira_fat, kvtree, work, image):
    """A long name whose checksum no longer matches its 8.3 entry (as a
    DOS program renaming the file leaves it) must not be used: the file
    shows its 8.3 name, as mtools shows it."""
    p = os.path.join(work, 'stale-lfn.img')
    shutil.copy(image, p)
    v = L.Volume(p, 0)
    at, _ = v.root_entry('README.TXT')  # any root entry: walk back from it
    with open(p, 'rb') as f:
        f.seek(at - 32 * 64 if at > 32 * 64 else 0)
        start = f.tell()
        raw = f.read(at - start + 32 * 64)
    hits = 0
    for i in range(0, len(raw), 32):
        e = raw[i:i + 32]
        if len(e) == 32 and e[11] == 0x0F and e[0] != 0xE5:
            v.poke(start + i + 13, bytes([e[13] ^ 0x5A]))
            hits += 1
    check(hits > 0, 'stale-lfn: no long-name entry found to corrupt')
    ref = L.mtools_tree(p, 0, os.path.join(work, 'mcopy-stale'))
    check_image(mira_fat, kvtree, p, ref, 'stale long names')
    check(any('~' in k for k in ref), 'stale-lfn: mtools shows no 8.3 alias')


def table_corruptions(work, image, table):
    out = []

    def variant(name, fn, reason):
        p = os.path.join(work, f'{table}-{name}.img')
        shutil.copy(image, p)
        with open(p, 'r+b') as f:
            fn(f)
        out.append((f'{table}-{name}', p, reason))
    size = os.path.getsize(image)
    if table == 'mbr':
        def overlap(f):
            f.seek(446)
            e = f.read(16)
            f.seek(446 + 16)
            f.write(e[:8] + struct.pack('<II', 2048 + 100, 500))
        variant('overlap', overlap, 'overlap')

        def leaves(f):
            f.seek(446 + 12)
            f.write(struct.pack('<I', size // 512))
        variant('leaves-disk', leaves, 'leaves the disk')
    else:
        def primary_and_backup_entries(f):
            f.seek(512 + 48)
            f.write(struct.pack('<Q', size // 512 + 100))  # primary header CRC off
            f.seek(size - 512 + 72)
            lba = struct.unpack('<Q', f.read(8))[0]
            f.seek(lba * 512 + 40)
            f.write(b'\x7f')  # backup entries CRC off
        variant('both-damaged', primary_and_backup_entries, 'both')

        def disagree(f):
            # The backup's first partition renamed, its CRCs made right.
            f.seek(size - 512)
            h = bytearray(f.read(512))
            lba, num, esize = struct.unpack_from('<QII', h, 72)
            f.seek(lba * 512)
            ents = bytearray(f.read(num * esize))
            ents[56:58] = b'X\0'
            f.seek(lba * 512)
            f.write(ents)
            struct.pack_into('<I', h, 88, zlib.crc32(ents))
            struct.pack_into('<I', h, 16, 0)
            struct.pack_into('<I', h, 16, zlib.crc32(bytes(h[:struct.unpack_from('<I', h, 12)[0]])))
            f.seek(size - 512)
            f.write(h)
        variant('disagree', disagree, 'disagree')
    variant('truncated', lambda f: f.truncate(2 * L.MIB), 'leave')
    return out


def fsck_volume(image, offset, size, label):
    """fsck.fat -n of the volume at offset (it has no offset option: the
    volume is copied out)."""
    vol = image + '.vol'
    with open(image, 'rb') as f, open(vol, 'wb') as o:
        f.seek(offset)
        o.write(f.read(size))
    r = subprocess.run(['fsck.fat', '-n', vol], capture_output=True, env=L.ENV)
    os.unlink(vol)
    check(r.returncode == 0, f'{label}: fsck.fat -n: {r.stdout!r}')


def gpt_primary_damaged(mira_fat, kvtree, work, image, offset, ref, fat):
    """A GPT whose primary header or entries are damaged is read through
    its backup (at the disk's last LBA), as Linux does with `gpt`: every
    byte still equals mcopy's."""
    size = os.path.getsize(image)
    for name, at, byte in (('header', 512 + 48, b'\x01'), ('entries', None, b'\x7f')):
        p = os.path.join(work, f'gpt-primary-{name}.img')
        shutil.copy(image, p)
        with open(p, 'r+b') as f:
            if at is None:
                f.seek(512 + 72)
                at = struct.unpack('<Q', f.read(8))[0] * 512 + 40
            f.seek(at)
            f.write(byte)
        check_image(mira_fat, kvtree, p, ref, f'FAT{fat} gpt, primary {name} damaged')
        os.unlink(p)
    fsck_volume(image, offset, L.GEOMETRY[fat][0], f'FAT{fat} gpt')


def logical_partitions(mira_fat, kvtree, work, fat, src):
    """An MBR with an extended partition holding two logical FAT volumes
    (sfdisk), each filled by mcopy: partition 1 is Linux, so auto finds
    logical 5; --partition=6 the other.  Then a looping EBR chain and a
    logical partition leaving its extended partition are refused."""
    vsize, spc = L.GEOMETRY[fat]
    img = os.path.join(work, f'logical{fat}.img')
    with open(img, 'wb') as f:
        f.truncate(2 * L.MIB + 2 * vsize + 4 * L.MIB)
    typ = {12: '1', 16: 'e', 32: 'c'}[fat]
    L.sh(['sfdisk', '-q', img], input=(
        'label: dos\nsize=1MiB, type=83\ntype=5\n'
        f'size={vsize // 512}, type={typ}\nsize={vsize // 512}, type={typ}\n').encode())
    parts = json.loads(L.sh(['sfdisk', '-J', img]))['partitiontable']['partitions']
    starts = {int(p['node'][len(img):]): p['start'] for p in parts}
    check(set(starts) == {1, 2, 5, 6}, f'logical{fat}: sfdisk made {sorted(starts)}')
    other = os.path.join(work, f'other{fat}')
    L.write(f'{other}/second volume.txt', b'partition 6\n')
    L.write(f'{other}/sub/data.bin', L.pattern(6, 3 * spc * 512 + 7))
    refs = {}
    for num, tree in ((5, src), (6, other)):
        off = starts[num] * 512
        L.sh(['mkfs.fat', '-F', str(fat), '-s', str(spc), '--offset', str(starts[num]), img,
              str(vsize // 1024)])
        where = f'{img}@@{off}'
        L.sh(['mcopy', '-s', '-i', where] + [os.path.join(tree, x) for x in sorted(os.listdir(tree))]
             + ['::/'])
        fsck_volume(img, off, vsize, f'FAT{fat} logical {num}')
        refs[num] = L.mtools_tree(img, off, os.path.join(work, f'mcopy-logical{fat}-{num}'))
    check_image(mira_fat, kvtree, img, refs[5], f'FAT{fat} logical 5 (auto)')
    check_image(mira_fat, kvtree, img, refs[6], f'FAT{fat} logical 6', part=6)
    r = run([kvtree, f'--kv0-block-file={img}', '--kv0-partition=7'])
    check(r.returncode == 1 and b'no such partition' in r.stderr,
          f'FAT{fat} logical: --kv0-partition=7 {r.returncode} {r.stderr!r}')
    # Corrupt chains: the first EBR (at the extended partition's start)
    # links to the second; the second's link made to point at itself, and
    # the second logical partition made one sector longer than fits.
    ext = starts[2]
    with open(img, 'rb') as f:
        f.seek(ext * 512 + 446 + 16 + 8)
        second = ext + struct.unpack('<I', f.read(4))[0]

    def loop(f):
        f.seek(second * 512 + 446 + 16 + 4)
        f.write(b'\x05')
        f.seek(second * 512 + 446 + 16 + 8)
        f.write(struct.pack('<I', second - ext))

    def leaves(f):
        f.seek(446 + 16 + 12)  # the MBR's entry 2: the extended partition
        ext_count = struct.unpack('<I', f.read(4))[0]
        f.seek(second * 512 + 446 + 8)
        rel = struct.unpack('<I', f.read(4))[0]
        f.write(struct.pack('<I', ext + ext_count - (second + rel) + 1))
    for name, fn, reason in (('ebr-loop', loop, 'loops'),
                             ('logical-leaves', leaves, 'leaves its extended partition')):
        p = os.path.join(work, f'logical{fat}-{name}.img')
        shutil.copy(img, p)
        with open(p, 'r+b') as f:
            fn(f)
        refused(mira_fat, kvtree, p, f'FAT{fat} {name}', reason)
        os.unlink(p)


def main():
    mira_fat, kvtree, fat = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), int(sys.argv[3])
    with tempfile.TemporaryDirectory(dir='/var/tmp') as work:
        cb = L.GEOMETRY[fat][1] * 512
        src = os.path.join(work, 'src')
        L.source_tree(src, cb)
        for table in ('none', 'mbr', 'gpt'):
            image, offset = L.make_reference_image(work, fat, table, src)
            ref = L.mtools_tree(image, offset, os.path.join(work, f'mcopy-{table}'))
            check(len(ref) > 140, f'mcopy read only {len(ref)} paths')
            check_image(mira_fat, kvtree, image, ref, f'FAT{fat} {table}')
            if table == 'none':
                for label, bad, reason in corruptions(work, image, offset):
                    refused(mira_fat, kvtree, bad, f'FAT{fat} {label}', reason)
                stale_long_name(mira_fat, kvtree, work, image)
            else:
                for label, bad, reason in table_corruptions(work, image, table):
                    refused(mira_fat, kvtree, bad, f'FAT{fat} {label}', reason)
                if table == 'gpt':
                    gpt_primary_damaged(mira_fat, kvtree, work, image, offset, ref, fat)
                # The partition named by the parameter, and a missing one.
                r = run([kvtree, f'--kv0-block-file={image}', '--kv0-partition=1'])
                check(r.returncode == 0, f'FAT{fat} {table}: --kv0-partition=1 status {r.returncode}')
                r = run([kvtree, f'--kv0-block-file={image}', '--kv0-partition=3'])
                check(r.returncode == 1 and b'no such partition' in r.stderr,
                      f'FAT{fat} {table}: --kv0-partition=3 {r.returncode} {r.stderr!r}')
        logical_partitions(mira_fat, kvtree, work, fat, src)
    if failures:
        print(f'{len(failures)} failures')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
