"""Shared helpers of the fat tests: source trees, images made by mkfs.fat,
mcopy and sfdisk (the reference tools), and reading an image back through
mtools.  Imported by fat_images.py, fat_make.py and fat_bench.py."""
import hashlib
import os
import random
import struct
import subprocess

MIB = 1 << 20
ENV = dict(os.environ, MTOOLS_SKIP_CHECK='1', LC_ALL='C.UTF-8')
BASIC_DATA = 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7'
# Per FAT type: volume size, sectors per cluster (mkfs.fat -s).
GEOMETRY = {12: (4 * MIB, 4), 16: (16 * MIB, 4), 32: (40 * MIB, 1)}


def sh(args, **kw):
    r = subprocess.run(args, capture_output=True, env=ENV, **kw)
    if r.returncode != 0:
        raise RuntimeError(f'{args}: status {r.returncode}: {r.stderr.decode(errors="replace")}')
    return r.stdout


def pattern(seed, n):
    rnd = random.Random(seed)
    return bytes(rnd.getrandbits(8) for _ in range(n)) if n < 65536 else rnd.randbytes(n)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)


def source_tree(root, cluster):
    """Long and Unicode names, an empty file, one sector, one cluster, deep
    nesting, a directory spanning several clusters."""
    write(f'{root}/README.TXT', b'an exact 8.3 name\n')
    write(f'{root}/lower.txt', b'an 8.3 name in lower case\n')
    write(f'{root}/A rather long file name with spaces.text', pattern(1, 3000))
    write(f'{root}/Ünïcödé — ελληνικά 日本語.txt', 'unicode\n'.encode())
    write(f'{root}/emoji 😀 name.bin', pattern(2, 100))
    write(f'{root}/empty', b'')
    write(f'{root}/one-sector.bin', pattern(3, 512))
    write(f'{root}/one-cluster.bin', pattern(4, cluster))
    write(f'{root}/cluster-plus-one.bin', pattern(5, cluster + 1))
    deep = root
    for i in range(12):
        deep += f'/level {i:02d} directory'
    write(f'{deep}/bottom.txt', b'deep down\n')
    for i in range(120):
        write(f'{root}/many/entry number {i:03d} with a long name.txt', pattern(100 + i, i * 7))


def read_tree(root):
    """{path: bytes or None (a directory)} of a host tree, keys as mira-fat
    prints them (directories end with /)."""
    out = {}
    for d, dirs, files in os.walk(root):
        rel = os.path.relpath(d, root)
        rel = '' if rel == '.' else rel + '/'
        for x in dirs:
            out[rel + x + '/'] = None
        for x in files:
            with open(os.path.join(d, x), 'rb') as f:
                out[rel + x] = f.read()
    return out


def mtools_tree(image, offset, into):
    os.makedirs(into, exist_ok=True)
    sh(['mcopy', '-s', '-n', '-i', f'{image}@@{offset}', '::/', into + '/'])
    return read_tree(into)


