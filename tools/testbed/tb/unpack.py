"""Unpack the downloaded .debs into the cache: Xen, the dom0 kernel and its xen modules,
and the dom0 userland tree. Each step is skipped when its stamp matches its inputs.

Layout under cache/:
  boot/xen              Xen, gunzipped (a multiboot ELF that QEMU's -kernel accepts)
  boot/vmlinuz          the dom0 kernel (bzImage)
  boot/vmlinux          the same kernel uncompressed (ELF); Xen boots it ~2.7 s faster
  boot/kernel-version   e.g. 6.1.0-56-amd64
  modules/<ver>/*.ko    drivers/xen modules, flat
  root/                 dom0 userland: xen-utils closure, busybox and its applet links
"""

import gzip
import io
import lzma
import shutil
import subprocess
import tarfile
from pathlib import Path

from .debs import deb_file
from .elfdeps import missing_libraries
from .ui import TestbedError, say

from . import release
from .release import Release

ROOT_PRUNE = ["usr/share/doc", "usr/share/man", "usr/share/locale", "usr/share/lintian",
              "{tools}/lib/python", "{tools}/bin/oxenstored"]

# Merged /usr: each top-level directory a link into usr/ (as Debian trixie's base system
# has them; its packages ship only the usr/ side).
MERGED_USR = {"bin": "usr/bin", "sbin": "usr/sbin", "lib": "usr/lib", "lib64": "usr/lib64"}


def _stamped(stamp: Path, key: str) -> bool:
    return stamp.exists() and stamp.read_text() == key


def _deb_members(deb: Path):
    """Iterate (member, fileobj) over a .deb's data archive without unpacking it all."""
    proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            for member in tar:
                yield member, (tar.extractfile(member) if member.isfile() else None)
    finally:
        proc.stdout.close()
        proc.wait()


def unpack_xen(cache: Path, deb: Path) -> Path:
    out = cache / "boot" / "xen"
    stamp = cache / "boot" / ".xen.stamp"
    if _stamped(stamp, deb.name) and out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    for member, f in _deb_members(deb):
        if f and member.name.startswith("./boot/xen-") and member.name.endswith(".gz"):
            out.write_bytes(gzip.decompress(f.read()))
            stamp.write_text(deb.name)
            return out
    raise TestbedError(f"no boot/xen-*.gz in {deb.name}")


def extract_vmlinux(bzimage: bytes) -> bytes | None:
    """The kernel's own scripts/extract-vmlinux, for xz and gzip payloads: find the
    compressed stream inside the bzImage and keep the first one that inflates to an ELF."""
    for magic, inflate in ((b"\xfd7zXZ\x00", lambda b: lzma.LZMADecompressor().decompress(b)),
                           (b"\x1f\x8b\x08", lambda b: gzip.GzipFile(fileobj=io.BytesIO(b)).read())):
        pos = bzimage.find(magic)
        while pos >= 0:
            try:
                data = inflate(bzimage[pos:])
                if data[:4] == b"\x7fELF":
                    return data
            except (lzma.LZMAError, OSError, EOFError):
                pass
            pos = bzimage.find(magic, pos + 1)
    return None


def unpack_kernel(cache: Path, deb: Path) -> str:
    """vmlinuz, vmlinux and the drivers/xen modules; returns the kernel version."""
    boot = cache / "boot"
    stamp = boot / ".kernel.stamp"
    if _stamped(stamp, deb.name):
        return (boot / "kernel-version").read_text().strip()
    boot.mkdir(parents=True, exist_ok=True)
    version = None
    shutil.rmtree(cache / "modules", ignore_errors=True)
    for member, f in _deb_members(deb):
        name = member.name
        if f and name.startswith("./boot/vmlinuz-"):
            version = name[len("./boot/vmlinuz-"):]
            image = f.read()
            (boot / "vmlinuz").write_bytes(image)
            vmlinux = extract_vmlinux(image)
            if vmlinux:
                (boot / "vmlinux").write_bytes(vmlinux)
        elif f and "/kernel/drivers/xen/" in name and name.startswith("./lib/modules/"):
            kver = name.split("/")[3]
            base = Path(name).name
            data = f.read()
            if base.endswith(".xz"):
                data, base = lzma.decompress(data), base[:-3]
            dest = cache / "modules" / kver / base
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
    if not version or not (cache / "modules" / version).is_dir():
        raise TestbedError(f"{deb.name}: no boot/vmlinuz-* or no drivers/xen modules")
    (boot / "kernel-version").write_text(version + "\n")
    stamp.write_text(deb.name)
    return version


def merge_usr(root: Path) -> None:
    """bin, sbin, lib, lib64 as relative links into usr/ (before any package is unpacked)."""
    for top, target in MERGED_USR.items():
        (root / target).mkdir(parents=True, exist_ok=True)
        (root / top).symlink_to(target)


def unpack_root(cache: Path, debs: list[Path], kver: str,
                rel: Release = release.get(release.DEFAULT)) -> Path:
    """dom0 userland tree: the debs, minus docs; busybox applet links; the xen modules."""
    root = cache / "root"
    stamp = cache / ".root.stamp"
    key = ("\n".join(sorted(d.name for d in debs)) + f"\nmodules {kver}\n"
           + ("merged-usr\n" if rel.merged_usr else ""))
    if _stamped(stamp, key) and root.is_dir():
        return root
    say(f"unpacking {len(debs)} userland packages into {root}")
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    if rel.merged_usr:
        merge_usr(root)
    for deb in debs:
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    for pattern in ROOT_PRUNE:
        p = root / pattern.format(tools=rel.tools_dir)
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()
    _link_busybox(root)
    mods = root / "lib" / "modules" / kver
    mods.mkdir(parents=True, exist_ok=True)
    for ko in sorted((cache / "modules" / kver).glob("*.ko")):
        shutil.copy2(ko, mods / ko.name)
    missing = missing_libraries(root, rel.tools_dir)
    if missing:
        raise TestbedError("dom0 userland is missing shared libraries (extend the package "
                           "closure in tb/debs.py):\n" + "\n".join(missing))
    stamp.write_text(key)
    return root


def _link_busybox(root: Path) -> None:
    busybox = root / "bin" / "busybox"
    if not busybox.exists():
        raise TestbedError("busybox-static did not provide bin/busybox")
    applets = subprocess.run([str(busybox), "--list-full"], capture_output=True, text=True,
                             check=True).stdout.split()
    for rel in applets:
        name = Path(rel).name
        if any((root / d / name).exists() or (root / d / name).is_symlink()
               for d in ("bin", "sbin", "usr/bin", "usr/sbin")):
            continue  # a real tool (from the debs) wins over the applet
        link = root / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to("/bin/busybox")


def unpack_all(cache: Path, groups: dict[str, list[str]],
               rel: Release = release.get(release.DEFAULT)) -> dict[str, Path | str]:
    debdir = cache / "debs"
    xen = unpack_xen(cache, deb_file(debdir, groups["xen"][0]))
    kver = unpack_kernel(cache, deb_file(debdir, groups["kernel"][0]))
    root = unpack_root(cache, [deb_file(debdir, p) for p in groups["userland"]], kver, rel)
    vmlinux = cache / "boot" / "vmlinux"
    return {"xen": xen, "kernel": vmlinux if vmlinux.exists() else cache / "boot" / "vmlinuz",
            "kver": kver, "root": root}
