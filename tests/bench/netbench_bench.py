#!/usr/bin/env python3
"""Mira's TCP against Linux's, measured with one client tool on both sides
(tests/bench/nbtool.c), in the same run (docs/performance.md).

  netbench_bench.py NETBENCH_EXE NBTOOL_EXE

Mira: tests/apps/netbench (-Dnet=direct) on tap0 in a namespace, Linux's
client at 10.0.0.1 on the tap.  Reference: `nbtool serve` (the same
protocol and server logic over kernel sockets, a thread per connection) in
a second namespace, joined to the client's by a veth pair.  Rows:

  tcp bulk, Linux -> Mira    nbtool send: MIB MiB to discard (9), MB/s
  tcp bulk, Mira -> Linux    nbtool recv: MIB MiB from chargen (19), MB/s
                             (goal of both: 0.8 of Linux over veth)
  tcp request/response, 50 connections
                             nbtool rr: 64-byte request, 64-byte echo,
                             50 connections, SECONDS s; transactions/s
                             (goal 1.0)
  tcp 1,000 idle connections, resident memory
                             the fresh app's VmRSS after `nbtool hold`
                             opened 1,000 connections and echoed a byte
                             on each (measured first); reference: its
                             VmRSS before (goal: at most 8 MiB, of the
                             figure itself)
Each figure is the best of 3 tries (the first try warms caches and ARP).
MIRA_BENCH_NET_MIB (default 512) and MIRA_BENCH_RR_SECONDS (default 5)
change the sizes.  Root needed (namespaces); else each row says why.
"""
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
import netbench_lib as nb  # noqa: E402

MIB = int(os.environ.get('MIRA_BENCH_NET_MIB', '512'))
RR_SECONDS = float(os.environ.get('MIRA_BENCH_RR_SECONDS', '5'))
TRIES = 3
VETH_SERVER, VETH_CLIENT = '10.0.1.2', '10.0.1.1'
ROWS = [('tcp bulk, Linux -> Mira (tap) vs Linux -> Linux (veth)', 'MB/s', 0.8),
        ('tcp bulk, Mira -> Linux (tap) vs Linux -> Linux (veth)', 'MB/s', 0.8),
        ('tcp request/response, 50 connections', 'transactions/s', 1.0)]
RSS_ROW = 'tcp 1,000 idle connections: resident memory of netbench'


def bench(d):
    print('BENCH ' + json.dumps(d), flush=True)


def tool(ns, args, timeout=600):
    r = ns.run(*args, timeout=timeout)
    print('$ %s: %s%s' % (' '.join(args[1:]), r.stdout, r.stderr), end='', flush=True)
    if r.returncode != 0:
        raise OSError('%s: status %d: %s' % (' '.join(args[1:]), r.returncode,
                                            r.stderr.strip()[-200:]))
    return r.stdout


def figure(out):
    """MB/s or transactions/s: the last number of the result line."""
    return float(re.findall(r'([0-9.]+)(?: MB)?/s', out)[-1])


def best(ns, args):
    return max(figure(tool(ns, args)) for _ in range(TRIES))


def hold_rss(mira, app, nbtool):
    """The memory row, first, on the fresh app (the bulk transfers would
    leave its heap grown)."""
    rss_idle = app.rss_kib()
    holder = mira.popen([nbtool, 'hold', nb.APP_ADDR, '1000'], stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE, text=True)
    got = holder.stdout.readline().strip()
    time.sleep(1)
    rss = app.rss_kib()
    holder.stdin.close()
    holder.wait(timeout=120)
    print('netbench resident: %d KiB listening, %d KiB holding 1,000 connections (%s)' % (
        rss_idle, rss, got or 'the holder failed'))
    if got != 'held 1000':
        bench({'name': RSS_ROW, 'error': 'nbtool hold did not hold 1,000 connections'})
    else:
        bench({'name': RSS_ROW, 'mira': rss, 'reference': rss_idle, 'unit': 'KiB',
               'ratio': round(rss / rss_idle, 3), 'goal': 8192, 'goal_of': 'mira',
               'goal_op': '<='})


def measure(exe, nbtool):
    pid = os.getpid()
    mira = nb.Namespace('mira-nbb-%d' % pid).with_tap()
    srv = cli = app = server = None
    try:
        srv = nb.Namespace('mira-nbb-%d-srv' % pid)
        cli = nb.Namespace('mira-nbb-%d-cli' % pid)
        cli.ip('link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1',
               'netns', srv.name)
        cli.ip('addr', 'add', VETH_CLIENT + '/24', 'dev', 'veth0')
        cli.ip('link', 'set', 'veth0', 'up')
        srv.ip('addr', 'add', VETH_SERVER + '/24', 'dev', 'veth1')
        srv.ip('link', 'set', 'veth1', 'up')
        server = srv.popen([nbtool, 'serve', VETH_SERVER], stdout=subprocess.PIPE, text=True)
        if server.stdout.readline().strip() != 'listening on 7 9 19':
            raise OSError('nbtool serve did not start')
        app = nb.App(mira, exe)
        if not app.wait_listening():
            raise OSError('netbench never listened:\n' + app.output())
        hold_rss(mira, app, nbtool)
        n = str(MIB << 20)
        figures = [
            (best(mira, [nbtool, 'send', nb.APP_ADDR, n]),
             best(cli, [nbtool, 'send', VETH_SERVER, n])),
            (best(mira, [nbtool, 'recv', nb.APP_ADDR, n]),
             best(cli, [nbtool, 'recv', VETH_SERVER, n])),
            (best(mira, [nbtool, 'rr', nb.APP_ADDR, '50', str(RR_SECONDS)]),
             best(cli, [nbtool, 'rr', VETH_SERVER, '50', str(RR_SECONDS)])),
        ]
        for (name, unit, goal), (m, ref) in zip(ROWS, figures):
            bench({'name': name, 'mira': m, 'reference': ref, 'unit': unit,
                   'ratio': round(m / ref, 4), 'goal': goal})
    finally:
        if app is not None:
            app.stop()
            print(app.output())
        if server is not None:
            server.kill()
            server.wait()
        for n in (cli, srv, mira):
            if n is not None:
                n.close()


def main():
    exe, nbtool = sys.argv[1], sys.argv[2]
    if os.geteuid() != 0:
        for name, _, _ in ROWS:
            bench({'name': name, 'error': 'needs root (network namespaces)'})
        bench({'name': RSS_ROW, 'error': 'needs root (network namespaces)'})
        return 0
    nb.cleanup_on_signal('mira-nbb-%d' % os.getpid())
    try:
        measure(exe, nbtool)
    except (OSError, subprocess.TimeoutExpired, IndexError, ValueError) as e:
        print('netbench_bench: %s' % e)
        for name, _, _ in ROWS:
            bench({'name': name, 'error': str(e)[:200]})
        bench({'name': RSS_ROW, 'error': str(e)[:200]})
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
