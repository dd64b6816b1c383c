"""Shared by the netbench tests and benchmarks (tests/integration/netbench_bulk.py,
tests/bench/netbench_bench.py): a network namespace with a tap, the app
(tests/apps/netbench) on it with its default parameters, netem, and what
to print when something goes wrong.

Inside each namespace the tap is tap0 (netif-tap's default), Linux is
10.0.0.1/24 on it and the app 10.0.0.2/24 (the stack's defaults): the
app runs with no network parameters at all.  Everything made here is
removed by Namespace.close(), which the callers reach through `finally`
(and a namespace goes with every device in it).
"""
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time

LINUX_ADDR, APP_ADDR = '10.0.0.1', '10.0.0.2'
ECHO, DISCARD, CHARGEN = 7, 9, 19


def sh(*cmd, timeout=60):
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout)


def enter_netns(name):
    """Moves the calling thread (only it: a network namespace is per
    thread) into namespace `name`, so its sockets are made there."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open('/run/netns/' + name, os.O_RDONLY)
    try:
        if libc.setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
            raise OSError(ctypes.get_errno(), 'setns into ' + name)
    finally:
        os.close(fd)


def wrapper():
    return os.environ.get('MIRA_TEST_WRAPPER', '').split()


def cleanup_on_signal(prefix):
    """On SIGTERM or SIGINT (meson's timeout, ^C): kills this process's
    children (apps, relays) and removes every namespace named prefix*,
    then exits with status 1 - the `finally` blocks of other threads
    would not run."""
    def handler(signum, _frame):
        pids = []
        for task in os.listdir('/proc/self/task'):
            try:
                with open('/proc/self/task/%s/children' % task) as f:
                    pids += [int(x) for x in f.read().split()]
            except OSError:
                pass
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for line in sh('ip', 'netns', 'list').stdout.splitlines():
            name = line.split()[0] if line.split() else ''
            if name.startswith(prefix):
                sh('ip', 'netns', 'del', name)
        print('stopped by signal %d: children killed, namespaces %s* removed' % (signum, prefix),
              flush=True)
        os._exit(1)
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def slow():
    """How much longer things take under a wrapper (valgrind)."""
    return 10 if wrapper() else 1


class Namespace:
    """A network namespace; with_tap() gives it tap0 with 10.0.0.1/24."""

    def __init__(self, name):
        self.name = name
        r = sh('ip', 'netns', 'add', name)
        if r.returncode != 0:
            raise OSError('ip netns add %s: %s' % (name, r.stderr.strip()))
        self.ip('link', 'set', 'lo', 'up')

    def ip(self, *args):
        r = sh('ip', '-n', self.name, *args)
        if r.returncode != 0:
            raise OSError('ip -n %s %s: %s' % (self.name, ' '.join(args), r.stderr.strip()))
        return r.stdout

    def tc(self, *args):
        r = sh('tc', '-n', self.name, *args)
        if r.returncode != 0:
            raise OSError('tc -n %s %s: %s' % (self.name, ' '.join(args), r.stderr.strip()))
        return r.stdout

    def run(self, *cmd, timeout=60):
        return sh('ip', 'netns', 'exec', self.name, *cmd, timeout=timeout)

    def popen(self, cmd, **kw):
        return subprocess.Popen(['ip', 'netns', 'exec', self.name] + list(cmd), **kw)

    def with_tap(self):
        self.ip('tuntap', 'add', 'tap0', 'mode', 'tap')
        self.ip('addr', 'add', LINUX_ADDR + '/24', 'dev', 'tap0')
        self.ip('link', 'set', 'tap0', 'up')
        return self

    def bare_tap(self):
        """tap0, up, with no address and no IPv6: for the app, when the
        relay (netem_relay.py) stands between it and Linux."""
        self.run('sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1')
        self.run('sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=1')
        self.ip('tuntap', 'add', 'tap0', 'mode', 'tap')
        self.ip('link', 'set', 'tap0', 'up')
        return self

    def diagnose(self):
        """What a stalled transfer looks like from Linux: its TCP
        connections (window, retransmissions) and the qdiscs' counters."""
        out = []
        for cmd in (['ss', '-tni'], ['ip', '-s', 'link', 'show', 'tap0'],
                    ['nstat', '-az', 'TcpRetransSegs', 'TcpExtTCPSACK*', 'TcpInErrs',
                     'TcpInCsumErrors', 'TcpExtTCPTimeouts']):
            r = self.run(*cmd)
            out.append('$ %s\n%s%s' % (' '.join(cmd), r.stdout, r.stderr))
        return ''.join(out)

    def close(self):
        sh('ip', 'netns', 'del', self.name)


class Relay:
    """netem_relay.py between tap0 of linux_ns (Linux's) and tap0 of
    app_ns (the app's), impairing frames as spec (a list of words:
    loss 5 delay 10 ...) says."""

    def __init__(self, linux_ns, app_ns, seed, spec):
        me = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'netem_relay.py')
        self.p = subprocess.Popen([sys.executable, me, linux_ns.name, app_ns.name, str(seed)]
                                  + list(spec), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        first = self.p.stdout.readline()
        if first.strip() != 'relaying':
            self.p.kill()
            raise OSError('netem_relay.py did not start: ' + first + self.p.stdout.read())

    def stop(self):
        """Its counters line (and anything else it said)."""
        if self.p.poll() is None:
            self.p.terminate()
        try:
            out, _ = self.p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            out, _ = self.p.communicate()
        return out.strip()


class App:
    """netbench in a namespace, with its output lines read in a thread."""

    def __init__(self, ns, exe, args=()):
        self.cmd = wrapper() + [exe] + list(args)
        self.p = ns.popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, text=True)
        self.lines, self.err = [], []
        self.threads = [threading.Thread(target=self._read, args=(self.p.stdout, self.lines),
                                         daemon=True),
                        threading.Thread(target=self._read, args=(self.p.stderr, self.err),
                                         daemon=True)]
        for t in self.threads:
            t.start()

    @staticmethod
    def _read(f, into):
        for line in f:
            into.append(line.rstrip('\n'))

    def wait_listening(self, limit=60):
        t0 = time.monotonic()
        while time.monotonic() - t0 < limit:
            if any(l.startswith('listening on ') for l in self.lines):
                return True
            if self.p.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def rss_kib(self):
        """The app's resident set now (VmRSS), in KiB: the process under
        `ip netns exec` (which execs it)."""
        with open('/proc/%d/status' % self.p.pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
        return None

    def stop(self, limit=120):
        """SIGTERM, then its status (killed after limit seconds)."""
        if self.p.poll() is None:
            self.p.terminate()
        try:
            self.p.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        for t in self.threads:
            t.join(timeout=5)
        return self.p.returncode

    def output(self):
        return '--- app: %s, status %s\n%s\n--- its stderr\n%s\n---\n' % (
            ' '.join(self.cmd), self.p.returncode, '\n'.join(self.lines), '\n'.join(self.err))
