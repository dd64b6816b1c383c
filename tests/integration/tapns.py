"""Shared by the tap tests of Mira's TCP (tests/integration/tcpip_*.py):
a network namespace with a tap in it (Linux's end addressed, the app on
the other), the app started inside it with its pipes read in threads,
waiting for a line with a deadline, stopping a process, and the skip
(77) when root or a tool is missing.

The namespace is removed by in_namespace() in a `finally`, so it goes
(with every device in it) even when the test fails or raises.
"""
import hashlib
import os
import shutil
import socket
import signal
import subprocess
import sys
import threading
import time

SKIP = 77
TAP = 'mtap0'


def sh(*cmd):
    return subprocess.run(list(cmd), capture_output=True, text=True)


def wrapper():
    """The command MIRA_TEST_WRAPPER puts in front of the app (valgrind)."""
    return os.environ.get('MIRA_TEST_WRAPPER', '').split()


def slow():
    """How much longer deadlines are under a wrapper (they guard hangs)."""
    return 10 if wrapper() else 1


def setup(cmds):
    """Runs each command; a failure is returned as [what failed], else []."""
    for cmd in cmds:
        r = sh(*cmd)
        if r.returncode != 0:
            return [f'{" ".join(cmd)}: {r.stderr.strip()}']
    return []


def tap_cmds(ns, addr):
    """The commands that bring lo up in ns and make TAP there, up, with addr
    (a /24) on Linux's side."""
    return [['ip', '-n', ns, 'link', 'set', 'lo', 'up'],
            ['ip', '-n', ns, 'tuntap', 'add', TAP, 'mode', 'tap'],
            ['ip', '-n', ns, 'addr', 'add', addr + '/24', 'dev', TAP],
            ['ip', '-n', ns, 'link', 'set', TAP, 'up']]


def start(ns, cmd, stdin=True):
    """Starts cmd inside ns (printed first), its stdout and stderr piped as
    text, its stdin piped too unless stdin is False."""
    full = ['ip', 'netns', 'exec', ns] + cmd
    print('$ ' + ' '.join(full), flush=True)
    return subprocess.Popen(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.PIPE if stdin else None, text=True)


def run_self(ns, flag, *args, timeout):
    """Runs this test script again inside ns with flag (its helper side) to
    its end; raises subprocess.TimeoutExpired after timeout seconds."""
    return subprocess.run(['ip', 'netns', 'exec', ns, sys.executable,
                           os.path.abspath(sys.argv[0]), flag] + list(args),
                          capture_output=True, text=True, timeout=timeout)


def echo_both(s, chunks):
    """The helper side of an echo: sends chunks (bytes) on s while a thread
    reads the echo back, then shuts s for writing and prints the lines
    the tests compare: "sent N sha256 X" and "received M sha256 Y"."""
    got, sent = hashlib.sha256(), hashlib.sha256()
    n = [0]

    def reader():
        while True:
            b = s.recv(1 << 16)
            if not b:
                return
            got.update(b)
            n[0] += len(b)

    t = threading.Thread(target=reader)
    t.start()
    total = 0
    for b in chunks:
        sent.update(b)
        s.sendall(b)
        total += len(b)
    s.shutdown(socket.SHUT_WR)
    t.join()
    print(f'sent {total} sha256 {sent.hexdigest()}')
    print(f'received {n[0]} sha256 {got.hexdigest()}', flush=True)


def tell(p, line):
    """Writes a line to p's stdin; p may have died (its failure shows)."""
    try:
        p.stdin.write(line + '\n')
        p.stdin.flush()
    except OSError:
        pass


class Lines:
    """A pipe's lines, read in a thread so nothing blocks."""

    def __init__(self, f):
        self.lines = []
        self.t = threading.Thread(target=self.run, args=(f,), daemon=True)
        self.t.start()

    def run(self, f):
        for line in f:
            self.lines.append(line.rstrip('\n'))

    def wait(self, pred, limit, proc=None):
        """The first line pred accepts, waiting up to limit seconds; None
        when there is none by then, or (given proc, the process writing
        the pipe) once proc has ended and all its lines are read."""
        t_end = time.monotonic() + limit
        while time.monotonic() < t_end:
            ended = proc is not None and proc.poll() is not None and not self.t.is_alive()
            for l in self.lines:
                if pred(l):
                    return l
            if ended:
                return None
            time.sleep(0.05)
        return None


def stop(p, timeout):
    """SIGTERM to p if it still runs, then its status; killed if it is not
    gone after timeout seconds."""
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    return p.returncode


def report(failures):
    """Prints each failure; the test's exit status."""
    for f in failures:
        print('FAIL: ' + f)
    return 1 if failures else 0


def in_namespace(prefix, run, tools=()):
    """Skips (77) without root, ip or one of tools; else makes namespace
    prefix-PID, returns run(ns)'s list of failures and removes it again,
    whatever run did."""
    if os.geteuid() != 0 or any(shutil.which(t) is None for t in ('ip',) + tuple(tools)):
        print('skipped: needs root (network namespaces)'
              + (', ip and ' + ', '.join(tools) if tools else ' and ip'))
        return None
    ns = f'{prefix}-{os.getpid()}'
    r = sh('ip', 'netns', 'add', ns)
    if r.returncode != 0:
        print('skipped: ip netns add: ' + r.stderr.strip())
        return None
    try:
        return run(ns)
    finally:
        sh('ip', 'netns', 'del', ns)


def main_in_namespace(prefix, run, tools=()):
    """in_namespace(), then the test's exit status: SKIP, 1 or 0."""
    failures = in_namespace(prefix, run, tools)
    return SKIP if failures is None else report(failures)


def main(helper, prefix, run, tools=()):
    """The whole of a test taking one argument (the app): `--helper` runs
    helper() (the test script's Linux side, inside the namespace), else
    main_in_namespace() with run(ns, app)."""
    if sys.argv[1:] == ['--helper']:
        helper()
        return 0
    app = sys.argv[1]
    return main_in_namespace(prefix, lambda ns: run(ns, app), tools)
