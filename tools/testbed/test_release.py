"""Unit tests for tb/release.py (the apt sources of another suite, taken from the host's)
and the merged-/usr links of tb/unpack.py."""

import tempfile
import unittest
from pathlib import Path

from tb import release
from tb.ui import TestbedError
from tb.unpack import merge_usr

DEB822 = """Types: deb
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main

Types: deb-src
URIs: http://src.example/debian
Suites: bookworm
"""


class SourcesTest(unittest.TestCase):
    def test_deb822(self):
        pairs = release.host_sources({"debian.sources": DEB822})
        self.assertEqual(pairs, [("http://mirror.example/debian", "bookworm"),
                                 ("http://mirror.example/debian", "bookworm-updates"),
                                 ("http://mirror.example/debian-security", "bookworm-security")])

    def test_one_line_format(self):
        text = ("# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://m.example/debian bookworm main\n"
                "deb-src http://m.example/debian bookworm main\n"
                "deb http://s.example/debian-security bookworm-security main # trailing\n")
        self.assertEqual(release.host_sources({"sources.list": text}),
                         [("http://m.example/debian", "bookworm"),
                          ("http://s.example/debian-security", "bookworm-security")])

    def test_suite_swapped_on_the_hosts_mirrors(self):
        lines = release.suite_sources(release.host_sources({"debian.sources": DEB822}), "trixie")
        self.assertEqual(len(lines), 2)
        self.assertTrue(lines[0].endswith(" http://mirror.example/debian trixie main"), lines[0])
        self.assertTrue(lines[1].endswith(" http://mirror.example/debian-security trixie-security main"))
        self.assertIn("signed-by=/usr/share/keyrings/debian-archive-keyring.gpg", lines[0])

    def test_no_mirror_is_an_error(self):
        with self.assertRaises(TestbedError):
            release.suite_sources([("http://x/debian-security", "bookworm-security")], "trixie")

    def test_releases(self):
        self.assertEqual(release.get("4.17").xen_package, "xen-hypervisor-4.17-amd64")
        r = release.get("4.20")
        self.assertEqual((r.suite, r.merged_usr, r.tools_dir), ("trixie", True, "usr/lib/xen-4.20"))
        self.assertEqual(r.userland_roots, ["xen-utils-4.20", "xenstore-utils"])
        self.assertEqual(r.cache(Path("/c")), Path("/c/xen-4.20"))
        self.assertEqual(release.get("4.17").cache(Path("/c")), Path("/c"))
        with self.assertRaises(TestbedError):
            release.get("4.1")


class MergedUsrTest(unittest.TestCase):
    def test_links_are_relative_into_usr(self):
        with tempfile.TemporaryDirectory() as d:
            root = Path(d)
            merge_usr(root)
            for top in ("bin", "sbin", "lib", "lib64"):
                self.assertEqual(str((root / top).readlink()), f"usr/{top}")
            (root / "usr/bin/busybox").write_text("x")
            self.assertTrue((root / "bin/busybox").exists())


if __name__ == "__main__":
    unittest.main()
