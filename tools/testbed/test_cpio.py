"""Unit tests for tb/cpio.py: the staged entries come out of GNU cpio as a newc archive
with the names, types, modes and owner the initramfs needs."""

import gzip
import subprocess
import tempfile
import unittest
from pathlib import Path

from tb.cpio import write_gz


def listing(archive: Path) -> list[str]:
    """`cpio -itv` lines reduced to "mode owner name[ -> target]"."""
    out = subprocess.run(["cpio", "-itv", "--quiet"], input=gzip.decompress(archive.read_bytes()),
                         capture_output=True, check=True).stdout.decode()
    rows = []
    for line in out.splitlines():
        f = line.split()
        rows.append(" ".join([f[0], f[2], f[3]] + f[8:]))
    return rows


class CpioTest(unittest.TestCase):
    def test_entries(self):
        with tempfile.TemporaryDirectory() as d:
            d = Path(d)
            src = d / "src"
            (src / "sub").mkdir(parents=True)
            (src / "sub" / "a.cfg").write_text("x")
            (src / "link").symlink_to("sub/a.cfg")

            def fill(w):
                w.file("init", b"#!/bin/sh\n", 0o755)
                w.file("xenbell/job/job.env", b"A=1\n")
                w.dir("xenbell/extra")
                w.tree(src, "xenbell/xl-configs")
                w.symlink("bin/sh", "/bin/busybox")

            out = d / "o.cpio.gz"
            write_gz(out, fill, level=1)
            rows = listing(out)
            self.assertEqual(rows, [
                "drwxr-xr-x root root bin",
                "lrwxrwxrwx root root bin/sh -> /bin/busybox",
                "-rwxr-xr-x root root init",
                "drwxr-xr-x root root xenbell",
                "drwxr-xr-x root root xenbell/extra",
                "drwxr-xr-x root root xenbell/job",
                "-rw-r--r-- root root xenbell/job/job.env",
                "drwxr-xr-x root root xenbell/xl-configs",
                "lrwxrwxrwx root root xenbell/xl-configs/link -> sub/a.cfg",
                "drwxr-xr-x root root xenbell/xl-configs/sub",
                "-rw-r--r-- root root xenbell/xl-configs/sub/a.cfg",
            ])
            self.assertFalse((d / "o.cpio.gz.d").exists(), "staging directory left behind")


if __name__ == "__main__":
    unittest.main()
