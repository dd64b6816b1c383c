#!/usr/bin/env python3
"""skeleton/stackv4 over Mira's own TCP/IP (-Dnet=direct) on a tap, against
the Linux kernel inside a network namespace this test creates (and removes
again, even on failure).

usage: stackv4_direct.py STACKV4_EXE CASE
CASE:
  static     10.0.0.2/24 (the defaults): the first line is "IP address:
             10.0.0.2", the gratuitous ARP and the learnt 10.0.0.1 are
             logged; ping, `ping -f -c 10000` with no loss, a 65507-byte
             ping (45 fragments each way) answered; the tutorial's
             `nc -u` prints exactly, and the tutorial's TCP nc too;
             SIGTERM: status 0.
  malformed  frames broken in one way each (a cut VLAN tag, bad IPv4
             checksum, bad version, bad total length, bad UDP checksum, bad
             ICMP checksum, short ARP) sent from a raw socket: the stack
             keeps answering ping, and its "dropped:" line at the end counts
             each by its reason.
  dhcp       dnsmasq in the namespace (lease 2 min, T1 2 s, T2 3 s by its
             options 58 and 59): the stack takes a lease (--stack0-dhcp=true),
             prints it, answers ping on it, renews it at least twice keeping
             the address (and, once the stack has TCP, a connection opened
             before the renewals still carries data after them).
  dhcp-none  no DHCP server, --stack0-dhcp-timeout=2: status 1, one error
             line naming the parameter.
  bad-param  --stack0-ipv4=10.0.0.300/24: status 1, one error line.
Skipped (77) without root (namespaces), ip, ping, nc or (dhcp) dnsmasq.
"""
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

SKIP = 77
TAP = 'mtap0'


def sh(*cmd, timeout=120):
    r = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout)
    return r


def wrapper():
    return os.environ.get('MIRA_TEST_WRAPPER', '').split()


def slow():
    return 10 if wrapper() else 1


def in_ns(ns, *cmd, timeout=120):
    r = sh('ip', 'netns', 'exec', ns, *cmd, timeout=timeout * slow())
    print(f'$ {" ".join(cmd)}: status {r.returncode}\n{r.stdout}{r.stderr}', end='', flush=True)
    return r


