#!/usr/bin/env python3
"""Copies a file padded with zero bytes to whole 512-byte sectors, so it can
be a Xen guest's disk (the static nbtool for the Linux guest; an ELF
executable ignores bytes after its segments).

  pad.py INPUT OUTPUT
"""
import os
import sys

with open(sys.argv[1], 'rb') as f:
    data = f.read()
with open(sys.argv[2], 'wb') as f:
    f.write(data + bytes(-len(data) % 512))
os.chmod(sys.argv[2], 0o755)
