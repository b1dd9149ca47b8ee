"""A minimal writer for the cpio "newc" format, the format of a Linux initramfs.

Linux unpacks concatenated archives (each possibly compressed) in order, later entries
replacing earlier ones, which is how a small per-run archive overlays the cached base.
See the kernel's Documentation/driver-api/early-userspace/buffer-format.rst.
"""

import gzip
import os
import stat
from pathlib import Path
from typing import BinaryIO

_TRAILER = "TRAILER!!!"


class CpioWriter:
    """Entries must come parents first: the kernel does not create missing directories."""

    def __init__(self, out: BinaryIO):
        self._out = out
        self._ino = 1
        self._dirs: set[str] = set()

    def _entry(self, name: str, mode: int, data: bytes = b"", mtime: int = 0) -> None:
        name_b = name.encode() + b"\0"
        nlink = 2 if stat.S_ISDIR(mode) else 1
        fields = [self._ino, mode, 0, 0, nlink, mtime, len(data), 0, 0, 0, 0, len(name_b), 0]
        self._ino += 1
        header = b"070701" + b"".join(b"%08X" % f for f in fields)
        self._out.write(header + name_b + b"\0" * (-(len(header) + len(name_b)) % 4))
        self._out.write(data + b"\0" * (-len(data) % 4))

    def dir(self, name: str, perm: int = 0o755) -> None:
        """Create name and its missing parents (names are relative, without a leading /)."""
        parts = name.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            sub = "/".join(parts[:i])
            if sub and sub not in self._dirs:
                self._dirs.add(sub)
                self._entry(sub, stat.S_IFDIR | perm)

    def file(self, name: str, data: bytes, perm: int = 0o644) -> None:
        self.dir(os.path.dirname(name))
        self._entry(name, stat.S_IFREG | perm, data)

    def symlink(self, name: str, target: str) -> None:
        self.dir(os.path.dirname(name))
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def tree(self, src: Path, dest: str = "") -> None:
        """Add a host directory tree (files, dirs, symlinks) under dest."""
        for dirpath, dirnames, filenames in os.walk(src):
            dirnames.sort()
            rel = os.path.relpath(dirpath, src)
            base = dest if rel == "." else os.path.join(dest, rel) if dest else rel
            if base:
                self.dir(base, stat.S_IMODE(os.lstat(dirpath).st_mode))
            for name in sorted(filenames) + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
                self.path(Path(dirpath) / name, os.path.join(base, name) if base else name)

    def path(self, src: Path, dest: str) -> None:
        """Add one host file or symlink (or a whole directory) as dest."""
        st = os.lstat(src)
        if stat.S_ISLNK(st.st_mode):
            self.symlink(dest, os.readlink(src))
        elif stat.S_ISDIR(st.st_mode):
            self.tree(src, dest)
        elif stat.S_ISREG(st.st_mode):
            self.file(dest, src.read_bytes(), stat.S_IMODE(st.st_mode))

    def close(self) -> None:
        self._entry(_TRAILER, 0)


def write_gz(path: Path, fill, level: int = 6) -> None:
    """Write a gzip'd newc archive to path; fill(writer) adds the entries."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with gzip.open(tmp, "wb", compresslevel=level) as gz:
        writer = CpioWriter(gz)
        fill(writer)
        writer.close()
    tmp.replace(path)
