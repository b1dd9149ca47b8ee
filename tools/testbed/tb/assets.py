"""Everything a boot needs from Debian, fetched and unpacked once into the cache.

A lock file serialises concurrent runs (e.g. two `make e2e` at once) on the cache.
"""

import fcntl
from pathlib import Path

from . import debs, initramfs, unpack
from .paths import Paths
from .ui import say


def prepare(paths: Paths) -> dict:
    """{"xen", "kernel", "kver", "root", "base"}: Xen, the dom0 kernel and its version, the
    unpacked dom0 userland and the base initramfs packed from it. Downloads, unpacks and
    packs only what is missing or out of date."""
    cache = paths.release_cache
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        groups = debs.resolve(cache, paths.release)
        assets = unpack.unpack_all(cache, groups, paths.release)
        assets["base"] = initramfs.base_archive(cache, assets["root"])
    say(f"assets ready: Xen {_version(cache, groups['xen'][0])}, dom0 kernel {assets['kver']}"
        f" ({Path(assets['kernel']).name}), {len(groups['userland'])} userland packages")
    return assets


def _version(cache: Path, pkg: str) -> str:
    deb = debs.deb_file(cache / "debs", pkg)
    return deb.name.split("_")[1].replace("%3a", ":") if deb else "?"
