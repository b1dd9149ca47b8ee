"""Unit tests for tb/debs.py: the dom0 userland's package closure (breadth first over
Depends, libraries and xen packages only) and the parsing of `apt-cache depends`."""

import subprocess
import unittest
from unittest import mock

from tb import debs

GRAPH = {
    "xen-utils-4.20": ["libc6", "libxenmisc4.20", "python3", "xen-utils-common"],
    "xenstore-utils": ["libc6", "libxenstore4"],
    "libc6": ["libgcc-s1"],
    "libgcc-s1": ["gcc-14-base", "libc6"],
    "libxenmisc4.20": ["libyajl2", "zlib1g", "debconf"],
    "xen-utils-common": ["udev", "libxenstore4"],
    "libxenstore4": ["libc6"],
    "libyajl2": [], "zlib1g": [], "gcc-14-base": [],
}


class ClosureTest(unittest.TestCase):
    def test_libraries_and_xen_packages_only(self):
        calls = []

        def fake(pkgs, env=None):
            calls.append((sorted(pkgs), env))
            return {p: GRAPH[p] for p in pkgs}

        with mock.patch.object(debs, "_apt_depends", fake):
            got = debs.userland_closure(["xen-utils-4.20", "xenstore-utils"], {"APT_CONFIG": "x"})
        self.assertEqual(got, ["gcc-14-base", "libc6", "libgcc-s1", "libxenmisc4.20", "libxenstore4",
                               "libyajl2", "xen-utils-4.20", "xen-utils-common", "xenstore-utils",
                               "zlib1g"])
        # python3, debconf and udev are not needed to run xl: left out.
        self.assertTrue(all(env == {"APT_CONFIG": "x"} for _, env in calls))
        self.assertEqual(len(calls), 4, "one apt-cache call per level")


APT_CACHE = """xen-utils-4.20
  Depends: libc6
  Depends: <python3:any>
 |Depends: libxenmisc4.20
  Depends: libyajl2
  PreDepends: zlib1g
xenstore-utils
  Depends: libxenstore4
"""


class AptDependsTest(unittest.TestCase):
    def test_parse(self):
        done = subprocess.CompletedProcess([], 0, APT_CACHE, "")
        with mock.patch.object(subprocess, "run", return_value=done) as run:
            got = debs._apt_depends(["xen-utils-4.20", "xenstore-utils"], {"APT_CONFIG": "c"})
        self.assertEqual(got, {"xen-utils-4.20": ["libc6", "libxenmisc4.20", "libyajl2", "zlib1g"],
                               "xenstore-utils": ["libxenstore4"]})
        self.assertEqual(run.call_args.kwargs["env"], {"APT_CONFIG": "c"})


if __name__ == "__main__":
    unittest.main()
