"""The Linux PVH guest's initramfs for make bench: busybox, this kernel's xen-evtchn.ko and
the static xenbell-dom0 and guest/init; with vchan=True also xen-gntalloc.ko and Xen's
vchan-socket-proxy (xen-utils-4.17) with the libraries it loads (libxenvchan, libxenctrl,
glibc, ...: the dom0 root's own files at their own paths), which makes guest/init a vchan
echo server instead (a separate archive: the ping guest's stays as small as it was, so its
boot figures do not move). Everything comes from the test bed's cache
(tools/testbed/tb: assets.prepare() fetches and unpacks the Debian packages once) and is
written with the test bed's own archive writer (tb.cpio).

    guest_initramfs.build(paths, assets, dom0_tool, out, vchan=False) -> out (a gzip'd newc archive)
"""

import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent / "testbed"))

from tb import elfdeps  # noqa: E402
from tb.cpio import Stage, write_gz  # noqa: E402
from tb.paths import Paths  # noqa: E402
from tb.ui import TestbedError  # noqa: E402

# The applets guest/init uses (busybox-static provides them all).
APPLETS = ["sh", "mount", "insmod", "cat", "cut", "echo", "sleep", "mkdir", "ls", "dmesg",
           "grep", "mkfifo"]
# Xen's libxenvchan server (the vchan archive only; guest/init runs it when present).
TOOLS_DIR = "usr/lib/xen-4.17"
VCHAN_PROXY = TOOLS_DIR + "/bin/vchan-socket-proxy"
# What the proxy's ELF header names as its loader.
LOADER = "lib64/ld-linux-x86-64.so.2"


def build(paths: Paths, assets: dict, dom0_tool: Path, out: Path, vchan: bool = False) -> Path:
    root = Path(assets["root"])
    busybox = root / "bin" / "busybox"
    mods = paths.cache / "modules" / assets["kver"]
    evtchn, gntalloc = mods / "xen-evtchn.ko", mods / "xen-gntalloc.ko"
    proxy = root / VCHAN_PROXY
    for f in (busybox, evtchn, gntalloc, dom0_tool, proxy):
        if not f.is_file():
            raise TestbedError(f"guest initramfs: {f} not found")
    try:
        libs = elfdeps.library_closure(root, proxy, TOOLS_DIR) if vchan else []
    except FileNotFoundError as e:
        raise TestbedError(f"guest initramfs: {e}") from None
    loader = [real for name, real in libs if name.name == Path(LOADER).name]
    if vchan and not loader:
        raise TestbedError(f"guest initramfs: {VCHAN_PROXY} names no {LOADER}")

    def fill(w: Stage) -> None:
        for d in ("proc", "sys", "dev", "tmp", "run", "bin", "lib/modules"):
            w.dir(d)
        w.file("init", (BENCH_DIR / "guest" / "init").read_bytes(), 0o755)
        w.file("bin/busybox", busybox.read_bytes(), 0o755)
        for a in APPLETS:
            w.symlink(f"bin/{a}", "busybox")
        w.file("lib/modules/xen-evtchn.ko", evtchn.read_bytes(), 0o644)
        w.file("bin/xenbell-dom0", dom0_tool.read_bytes(), 0o755)
        if not vchan:
            return
        w.file("lib/modules/xen-gntalloc.ko", gntalloc.read_bytes(), 0o644)
        w.file("bin/vchan-socket-proxy", proxy.read_bytes(), 0o755)
        for name, real in libs:
            w.file(str(name.relative_to(root)), real.read_bytes(), 0o755)
        w.file(LOADER, loader[0].read_bytes(), 0o755)

    out.parent.mkdir(parents=True, exist_ok=True)
    write_gz(out, fill, level=6)
    return out
