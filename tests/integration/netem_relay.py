#!/usr/bin/env python3
"""netem's impairments, done in user space between two network namespaces
(the kernels these tests run on may lack sch_netem: CONFIG_NET_SCH_NETEM
is not set on the CI machines' 6.18 kernel).

usage: netem_relay.py LINUX_NS APP_NS SEED [loss P] [duplicate P] [corrupt P]
                      [delay MS] [reorder P]
P in percent.  LINUX_NS must have tap0 (made persistent, not yet attached:
this relay attaches to it, so frames Linux sends out of tap0 come to the
relay and what the relay writes arrives at Linux); APP_NS must have tap0
up, with the app attached to it: the relay reads what the app sends from a
packet socket on it (PACKET_VNET_HDR: a frame with offloads is finished
here - its checksum filled in, a TCP super-frame cut into MTU-sized
segments - so Linux's tap sees ordinary frames) and sends what Linux sent
out of it, to the app.

Each frame, each direction, as netem does: lost with probability `loss`;
else sent twice with probability `duplicate`; each copy with one random
bit flipped after the Ethernet header with probability `corrupt`; delayed
by `delay` ms unless (probability `reorder`) sent at once, overtaking the
delayed ones.  Seeded: the same decisions in every run with the same
frames.  Runs until SIGTERM; then prints its counters on one line.
"""
import array
import ctypes
import fcntl
import heapq
import os
import random
import select
import signal
import socket
import struct
import sys
import threading
import time

TUNSETIFF, IFF_TAP, IFF_NO_PI = 0x400454ca, 0x0002, 0x1000
SOL_PACKET, PACKET_VNET_HDR, PACKET_OUTGOING = 263, 15, 4
ETH_P_ALL = 3
VNET = struct.Struct('=BBHHHH')  # flags gso_type hdr_len gso_size csum_start csum_offset
NEEDS_CSUM, GSO_TCPV4 = 1, 1


def enter_netns(name):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open('/run/netns/' + name, os.O_RDONLY)
    try:
        if libc.setns(fd, 0x40000000) != 0:
            raise OSError(ctypes.get_errno(), 'setns ' + name)
    finally:
        os.close(fd)


def csum(b):
    """The internet checksum of b, as the 2 bytes to store (native order
    in and out: RFC 1071's byte-order independence)."""
    if len(b) & 1:
        b = bytes(b) + b'\0'
    s = sum(array.array('H', bytes(b)))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return struct.pack('=H', ~s & 0xffff)


def finish(vh, frame):
    """The ordinary frames a frame from the app stands for (its vnet
    header vh applied)."""
    flags, gso_type, _, gso_size, cstart, coff = vh
    if gso_type == 0:
        if flags & NEEDS_CSUM:
            f = bytearray(frame)
            f[cstart + coff:cstart + coff + 2] = csum(f[cstart:])
            return [bytes(f)]
        return [frame]
    if gso_type & 0x7f != GSO_TCPV4 or frame[12:14] != b'\x08\x00':
        return []  # no other offload is asked for by these tests
    ihl = (frame[14] & 15) * 4
    t = 14 + ihl
    doff = (frame[t + 12] >> 4) * 4
    hdr, payload = frame[:t + doff], frame[t + doff:]
    ip_id = struct.unpack('!H', frame[18:20])[0]
    seq = struct.unpack('!I', frame[t + 4:t + 8])[0]
    tflags = frame[t + 13]
    out = []
    n = (len(payload) + gso_size - 1) // gso_size
    for i in range(n):
        part = payload[i * gso_size:(i + 1) * gso_size]
        f = bytearray(hdr + part)
        f[16:18] = struct.pack('!H', ihl + doff + len(part))
        f[18:20] = struct.pack('!H', (ip_id + i) & 0xffff)
        f[24:26] = b'\0\0'
        f[24:26] = csum(f[14:14 + ihl])
        f[t + 4:t + 8] = struct.pack('!I', (seq + i * gso_size) & 0xffffffff)
        fl = tflags
        if i != n - 1:
            fl &= ~0x09  # FIN, PSH: the last segment's
        if i != 0:
            fl &= ~0x80  # CWR: the first's
        f[t + 13] = fl
        f[t + 16:t + 18] = b'\0\0'
        pseudo = f[26:34] + struct.pack('!BBH', 0, 6, doff + len(part))
        f[t + 16:t + 18] = csum(pseudo + f[t:])
        out.append(bytes(f))
    return out


