#!/usr/bin/env python3
"""netif-tap against the Linux kernel, inside a network namespace this test
creates (and removes again, even on failure).

usage: netif_tap.py TAPNET_EXE CASE
CASE:
  exchange   a tap made and brought up in the namespace (10.0.0.1/24 on the
             Linux side); the app attaches to it.  Linux pings 10.0.0.2: its
             ARP request reaches the app, the app's reply lands in Linux's
             neighbour table with the app's MAC, and the frame the app sends
             next is seen by tcpdump in the namespace.  SIGTERM: status 0.
  create     a tap name that does not exist: the app creates it (the link
             shows in the namespace while it runs and goes when it ends).
  no-tun     --net0-tun-device=a missing path: status 1, one error line that
             names the parameter and the fix (modprobe tun).
  no-cap     run without CAP_NET_ADMIN (setpriv): status 1, one error line
             that names CAP_NET_ADMIN.
Skipped (77) without root (namespaces), ip, tcpdump or setpriv.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import time

SKIP = 77


def sh(*cmd):
    return subprocess.run(list(cmd), capture_output=True, text=True)


def wrapper():
    return os.environ.get('MIRA_TEST_WRAPPER', '').split()


def run_once(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                       timeout=600 if wrapper() else 60)
    print(f'$ {" ".join(cmd)}: status {r.returncode}')
    print('--- stdout ---\n' + r.stdout + '--- stderr ---\n' + r.stderr + '---')
    return r


def one_error_line(r, *needles):
    failures = []
    if r.returncode != 1:
        failures.append(f'exit status {r.returncode}, expected 1')
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    if len(lines) != 1:
        failures.append(f'stderr has {len(lines)} lines, expected one')
    for n in needles:
        if n not in r.stderr:
            failures.append(f'stderr lacks {n!r}')
    return failures


def start_app(ns, exe, args):
    cmd = ['ip', 'netns', 'exec', ns] + wrapper() + [exe] + args
    print('$ ' + ' '.join(cmd), flush=True)
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)


def stop_app(p):
    p.send_signal(signal.SIGTERM)
    try:
        out, err = p.communicate(timeout=600 if wrapper() else 60)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    print(f'status {p.returncode}\n--- stdout ---\n{out}--- stderr ---\n{err}---')
    return out, err


def wait_for(cond, what, failures, limit=30):
    t0 = time.monotonic()
    limit *= 10 if wrapper() else 1
    while not cond():
        if time.monotonic() - t0 > limit:
            failures.append('never: ' + what)
            return False
        time.sleep(0.05)
    return True


def case_exchange(ns, exe):
    failures = []
    for cmd in (['ip', '-n', ns, 'tuntap', 'add', 'mtap0', 'mode', 'tap'],
                ['ip', '-n', ns, 'addr', 'add', '10.0.0.1/24', 'dev', 'mtap0'],
                ['ip', '-n', ns, 'link', 'set', 'mtap0', 'up']):
        r = sh(*cmd)
        if r.returncode != 0:
            return [f'{" ".join(cmd)}: {r.stderr.strip()}']
    # tcpdump first, so it sees the app's frame; it says when it listens.
    dump = subprocess.Popen(['ip', 'netns', 'exec', ns, 'tcpdump', '-l', '-n', '-e', '-A',
                             '-i', 'mtap0', '-c', '1', 'ether proto 0x88b5'],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    said = ''
    while 'listening on' not in said:
        line = dump.stderr.readline()
        if not line:
            dump.kill()
            return ['tcpdump did not start: ' + said]
        said += line
    p = start_app(ns, exe, ['--net0-tap=mtap0'])
    mac = None
    try:
        first = p.stdout.readline()
        m = re.match(r'MAC ([0-9a-f:]{17}) MTU 1500$', first.strip())
        if not m:
            failures.append(f'first line {first!r} is not "MAC ... MTU 1500"')
        else:
            mac = m.group(1)
            # Linux resolves 10.0.0.2 before it pings: the app answers the
            # ARP (no echo reply comes: ping's own status does not matter).
            sh('ip', 'netns', 'exec', ns, 'ping', '-c', '1', '-W', '2', '10.0.0.2')
            neigh = sh('ip', '-n', ns, 'neigh', 'show', '10.0.0.2', 'dev', 'mtap0').stdout
            print('$ ip neigh show 10.0.0.2: ' + neigh.strip())
            if 'lladdr ' + mac not in neigh:
                failures.append(f'neighbour table lacks 10.0.0.2 at {mac}: {neigh!r}')
    finally:
        out, err = stop_app(p)
        try:
            dout, derr = dump.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            dump.kill()
            dout, derr = dump.communicate()
            failures.append('tcpdump saw no frame of EtherType 0x88b5')
        print('--- tcpdump ---\n' + dout + derr + '---')
    if mac and (mac + ' > ff:ff:ff:ff:ff:ff' not in dout or 'hello from mira' not in dout):
        failures.append('tcpdump did not show the app\'s broadcast "hello from mira"')
    if p.returncode != 0:
        failures.append(f'exit status {p.returncode}, expected 0')
    if 'ARP: who-has 10.0.0.2 tell 10.0.0.1\n' not in out:
        failures.append('the app did not print the ARP request')
    m = re.search(r'answered (\d+); rx (\d+) frames \d+ bytes; tx (\d+) frames', out)
    if not m or int(m.group(1)) < 1 or int(m.group(3)) < 2 * int(m.group(1)):
        failures.append('the counters do not show an answer and its hello sent')
    return failures


def case_create(ns, exe):
    failures = []
    p = start_app(ns, exe, ['--net0-tap=mnew0'])
    try:
        # The app's first line says it is ready (and catching SIGTERM).
        p.stdout.readline()
        wait_for(lambda: sh('ip', '-n', ns, 'link', 'show', 'mnew0').returncode == 0,
                 'the app created mnew0', failures)
    finally:
        out, err = stop_app(p)
    if p.returncode != 0:
        failures.append(f'exit status {p.returncode}, expected 0')
    if '(created; bring it up on the host)' not in err:
        failures.append('stderr does not say the tap was created')
    if sh('ip', '-n', ns, 'link', 'show', 'mnew0').returncode == 0:
        failures.append('mnew0 is still there after the app ended')
    return failures


def main():
    exe, case = os.path.abspath(sys.argv[1]), sys.argv[2]
    if case == 'no-tun':
        r = run_once(wrapper() + [exe, '--net0-tun-device=/nonexistent/tun'])
        failures = one_error_line(r, '--net0-tun-device', '/nonexistent/tun', 'modprobe tun')
    elif os.geteuid() != 0 or not shutil.which('ip'):
        print('SKIP: network namespaces need root and ip (iproute2)')
        return SKIP
    elif case == 'no-cap':
        if not shutil.which('setpriv'):
            print('SKIP: setpriv (util-linux) not found')
            return SKIP
        r = run_once(['setpriv', '--inh-caps=-all', '--bounding-set=-net_admin'] + wrapper() +
                     [exe, '--net0-tap=mira-nocap0'])
        failures = one_error_line(r, 'CAP_NET_ADMIN', '--net0-tap', 'mira-nocap0')
    else:
        if case == 'exchange' and not shutil.which('tcpdump'):
            print('SKIP: tcpdump not found')
            return SKIP
        ns = f'mira-tap-{os.getpid()}'
        r = sh('ip', 'netns', 'add', ns)
        if r.returncode != 0:
            print('SKIP: cannot create a network namespace: ' + r.stderr.strip())
            return SKIP
        try:
            failures = {'exchange': case_exchange, 'create': case_create}[case](ns, exe)
        finally:
            sh('ip', 'netns', 'del', ns)
    for f in failures:
        print('FAIL: ' + f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
