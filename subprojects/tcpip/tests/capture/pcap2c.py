#!/usr/bin/env python3
"""pcap2c.py - turns capture.pcap (made by capture.sh) into ../vectors.h,
named frames as C arrays, and into seed files of the fuzz corpora
(../corpus_*/real-*).  Run from this directory after capture.sh."""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def frames(path):
    data = open(path, 'rb').read()
    magic = struct.unpack('<I', data[:4])[0]
    assert magic == 0xa1b2c3d4, 'little-endian microsecond pcap expected'
    off = 24
    while off < len(data):
        _, _, incl, _ = struct.unpack('<IIII', data[off:off + 16])
        yield data[off + 16:off + 16 + incl]
        off += 16 + incl


def classify(f):
    """A name for the frames the tests use, or None."""
    et = struct.unpack('>H', f[12:14])[0]
    if et == 0x86dd:
        return 'ipv6_frame'
    if et == 0x0806:
        oper = struct.unpack('>H', f[20:22])[0]
        spa, tpa = f[28:32], f[38:42]
        if oper == 2:
            return 'arp_reply'
        if spa == tpa:
            return 'arp_gratuitous'
        if spa == bytes([10, 99, 0, 1]):
            return 'arp_request'
        return None
    if et != 0x0800:
        return None
    ip = f[14:]
    ihl = (ip[0] & 15) * 4
    proto = ip[9]
    frag = struct.unpack('>H', ip[6:8])[0]
    src, dst = ip[12:16], ip[16:20]
    l4 = ip[ihl:]
    if frag & 0x3fff:
        if src != bytes([10, 99, 0, 1]):
            return None
        return 'frag%d' % ((frag & 0x1fff) * 8 // 1480 + 1)
    if proto == 1:
        t = l4[0]
        size = struct.unpack('>H', ip[2:4])[0]
        if t == 8 and size < 100 and src == bytes([10, 99, 0, 1]):
            return 'icmp_echo_request'
        if t == 0 and size < 100:
            return 'icmp_echo_reply'
        if t == 3:
            return 'icmp_port_unreach'
        return None
    if proto == 17:
        sport, dport = struct.unpack('>HH', l4[:4])
        if dport == 9999:
            return 'udp_closed_port'
        if dport == 67 or sport == 67:
            msgtype = None
            opts = l4[8 + 240:]
            i = 0
            while i < len(opts) and opts[i] != 255:
                if opts[i] == 0:
                    i += 1
                    continue
                if opts[i] == 53:
                    msgtype = opts[i + 2]
                i += 2 + opts[i + 1]
            return {1: 'dhcp_discover', 2: 'dhcp_offer', 3: 'dhcp_request', 5: 'dhcp_ack'}.get(msgtype)
        return None
    if proto == 6:
        flags = l4[13]
        dlen = len(l4) - (l4[12] >> 4) * 4
        if flags == 0x02:
            return 'tcp_syn'
        if flags == 0x12:
            return 'tcp_synack'
        if flags == 0x18 and src == bytes([10, 99, 0, 1]):
            return 'tcp_data'
        if flags == 0x11 and src == bytes([10, 99, 0, 1]):
            return 'tcp_fin'
        if flags == 0x10 and dlen == 0 and src == bytes([10, 99, 0, 1]):
            return 'tcp_ack'
    return None


def main():
    chosen = {}
    for f in frames(os.path.join(HERE, sys.argv[1] if len(sys.argv) > 1 else 'capture.pcap')):
        name = classify(f)
        if name and name not in chosen:
            chosen[name] = f
    out = ['/* vectors.h - real frames captured from Linux 6 (veth between two',
           ' * network namespaces; tests/capture/capture.sh, converted by',
           ' * tests/capture/pcap2c.py: do not edit).  A: 02:00:00:00:00:0a',
           ' * 10.99.0.1, B: 02:00:00:00:00:0b 10.99.0.2 (dnsmasq offers 10.99.0.53). */',
           '#ifndef TCPIP_TEST_VECTORS_H', '#define TCPIP_TEST_VECTORS_H', '', '#include <stdint.h>', '']
    for name in sorted(chosen):
        f = chosen[name]
        out.append('static const uint8_t vec_%s[%d] = {' % (name, len(f)))
        for i in range(0, len(f), 12):
            out.append('    ' + ' '.join('0x%02x,' % b for b in f[i:i + 12]))
        out.append('};')
        out.append('')
    out.append('#endif')
    open(os.path.join(HERE, '..', 'vectors.h'), 'w').write('\n'.join(out) + '\n')

    def seed(corpus, name, data):
        d = os.path.join(HERE, '..', 'corpus_' + corpus)
        os.makedirs(d, exist_ok=True)
        open(os.path.join(d, 'real-' + name.replace('_', '-')), 'wb').write(data)

    for name, f in chosen.items():
        seed('eth', name, f)
        et = struct.unpack('>H', f[12:14])[0]
        if et == 0x0806:
            seed('arp', name, f[14:])
            continue
        if et != 0x0800:
            continue
        ip = f[14:]
        ihl = (ip[0] & 15) * 4
        total = struct.unpack('>H', ip[2:4])[0]
        seed('ipv4', name, b'\x00' + ip)
        l4 = ip[ihl:total]
        addrs = ip[12:20]
        if name.startswith('frag'):
            continue
        if ip[9] == 1:
            seed('icmp', name, l4)
        elif ip[9] == 17:
            seed('udp', name, b'\x00' + addrs + l4)
            if name.startswith('dhcp'):
                seed('dhcp', name, l4[8:])
        elif ip[9] == 6:
            seed('tcp', name, b'\x00' + addrs + l4)
    print('pcap2c.py: %d frames: %s' % (len(chosen), ' '.join(sorted(chosen))))


main()
