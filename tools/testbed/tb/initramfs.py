"""The dom0 initramfs: a cached base archive plus a small per-run overlay archive.

base.cpio.gz (cache/, rebuilt only when the unpacked packages change) holds the xen
userland, busybox and the kernel modules. The overlay (built for every run, a few MB)
holds /init, the test bed's dom0 scripts, the scenarios, the project files under
/xenbell/ and the job description /xenbell/job/job.env. The two gzip'd archives are
concatenated into one file, which Linux unpacks in order.
"""

import shlex
import shutil
from pathlib import Path

from .cpio import Stage, pack, write_gz
from .paths import Paths
from .ui import TestbedError, say

DOM0_DIRS = ["proc", "sys", "dev", "tmp", "run", "var/run", "var/lib", "var/log", "mnt", "root"]


def base_archive(cache: Path, root: Path) -> Path:
    out = cache / "base.cpio.gz"
    stamp = cache / ".base.stamp"
    key = (cache / ".root.stamp").read_text()
    if out.exists() and stamp.exists() and stamp.read_text() == key:
        return out
    say(f"packing the dom0 base initramfs from {root}")

    for d in DOM0_DIRS:   # mount points and the like, empty: made in the cached tree itself
        (root / d).mkdir(parents=True, exist_ok=True)
    pack(root, out)
    stamp.write_text(key)
    say(f"  {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return out


def job_env(values: dict[str, str]) -> bytes:
    """Shell assignments that dom0's /init sources."""
    return "".join(f"{k}={shlex.quote(str(v))}\n" for k, v in values.items()).encode()


class Overlay:
    """What one run adds on top of the base: project files and the job."""

    def __init__(self, paths: Paths, kernel: Path, dom0_tool: Path | None,
                 scenarios: Path | None = None):
        if not kernel.is_file():
            raise TestbedError(f"kernel image {kernel} not found (run `make kernel`, or pass KERNEL=...)")
        self.paths = paths
        self.scenarios = scenarios or paths.scenarios_src
        self.kernel = kernel
        self.dom0_tool = dom0_tool if dom0_tool and dom0_tool.is_file() else None
        self.extra: list[Path] = []
        self.job_files: dict[str, Path] = {}
        self.env: dict[str, str] = {}

    def add_extra(self, files: list[Path]) -> None:
        for f in files:
            if not f.exists():
                raise TestbedError(f"DOM0_FILES: {f} not found")
            self.extra.append(f)

    def fill(self, w: Stage) -> None:
        src = self.paths.dom0_src
        w.file("init", (src / "init").read_bytes(), 0o755)
        for f in sorted(src.glob("*.sh")):
            w.file(f"xenbell/testbed/{f.name}", f.read_bytes(), 0o755)
        for f in sorted(self.scenarios.glob("*.sh")):
            w.file(f"xenbell/scenarios/{f.name}", f.read_bytes(), 0o755)
        w.file("xenbell/xenbell.elf", self.kernel.read_bytes(), 0o644)
        if self.dom0_tool:
            w.file("xenbell/xenbell-dom0", self.dom0_tool.read_bytes(), 0o755)
        w.dir("xenbell/xl-configs")
        if self.paths.xl_configs.is_dir():
            w.tree(self.paths.xl_configs, "xenbell/xl-configs")
        w.dir("xenbell/extra")
        for f in self.extra:
            w.path(f, f"xenbell/extra/{f.name}")
        for name, f in self.job_files.items():
            w.file(f"xenbell/job/{name}", f.read_bytes(), 0o755)
        w.file("xenbell/job/job.env", job_env(self.env))


def build(assets: dict, run_dir: Path, overlay: Overlay) -> Path:
    """run_dir/dom0-initramfs.cpio.gz = base + overlay."""
    base = assets["base"]
    run_dir.mkdir(parents=True, exist_ok=True)
    top = run_dir / "overlay.cpio.gz"
    write_gz(top, overlay.fill, level=1)
    out = run_dir / "dom0-initramfs.cpio.gz"
    with open(out, "wb") as dst:
        for part in (base, top):
            with open(part, "rb") as src:
                shutil.copyfileobj(src, dst, 1 << 20)
    return out
