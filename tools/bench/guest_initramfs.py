"""The Linux PVH guest's initramfs for make bench: busybox, this kernel's xen-evtchn.ko,
the static xenbell-dom0, and guest/init. Everything comes from the test bed's cache
(tools/testbed/tb: assets.prepare() fetches and unpacks the Debian packages once) and is
written with the test bed's own archive writer (tb.cpio).

    guest_initramfs.build(paths, assets, dom0_tool, out) -> out (a gzip'd newc archive)
"""

import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent / "testbed"))

from tb.cpio import Stage, write_gz  # noqa: E402
from tb.paths import Paths  # noqa: E402
from tb.ui import TestbedError  # noqa: E402

# The applets guest/init uses (busybox-static provides them all).
APPLETS = ["sh", "mount", "insmod", "cat", "cut", "echo", "sleep", "mkdir", "ls", "dmesg"]


def build(paths: Paths, assets: dict, dom0_tool: Path, out: Path) -> Path:
    busybox = Path(assets["root"]) / "bin" / "busybox"
    evtchn = paths.cache / "modules" / assets["kver"] / "xen-evtchn.ko"
    for f in (busybox, evtchn, dom0_tool):
        if not f.is_file():
            raise TestbedError(f"guest initramfs: {f} not found")

    def fill(w: Stage) -> None:
        for d in ("proc", "sys", "dev", "tmp", "run", "bin", "lib/modules"):
            w.dir(d)
        w.file("init", (BENCH_DIR / "guest" / "init").read_bytes(), 0o755)
        w.file("bin/busybox", busybox.read_bytes(), 0o755)
        for a in APPLETS:
            w.symlink(f"bin/{a}", "busybox")
        w.file("lib/modules/xen-evtchn.ko", evtchn.read_bytes(), 0o644)
        w.file("bin/xenbell-dom0", dom0_tool.read_bytes(), 0o755)

    out.parent.mkdir(parents=True, exist_ok=True)
    write_gz(out, fill, level=6)
    return out