class App:
    """The app in the namespace; its lines read as they come."""

    def __init__(self, ns, exe, args):
        cmd = ['ip', 'netns', 'exec', ns] + wrapper() + [exe, f'--stack0-netif-tap={TAP}'] + args
        print('$ ' + ' '.join(cmd), flush=True)
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  stdin=subprocess.DEVNULL, text=True)
        self.out = ''
        self.err = ''

    def line(self):
        l = self.p.stdout.readline()
        self.out += l
        return l

    def wait_out(self, pattern, limit=30):
        """Reads stdout until a line matches pattern (a regex); the match."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < limit * slow():
            l = self.line()
            if not l:
                return None
            m = re.search(pattern, l)
            if m:
                return m
        return None

    def stop(self, sig=signal.SIGTERM):
        if self.p.poll() is None:
            self.p.send_signal(sig)
        try:
            out, err = self.p.communicate(timeout=60 * slow())
        except subprocess.TimeoutExpired:
            self.p.kill()
            out, err = self.p.communicate()
        self.out += out
        self.err += err
        print(f'status {self.p.returncode}\n--- stdout ---\n{self.out}--- stderr ---\n'
              f'{self.err}---', flush=True)
        return self.p.returncode


def setup_tap(ns):
    for cmd in (['ip', '-n', ns, 'link', 'set', 'lo', 'up'],
                ['ip', '-n', ns, 'tuntap', 'add', TAP, 'mode', 'tap'],
                ['ip', '-n', ns, 'addr', 'add', '10.0.0.1/24', 'dev', TAP],
                ['ip', '-n', ns, 'link', 'set', TAP, 'up']):
        r = sh(*cmd)
        if r.returncode != 0:
            return f'{" ".join(cmd)}: {r.stderr.strip()}'
    return None


def tap_mac(ns):
    out = sh('ip', '-n', ns, 'link', 'show', TAP).stdout
    return re.search(r'link/ether ([0-9a-f:]{17})', out).group(1)


def ping_ok(ns, addr, failures, *extra, count=3):
    # Each answer shown (not -q) unless flooding: ping counts a reply with a
    # bad checksum as received, and only says so on its line.
    quiet = ['-q'] if count > 10 else []
    r = in_ns(ns, 'ping', '-n', *quiet, '-c', str(count), '-W', str(5 * slow()), *extra, addr,
              timeout=600)
    m = re.search(r'(\d+) packets transmitted, (\d+) received', r.stdout)
    if not m or int(m.group(2)) != count:
        failures.append(f'ping {" ".join(extra)} {addr}: not {count} answers of {count}')
    if 'BAD CHECKSUM' in r.stdout or 'DUP!' in r.stdout:
        failures.append(f'ping {" ".join(extra)} {addr}: bad or duplicate answers')


ECHO_CHECK = r"""
import socket, struct, sys
def csum(b):
    b += b'\0' * (len(b) % 2)
    s = sum(struct.unpack(f'!{len(b) // 2}H', b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
data = bytes(range(256)) * 4 + b'odd'
req = bytearray(struct.pack('!BBHHH', 8, 0, 0, 0x4d49, 7) + data)
struct.pack_into('!H', req, 2, csum(bytes(req)))
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(10)
s.sendto(bytes(req), (sys.argv[1], 0))
while True:
    pkt = s.recv(4096)
    icmp = pkt[(pkt[0] & 15) * 4:]
    if icmp[0] == 0 and icmp[4:8] == req[4:8]:
        break
ok = csum(icmp) == 0 and icmp[8:] == data
print('echo reply: checksum ' + ('good' if csum(icmp) == 0 else 'BAD') +
      ', data ' + ('same' if icmp[8:] == data else 'DIFFERENT'))
sys.exit(0 if ok else 1)
"""


def echo_checked(ns, addr, failures):
    """One echo request from a raw socket; its reply's checksum and data
    checked here (ping counts a reply with a bad checksum)."""
    r = in_ns(ns, sys.executable, '-c', ECHO_CHECK, addr, timeout=60)
    if r.returncode != 0:
        failures.append('the echo reply has a bad checksum, other data, or never came')


def nc_udp(ns, addr):
    subprocess.run(['ip', 'netns', 'exec', ns, 'nc', '-u', '-w1', addr, '53'],
                   input='hello udp world', text=True, capture_output=True, timeout=30)


def check_tcp(ns, app, addr, failures):
    """The tutorial's TCP nc."""
    subprocess.run(['ip', 'netns', 'exec', ns, 'nc', '-w1', addr, '8080'],
                   input='hello tcp world', text=True, capture_output=True, timeout=30)
    if not app.wait_out(r'^TCP 10\.0\.0\.1\.\d+ > _\.8080$'):
        failures.append('no "TCP 10.0.0.1.<port> > _.8080" line')
    if not app.wait_out(r'^read: 15 "hello tcp world"$'):
        failures.append('no \'read: 15 "hello tcp world"\' line')


def case_static(ns, exe):
    failures = []
    app = App(ns, exe, [])
    try:
        first = app.line()
        if first != 'IP address: 10.0.0.2\n':
            failures.append(f'first line {first!r}, expected "IP address: 10.0.0.2"')
        ping_ok(ns, '10.0.0.2', failures)
        echo_checked(ns, '10.0.0.2', failures)
        ping_ok(ns, '10.0.0.2', failures, '-f', count=10000)
        ping_ok(ns, '10.0.0.2', failures, '-s', '65507', count=3)
        nc_udp(ns, '10.0.0.2')
        if not app.wait_out(r'^UDP 10\.0\.0\.1\.\d+ > 10\.0\.0\.2\.53: "hello udp world"$'):
            failures.append('no \'UDP 10.0.0.1.<port> > 10.0.0.2.53: "hello udp world"\' line')
        check_tcp(ns, app, '10.0.0.2', failures)
    finally:
        status = app.stop()
    if status != 0:
        failures.append(f'exit status {status}, expected 0')
    mac = tap_mac(ns)
    for needle in ('[tcpip] stack0: ARP: announcing 10.0.0.2 (gratuitous ARP)',
                   f'[tcpip] stack0: ARP: 10.0.0.1 is at {mac}'):
        if needle not in app.err:
            failures.append(f'stderr lacks {needle!r}')
    return failures


def frames(dst_mac, src_mac):
    """One broken frame per drop reason, as (reason, bytes)."""
    def csum(b):
        if len(b) % 2:
            b += b'\0'
        s = sum(struct.unpack(f'!{len(b) // 2}H', b))
        while s >> 16:
            s = (s & 0xffff) + (s >> 16)
        return ~s & 0xffff

    def ip(payload, proto, fix=None, total=None, ver=4):
        h = bytearray(struct.pack('!BBHHHBBH4s4s', (ver << 4) | 5, 0,
                                  total if total else 20 + len(payload), 1, 0, 64, proto, 0,
                                  socket.inet_aton('10.0.0.1'), socket.inet_aton('10.0.0.2')))
        struct.pack_into('!H', h, 10, csum(bytes(h)))
        if fix:
            fix(h)
        return bytes(h) + payload

    def eth(payload, etype=0x0800):
        return dst_mac + src_mac + struct.pack('!H', etype) + payload

    def bad_sum(h):
        h[10] ^= 0xff

    udp = struct.pack('!HHHH', 1234, 53, 8 + 5, 0xdead) + b'hello'
    icmp = struct.pack('!BBHHH', 8, 0, 0xbeef, 1, 1) + b'ping'
    return [
        # (Linux sends nothing shorter than 14 bytes: a cut VLAN tag.)
        ('eth-short', dst_mac + src_mac + b'\x81\x00\x00\x01'),
        ('ipv4-checksum', eth(ip(b'x' * 8, 17, fix=bad_sum))),
        ('ipv4-version', eth(ip(b'x' * 8, 17, ver=6))),
        ('ipv4-total-length', eth(ip(b'x' * 8, 17, total=200))),
        ('udp-checksum', eth(ip(udp, 17))),
        ('icmp-checksum', eth(ip(icmp, 1))),
        ('arp-short', eth(b'\x00\x01\x08\x00\x06\x04\x00\x01', 0x0806)),
    ]


def case_malformed(ns, exe):
    failures = []
    app = App(ns, exe, [])
    try:
        app.line()
        ping_ok(ns, '10.0.0.2', failures, count=1)
        neigh = sh('ip', '-n', ns, 'neigh', 'show', '10.0.0.2').stdout
        m = re.search(r'lladdr ([0-9a-f:]{17})', neigh)
        if not m:
            return failures + [f'no neighbour entry for 10.0.0.2: {neigh!r}']
        dst = bytes.fromhex(m.group(1).replace(':', ''))
        src = bytes.fromhex(tap_mac(ns).replace(':', ''))
        sent = frames(dst, src)
        code = ('import socket, sys\n'
                's = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n'
                f's.bind(({TAP!r}, 0))\n'
                'for f in sys.argv[1:]: s.send(bytes.fromhex(f))\n')
        r = in_ns(ns, sys.executable, '-c', code, *[f.hex() for _, f in sent])
        if r.returncode != 0:
            failures.append('could not send the raw frames')
        ping_ok(ns, '10.0.0.2', failures, count=2)
    finally:
        status = app.stop()
    if status != 0:
        failures.append(f'exit status {status}, expected 0')
    m = re.search(r'\[tcpip\] stack0: dropped:(.*)$', app.err, re.M)
    counts = dict(re.findall(r' (\S+) (\d+)', m.group(1))) if m else {}
    for reason, _ in sent:
        if counts.get(reason) != '1':
            failures.append(f'drop reason {reason} counted {counts.get(reason)}, expected 1')
    return failures


def start_dnsmasq(ns, tmp):
    cmd = ['ip', 'netns', 'exec', ns, 'dnsmasq', '--no-daemon', '--port=0',
           f'--interface={TAP}', '--bind-interfaces', '--log-dhcp',
           '--dhcp-range=10.0.0.50,10.0.0.60,255.255.255.0,2m',
           '--dhcp-option=3,10.0.0.1', '--dhcp-option=58,2', '--dhcp-option=59,3',
           f'--dhcp-leasefile={tmp}/leases']
    print('$ ' + ' '.join(cmd), flush=True)
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def case_dhcp(ns, exe):
    failures = []
    tmp = f'/tmp/mira-dhcp-{os.getpid()}'
    os.makedirs(tmp, exist_ok=True)
    dns = start_dnsmasq(ns, tmp)
    app = None
    try:
        time.sleep(0.5)
        app = App(ns, exe, ['--stack0-dhcp=true', f'--stack0-dhcp-timeout={30 * slow()}'])
        first = app.line()
        m = re.match(r'IP address: (10\.0\.0\.(5\d|60))$', first.strip())
        if not m:
            return failures + [f'first line {first!r} is not "IP address: 10.0.0.50..60"']
        addr = m.group(1)
        ping_ok(ns, addr, failures)
        tcp = subprocess.Popen(['ip', 'netns', 'exec', ns, 'nc', addr, '8080'],
                               stdin=subprocess.PIPE, text=True)
        tcp.stdin.write('before renewal\n')
        tcp.stdin.flush()
        # T1 is 2 s: two renewals within 20 s, each keeping the address.
        renewed = 0
        t0 = time.monotonic()
        while renewed < 2 and time.monotonic() - t0 < 20 * slow():
            time.sleep(0.5)
            renewed = len(re.findall(rf'DHCP: lease of {re.escape(addr)} renewed',
                                     app.err + read_err_nonblock(app)))
        if renewed < 2:
            failures.append(f'{renewed} renewals logged, expected 2 or more')
        ping_ok(ns, addr, failures)
        if tcp:
            tcp.stdin.write('after renewal\n')
            tcp.stdin.close()
            if not app.wait_out(r'read: \d+ "after renewal\\n"'):
                failures.append('the connection opened before the renewals lost data after')
            tcp.kill()
    finally:
        if app:
            status = app.stop()
            if status != 0:
                failures.append(f'exit status {status}, expected 0')
        dns.terminate()
        dout = dns.communicate(timeout=10)[0]
        print('--- dnsmasq ---\n' + dout + '---')
        shutil.rmtree(tmp, ignore_errors=True)
    acks = dout.count('DHCPACK(')
    if acks < 3:
        failures.append(f'dnsmasq sent {acks} DHCPACKs, expected the lease and 2 renewals')
    if app and 'DHCP: offer of' not in app.err:
        failures.append('stderr lacks the DHCP offer line')
    return failures


def read_err_nonblock(app):
    """stderr read so far without waiting (the app keeps running)."""
    import fcntl
    fd = app.p.stderr.fileno()
    fl = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, fl | os.O_NONBLOCK)
    try:
        chunk = app.p.stderr.read() or ''
    except (BlockingIOError, TypeError):
        chunk = ''
    fcntl.fcntl(fd, fcntl.F_SETFL, fl)
    app.err += chunk
    return ''


def one_error_line(ns, exe, args, *needles):
    failures = []
    r = in_ns(ns, *wrapper(), exe, f'--stack0-netif-tap={TAP}', *args, timeout=120)
    if r.returncode != 1:
        failures.append(f'exit status {r.returncode}, expected 1')
    lines = [l for l in r.stderr.splitlines() if 'error' in l]
    if len(lines) != 1:
        failures.append(f'stderr has {len(lines)} error lines, expected one')
    for n in needles:
        if n not in r.stderr:
            failures.append(f'stderr lacks {n!r}')
    return failures


def main():
    exe, case = os.path.abspath(sys.argv[1]), sys.argv[2]
    needs = ['ip', 'ping', 'nc'] + (['dnsmasq'] if case == 'dhcp' else [])
    if os.geteuid() != 0:
        print('SKIP: network namespaces need root')
        return SKIP
    for tool in needs:
        if not shutil.which(tool):
            print(f'SKIP: {tool} not found (ci/install-deps.sh installs it)')
            return SKIP
    ns = f'mira-stack-{os.getpid()}'
    r = sh('ip', 'netns', 'add', ns)
    if r.returncode != 0:
        print('SKIP: cannot create a network namespace: ' + r.stderr.strip())
        return SKIP
    try:
        err = setup_tap(ns)
        if err:
            failures = [err]
        elif case == 'static':
            failures = case_static(ns, exe)
        elif case == 'malformed':
            failures = case_malformed(ns, exe)
        elif case == 'dhcp':
            failures = case_dhcp(ns, exe)
        elif case == 'dhcp-none':
            failures = one_error_line(ns, exe, ['--stack0-dhcp=true', '--stack0-dhcp-timeout=2'],
                                      'no DHCP lease', '--stack0-dhcp-timeout')
        elif case == 'bad-param':
            failures = one_error_line(ns, exe, ['--stack0-ipv4=10.0.0.300/24'],
                                      '--stack0-ipv4=10.0.0.300/24')
        else:
            failures = [f'unknown case {case}']
    finally:
        sh('ip', 'netns', 'del', ns)
    for f in failures:
        print('FAIL: ' + f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
