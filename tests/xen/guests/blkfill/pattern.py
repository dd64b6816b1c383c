#!/usr/bin/env python3
"""The blkfill guest's disk as it must be after the guest ran: every 32-bit
little-endian word i of the disk is ((i * 2654435761) mod 2**32) ^ 0x5a5a5a5a
(unikernel.c's word()).  Writes the line dom0's check prints for that disk,
"sha256 <hex>", into OUT.  usage: pattern.py SIZE_MIB OUT"""
import array
import hashlib
import sys

words = int(sys.argv[1]) * (1 << 20) // 4
a = array.array("I", (((i * 2654435761) & 0xFFFFFFFF) ^ 0x5A5A5A5A for i in range(words)))
if sys.byteorder != "little":
    a.byteswap()
with open(sys.argv[2], "w") as f:
    f.write("sha256 %s\n" % hashlib.sha256(a.tobytes()).hexdigest())
