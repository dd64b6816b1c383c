#!/usr/bin/env python3
"""The stackv4 skeleton with -Dnet=socket: the tutorial's two nc commands on
127.0.0.1 arrive and print exactly, then a signal ends it with status 0.

usage: stackv4_socket.py EXE SIGNAL   (SIGNAL: TERM or INT)

The app listens on the tutorial's ports, UDP 53 and TCP 8080, when run as
root (below 1024 needs it), else on 5353 and 8080 (--udp-port).  nc sends
from source ports it picks (-p), so every line of the output is known.
"""
import os
import random
import signal
import subprocess
import sys
import time

SKIP = 77


def listening(proto, port):
    """True when /proc/net/<proto> has a socket bound to port (TCP: LISTEN)."""
    with open('/proc/net/' + proto) as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            if int(local.split(':')[1], 16) == port and (proto == 'udp' or state == '0A'):
                return True
    return False


def unused_port(proto):
    used = set()
    for name in (proto, proto + '6'):
        with open('/proc/net/' + name) as f:
            used |= {int(l.split()[1].split(':')[1], 16) for l in f.readlines()[1:]}
    while True:
        port = random.randint(40000, 60000)
        if port not in used:
            return port


def main():
    exe, signame = os.path.abspath(sys.argv[1]), sys.argv[2]
    sig = {'TERM': signal.SIGTERM, 'INT': signal.SIGINT}[signame]
    if subprocess.run(['sh', '-c', 'command -v nc'], capture_output=True).returncode != 0:
        print('SKIP: nc not found (Debian package netcat-openbsd)')
        return SKIP
    udp_port = 53 if os.geteuid() == 0 else 5353
    tcp_port = 8080
    # Fixed source ports (the tutorial's 58784 and 47329 style), picked
    # among those no socket uses, not even one in TIME-WAIT from a last run.
    udp_src, tcp_src = unused_port('udp'), unused_port('tcp')
    wrapper = os.environ.get('MIRA_TEST_WRAPPER', '').split()
    slow = 10 if wrapper else 1
    args = ['--stack0-ipv4=127.0.0.1', f'--udp-port={udp_port}', f'--tcp-port={tcp_port}']
    p = subprocess.Popen(wrapper + [exe] + args, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    failures = []
    try:
        t0 = time.monotonic()
        while not (listening('udp', udp_port) and listening('tcp', tcp_port)):
            if p.poll() is not None or time.monotonic() - t0 > 30 * slow:
                failures.append('the app never listened on both ports')
                break
            time.sleep(0.05)
        if not failures:
            for cmd in (f'echo -n hello udp world | nc -u -w1 -p {udp_src} 127.0.0.1 {udp_port}',
                        f'echo -n hello tcp world | nc -w1 -p {tcp_src} 127.0.0.1 {tcp_port}'):
                print('$ ' + cmd, flush=True)
                if subprocess.run(cmd, shell=True, timeout=30).returncode != 0:
                    failures.append('nc failed: ' + cmd)
        # Signal only once the four lines are out (the alarm bounds the wait).
        head = ''
        signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError()))
        signal.alarm(20 * slow)
        try:
            while not failures and head.count('\n') < 4:
                line = p.stdout.readline()
                if not line:
                    break
                head += line
        except TimeoutError:
            failures.append('four lines did not come')
        signal.alarm(0)
        p.send_signal(sig)
        out, err = p.communicate(timeout=60 * slow)
        out = head + out
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        failures.append('still running after the signal')
    print(f'$ {exe} {" ".join(args)}; SIG{signame}: status {p.returncode}')
    print('--- stdout ---\n' + out + '--- stderr ---\n' + err + '---')
    want = (f'IP address: 127.0.0.1\n'
            f'UDP 127.0.0.1.{udp_src} > 127.0.0.1.{udp_port}: "hello udp world"\n'
            f'TCP 127.0.0.1.{tcp_src} > _.{tcp_port}\n'
            f'read: 15 "hello tcp world"\n')
    if p.returncode != 0:
        failures.append(f'exit status {p.returncode}, expected 0')
    if out != want:
        failures.append(f'stdout differs: expected {want!r}, got {out!r}')
    for f in failures:
        print('FAIL: ' + f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