def make_reference_image(work, fat, table, src):
    """An image made by mkfs.fat and filled by mcopy (with a fragmented file:
    several files copied, every other one deleted, then a big one), inside
    a table made by sfdisk when asked.  Returns (image, volume offset)."""
    size, spc = GEOMETRY[fat]
    img = os.path.join(work, f'ref{fat}-{table}.img')
    offset = 0 if table == 'none' else MIB
    total = size + (0 if table == 'none' else 2 * MIB)
    with open(img, 'wb') as f:
        f.truncate(total)
    if table != 'none':
        typ = {12: '1', 16: 'e', 32: 'c'}[fat] if table == 'mbr' else BASIC_DATA
        label = 'dos' if table == 'mbr' else 'gpt'
        sh(['sfdisk', '-q', img], input=f'label: {label}\nstart=2048, size={size // 512}, '
                                        f'type={typ}\n'.encode())
    sh(['mkfs.fat', '-F', str(fat), '-s', str(spc), '--offset', str(offset // 512), img,
        str(size // 1024)])
    where = f'{img}@@{offset}'
    sh(['mcopy', '-s', '-i', where] + [os.path.join(src, x) for x in sorted(os.listdir(src))]
       + ['::/'])
    cb = spc * 512
    for i in range(6):
        write(f'{work}/frag{i}', pattern(200 + i, 3 * cb))
        sh(['mcopy', '-i', where, f'{work}/frag{i}', f'::/FRAG{i}.BIN'])
    for i in range(0, 6, 2):
        sh(['mdel', '-i', where, f'::/FRAG{i}.BIN'])
    write(f'{work}/big', pattern(300, 40 * cb + 123))
    sh(['mcopy', '-i', where, f'{work}/big', '::/FRAGMENTED.BIN'])
    # Root files the corruption cases aim at: three clusters each.
    for name in ('LOOP', 'OOR', 'PAST', 'LONGER'):
        write(f'{work}/{name}', pattern(name, 3 * cb))
        sh(['mcopy', '-i', where, f'{work}/{name}', f'::/{name}.BIN'])
    return img, offset


def digest(data):
    return hashlib.sha256(data).hexdigest()


def fnv64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


class Volume:
    """Just enough of a FAT parser to aim corruptions (root files by 8.3
    name, their FAT entries)."""

    def __init__(self, image, offset):
        self.image, self.offset = image, offset
        with open(image, 'rb') as f:
            f.seek(offset)
            bs = f.read(512)
        self.bps, self.spc, self.rsvd, self.nfats, self.root_ents = struct.unpack_from('<HBHBH', bs, 11)
        tot16, _, fat16 = struct.unpack_from('<HBH', bs, 19)
        tot32 = struct.unpack_from('<I', bs, 32)[0]
        self.fatsz = fat16 or struct.unpack_from('<I', bs, 36)[0]
        total = tot16 or tot32
        root_secs = (self.root_ents * 32 + self.bps - 1) // self.bps
        self.data = self.rsvd + self.nfats * self.fatsz + root_secs
        self.clusters = (total - self.data) // self.spc
        self.type = 32 if fat16 == 0 else 12 if self.clusters < 4085 else 16
        self.root_cluster = struct.unpack_from('<I', bs, 44)[0] if self.type == 32 else 0
        self.cb = self.bps * self.spc

    def sec(self, n):
        return self.offset + n * self.bps

    def cluster_off(self, c):
        return self.sec(self.data) + (c - 2) * self.cb

    def root_entry(self, short):
        """(byte offset of the entry, first cluster) of a root file."""
        want = short.ljust(8).encode() if '.' not in short else \
            short.split('.')[0].ljust(8).encode() + short.split('.')[1].ljust(3).encode()
        if self.type == 32:
            runs, c = [], self.root_cluster
            while 2 <= c < self.clusters + 2 and len(runs) < 1000:
                runs.append((self.cluster_off(c), self.cb // 32))
                c = self.get_fat(c)
        else:
            runs = [(self.sec(self.rsvd + self.nfats * self.fatsz), self.root_ents)]
        for at, n in runs:
            with open(self.image, 'rb') as f:
                f.seek(at)
                raw = f.read(n * 32)
            for i in range(n):
                e = raw[i * 32:i * 32 + 32]
                if e[:11] == want:
                    lo, hi = struct.unpack_from('<H', e, 26)[0], struct.unpack_from('<H', e, 20)[0]
                    return at + i * 32, lo | (hi << 16 if self.type == 32 else 0)
        raise KeyError(short)

    def get_fat(self, c):
        with open(self.image, 'rb') as f:
            base = self.sec(self.rsvd)
            if self.type == 32:
                f.seek(base + 4 * c)
                return struct.unpack('<I', f.read(4))[0] & 0x0FFFFFFF
            if self.type == 16:
                f.seek(base + 2 * c)
                return struct.unpack('<H', f.read(2))[0]
            f.seek(base + c + c // 2)
            v = struct.unpack('<H', f.read(2))[0]
            return v >> 4 if c & 1 else v & 0xFFF

    def set_fat(self, c, value):
        with open(self.image, 'r+b') as f:
            for k in range(self.nfats):
                base = self.sec(self.rsvd + k * self.fatsz)
                if self.type == 32:
                    f.seek(base + 4 * c)
                    f.write(struct.pack('<I', value))
                elif self.type == 16:
                    f.seek(base + 2 * c)
                    f.write(struct.pack('<H', value & 0xFFFF))
                else:
                    at = base + c + c // 2
                    f.seek(at)
                    old = struct.unpack('<H', f.read(2))[0]
                    new = (old & 0x000F) | (value << 4) if c & 1 else (old & 0xF000) | (value & 0xFFF)
                    f.seek(at)
                    f.write(struct.pack('<H', new & 0xFFFF))

    def poke(self, at, data):
        with open(self.image, 'r+b') as f:
            f.seek(at)
            f.write(data)
