#!/usr/bin/env python3
"""Every driver is packaged: each folder under subprojects/ has its line in
packages/drivers.txt (and each line its folder), its meson.build installs
a library and generates the .pc mira-<folder>, and a driver that builds for xen names its
xen .pc's include directory (subdirs: 'mira-xen').  With --debs DIR (what
packages/build made), each line also has its mira-<driver>_*.deb there.
usage: walk.py MIRA_SOURCE_DIR [--debs DIR]"""
import glob
import os
import re
import sys


def table(tree):
    names = []
    with open(os.path.join(tree, 'packages', 'drivers.txt'), encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#'):
                names.append(line.split('|')[0].strip())
    return names


def main():
    tree = sys.argv[1]
    debs = sys.argv[3] if len(sys.argv) == 4 and sys.argv[2] == '--debs' else None
    folders = sorted(d for d in os.listdir(os.path.join(tree, 'subprojects'))
                     if os.path.isfile(os.path.join(tree, 'subprojects', d, 'meson.build')))
    names = table(tree)
    errors = []
    for d in folders:
        if d not in names:
            errors.append(f'subprojects/{d} has no line in packages/drivers.txt: add '
                          f'"{d} | - | <summary>" (see packages/README.md)')
    for n in names:
        if n not in folders:
            errors.append(f'packages/drivers.txt names {n}, which is not a folder of subprojects/')
    for d in folders:
        with open(os.path.join(tree, 'subprojects', d, 'meson.build'), encoding='utf-8') as f:
            build = f.read()
        if 'install: true' not in build:
            errors.append(f'subprojects/{d}/meson.build installs no library (install: true)')
        if not re.search(r"import\('pkgconfig'\)\.generate|pkg\.generate", build):
            errors.append(f'subprojects/{d}/meson.build generates no .pc (pkgconfig generate)')
        # The .pc an app asks for is mira-<folder> (its -xen flavour
        # mira-<folder>-xen beside it).
        if not re.search(r"name:\s*'mira-%s'" % re.escape(d), build):
            errors.append(f'subprojects/{d}/meson.build generates no mira-{d}.pc '
                          f"(pkgconfig generate with name: 'mira-{d}' or 'mira-{d}' + sfx)")
        if 'mira-runtime-xen' in build and "'mira-xen'" not in build:
            errors.append(f'subprojects/{d}: a xen .pc without subdirs: \'mira-xen\' would put '
                          '${includedir} (glibc\'s headers) on the guest\'s include path')
        if debs and not glob.glob(os.path.join(debs, f'mira-{d}_*.deb')):
            errors.append(f'no package mira-{d}_*.deb in {debs}')
    for e in errors:
        print('FAIL: ' + e)
    if not errors:
        print(f'{len(folders)} drivers, each with its package line: ' + ', '.join(folders))
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