class Direction:
    def __init__(self, name, rng, spec, send):
        self.name, self.rng, self.spec, self.send = name, rng, spec, send
        self.heap, self.seq = [], 0
        self.c = dict(frames=0, lost=0, duplicated=0, corrupted=0, delayed=0, sent=0)

    def frame(self, f):
        s, r = self.spec, self.rng
        self.c['frames'] += 1
        if r.random() * 100 < s['loss']:
            self.c['lost'] += 1
            return
        copies = 1
        if r.random() * 100 < s['duplicate']:
            copies = 2
            self.c['duplicated'] += 1
        for _ in range(copies):
            g = f
            if len(f) > 14 and r.random() * 100 < s['corrupt']:
                b = bytearray(f)
                b[r.randrange(14, len(b))] ^= 1 << r.randrange(8)
                g = bytes(b)
                self.c['corrupted'] += 1
            if s['delay'] and not r.random() * 100 < s['reorder']:
                self.seq += 1
                heapq.heappush(self.heap, (time.monotonic() + s['delay'] / 1000, self.seq, g))
                self.c['delayed'] += 1
            else:
                self.out(g)

    def out(self, g):
        try:
            self.send(g)
            self.c['sent'] += 1
        except OSError:
            pass  # a full queue: lost, as on a wire

    def due(self):
        """Sends what is due; the seconds until the next, or None."""
        now = time.monotonic()
        while self.heap and self.heap[0][0] <= now:
            self.out(heapq.heappop(self.heap)[2])
        return max(0.0, self.heap[0][0] - now) if self.heap else None


def pump(src_fd, read, d):
    while True:
        wait = d.due()
        r, _, _ = select.select([src_fd], [], [], wait)
        if r:
            for f in read():
                d.frame(f)


def main():
    a = sys.argv[1:]
    lns, ans, seed = a[0], a[1], int(a[2])
    spec = dict(loss=0.0, duplicate=0.0, corrupt=0.0, delay=0.0, reorder=0.0)
    for k, v in zip(a[3::2], a[4::2]):
        spec[k] = float(v.rstrip('%').rstrip('ms'))
    enter_netns(lns)
    tap = os.open('/dev/net/tun', os.O_RDWR)
    fcntl.ioctl(tap, TUNSETIFF, struct.pack('16sH', b'tap0', IFF_TAP | IFF_NO_PI))
    enter_netns(ans)
    pk = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    pk.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    pk.bind(('tap0', ETH_P_ALL))
    zero = bytes(VNET.size)
    to_app = Direction('linux->app', random.Random(seed), spec,
                       lambda g: pk.send(zero + g))
    to_linux = Direction('app->linux', random.Random(seed + 1), spec,
                         lambda g: os.write(tap, g))

    def read_linux():
        return [os.read(tap, 65536)]

    def read_app():
        data, addr = pk.recvfrom(65536 + VNET.size)
        if addr[2] == PACKET_OUTGOING:
            return []
        return finish(VNET.unpack_from(data), data[VNET.size:])

    def report(*_):
        print('relay %s' % '; '.join('%s: %s' % (d.name, ' '.join(
            '%s %d' % kv for kv in d.c.items())) for d in (to_app, to_linux)), flush=True)
        os._exit(0)

    signal.signal(signal.SIGTERM, report)
    threading.Thread(target=pump, args=(tap, read_linux, to_app), daemon=True).start()
    print('relaying', flush=True)
    pump(pk.fileno(), read_app, to_linux)


if __name__ == '__main__':
    main()
