#!/usr/bin/env python3
"""test_apt_mirror.py APT_MIRROR_SH - ci/xen/apt-mirror.sh picks the mirror
build-dom0.sh debootstraps from out of sample apt configurations (one-line
sources.list and .list files, deb822 .sources files) in temporary
directories, and refuses clearly when there is none.  Addresses are file:
paths and documentation IP addresses: no real host is named."""
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = None

# Written as the real files are: a security stanza first, comments inside
# stanzas, and the wanted suite second in its Suites line.
DEB822_SEVERAL = """\
Types: deb
# a comment inside a stanza
URIs: http://192.0.2.1/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://192.0.2.2/debian
Suites: bookworm
Components: main

Types: deb deb-src
# http://192.0.2.9/snapshot
URIs: http://192.0.2.3/debian
Suites: bookworm-updates bookworm
Components: contrib main non-free-firmware
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""


class AptMirror(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        os.mkdir(os.path.join(self.dir, "sources.list.d"))

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text):
        with open(os.path.join(self.dir, name), "w") as f:
            f.write(text)

    def run_script(self, *args):
        env = dict(os.environ, MIRA_APT_DIR=self.dir)
        return subprocess.run([SCRIPT, *args], env=env, capture_output=True,
                              text=True, timeout=60)

    def assertMirror(self, want, *args):
        r = self.run_script(*args)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, want + "\n")
        self.assertEqual(r.stderr, "")

    def assertNone(self, *args):
        r = self.run_script(*args)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, "")
        self.assertEqual(r.stderr.count("\n"), 1, r.stderr)  # one line
        self.assertIn("MIRA_DEBIAN_MIRROR", r.stderr)

    def test_deb822_several_stanzas(self):
        self.write("sources.list.d/debian.sources", DEB822_SEVERAL)
        self.assertMirror("http://192.0.2.3/debian")
        self.assertMirror("http://192.0.2.1/debian-security", "bookworm-security")

    def test_deb822_last_stanza_without_blank_line(self):
        self.write("sources.list.d/a.sources",
                   "Types: deb\nURIs: file:/srv/a\nSuites: bookworm\nComponents: main")
        self.assertMirror("file:/srv/a")

    def test_deb822_fields_any_case_continuation_and_disabled(self):
        self.write("sources.list.d/a.sources",
                   "Types: deb\nURIs: file:/srv/off\nSuites: bookworm\n"
                   "Components: main\nEnabled: no\n\n"
                   "types: deb\nuris:\n file:/srv/on\n file:/srv/second\n"
                   "suites: bookworm\ncomponents: contrib\n main\n")
        self.assertMirror("file:/srv/on")

    def test_deb822_needs_main_and_a_fetchable_uri(self):
        self.write("sources.list.d/a.sources",
                   "Types: deb\nURIs: cdrom:[Debian 12]/\nSuites: bookworm\n"
                   "Components: main\n\n"
                   "Types: deb\nURIs: file:/srv/contrib\nSuites: bookworm\n"
                   "Components: contrib\n")
        self.assertNone()

    def test_one_line_sources_list(self):
        self.write("sources.list",
                   "# deb http://192.0.2.5/debian bookworm main\n"
                   "   #deb file:/srv/commented bookworm main\n"
                   "deb-src http://192.0.2.6/debian bookworm main\n"
                   "deb http://192.0.2.7/debian-security bookworm-security main\n"
                   "deb http://192.0.2.8/debian bookworm contrib\n"
                   "\n"
                   "deb [arch=amd64 signed-by=/k.gpg] http://192.0.2.9/debian bookworm main contrib # ok\n")
        self.assertMirror("http://192.0.2.9/debian")
        self.assertMirror("http://192.0.2.7/debian-security", "bookworm-security")

    def test_one_line_spaced_options(self):
        self.write("sources.list", "\tdeb [ arch=amd64 ] file:/srv/m bookworm main\n")
        self.assertMirror("file:/srv/m")

    def test_apt_reading_order(self):
        # sources.list first, then sources.list.d by name; other names
        # (such as *.disabled) are not apt sources at all.
        self.write("sources.list.d/b.list", "deb file:/srv/b bookworm main\n")
        self.write("sources.list.d/a.sources", DEB822_SEVERAL)
        self.write("sources.list.d/0.list.disabled",
                   "deb file:/srv/disabled bookworm main\n")
        self.assertMirror("http://192.0.2.3/debian")
        self.write("sources.list", "deb file:/srv/main-list bookworm main\n")
        self.assertMirror("file:/srv/main-list")

    def test_a_stanza_ends_with_its_file(self):
        # A stanza cut short at the end of one file does not borrow fields
        # from the next file.
        self.write("sources.list.d/a.sources", "Types: deb\nURIs: file:/srv/a\n")
        self.write("sources.list.d/b.sources",
                   "Suites: bookworm\nComponents: main\n")
        self.assertNone()

    def test_other_suite(self):
        self.write("sources.list.d/debian.sources", DEB822_SEVERAL)
        self.assertNone("trixie")

    def test_no_configuration(self):
        self.assertNone()
        os.rmdir(os.path.join(self.dir, "sources.list.d"))
        self.assertNone()


if __name__ == "__main__":
    SCRIPT = sys.argv.pop(1)
    unittest.main()
