#!/usr/bin/env python3
"""Writes the xenbus guest's disk image: 1 MiB whose sector 0 holds the
pattern the guest checks (a magic string, then byte i = (i * 7 + 3) & 255),
the rest zero.  usage: make_disk.py OUT"""
import sys

MAGIC = b"MIRA-XENBUS-DISK"
sector0 = bytearray((i * 7 + 3) & 255 for i in range(512))
sector0[:len(MAGIC)] = MAGIC
with open(sys.argv[1], "wb") as f:
    f.write(bytes(sector0) + bytes(1024 * 1024 - 512))
