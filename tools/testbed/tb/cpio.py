"""Initramfs archives in the cpio "newc" format, written by GNU cpio (`cpio -o -H newc`).

Linux unpacks concatenated archives (each possibly compressed) in order, later entries
replacing earlier ones, which is how a small per-run archive overlays the cached base.
See the kernel's Documentation/driver-api/early-userspace/buffer-format.rst.

What is the test bed's own: a Stage collects one archive's entries in a directory (names
relative, without a leading /; parents are created as needed), then pack() hands the tree
to GNU cpio, every entry owned by root, parents before children, and gzips it.
"""

import os
import shutil
import subprocess
from pathlib import Path


class Stage:
    """The entries of one archive, staged as a directory tree under `top`."""

    def __init__(self, top: Path):
        self.top = top
        top.mkdir(parents=True, exist_ok=True)

    def _at(self, name: str) -> Path:
        return self.top / name.strip("/")

    def dir(self, name: str, perm: int = 0o755) -> None:
        p = self._at(name)
        p.mkdir(parents=True, exist_ok=True)
        p.chmod(perm)

    def file(self, name: str, data: bytes, perm: int = 0o644) -> None:
        p = self._at(name)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.unlink(missing_ok=True)
        p.write_bytes(data)
        p.chmod(perm)

    def symlink(self, name: str, target: str) -> None:
        p = self._at(name)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.unlink(missing_ok=True)
        p.symlink_to(target)

    def tree(self, src: Path, dest: str = "") -> None:
        """A host directory tree (files, dirs, symlinks kept as links) under dest."""
        shutil.copytree(src, self._at(dest) if dest else self.top, symlinks=True, dirs_exist_ok=True)

    def path(self, src: Path, dest: str) -> None:
        """One host file or symlink (or a whole directory) as dest."""
        if src.is_symlink():
            self.symlink(dest, os.readlink(src))
        elif src.is_dir():
            self.tree(src, dest)
        else:
            self._at(dest).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, self._at(dest))


def pack(top: Path, out: Path, level: int = 6) -> None:
    """out = gzip(newc archive of the tree under top), entries named relative to top,
    sorted (parents first), owned by root:root."""
    names = subprocess.run(["find", ".", "-mindepth", "1", "-printf", "%P\\n"], cwd=top,
                           capture_output=True, check=True).stdout
    names = b"\n".join(sorted(names.splitlines())) + b"\n"
    tmp = out.with_suffix(out.suffix + ".tmp")
    with open(tmp, "wb") as dst:
        cpio = subprocess.Popen(["cpio", "-o", "-H", "newc", "-R", "0:0", "--reproducible", "--quiet"],
                                cwd=top, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        gz = subprocess.Popen(["gzip", f"-{level}", "-n"], stdin=cpio.stdout, stdout=dst)
        cpio.stdout.close()
        cpio.communicate(names)
        gz.wait()
    if cpio.returncode != 0 or gz.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise OSError(f"{out}: cpio exited {cpio.returncode}, gzip {gz.returncode}")
    tmp.replace(out)


def write_gz(path: Path, fill, level: int = 6) -> None:
    """Write a gzip'd newc archive to path; fill(stage) adds the entries."""
    stage_dir = path.with_suffix(path.suffix + ".d")
    shutil.rmtree(stage_dir, ignore_errors=True)
    try:
        fill(Stage(stage_dir))
        pack(stage_dir, path, level)
    finally:
        shutil.rmtree(stage_dir, ignore_errors=True)
