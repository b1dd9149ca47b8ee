"""Which Debian packages the test bed needs, and `apt-get download` of the missing ones.

Everything comes from whatever mirror the machine's apt sources name; nothing is
installed on the host. The resolved list is remembered in cache/packages.list, so a
warm cache needs no apt call at all (delete the cache directory to refresh).
"""

import re
import subprocess
from pathlib import Path

from . import release
from .release import Release
from .ui import TestbedError, say

KERNEL_META = "linux-image-amd64"
BUSYBOX = "busybox-static"


def _apt_depends(pkgs: list[str], env: dict[str, str] | None = None) -> dict[str, list[str]]:
    """Direct Depends/Pre-Depends of each package (first alternative, no virtual
    packages), with one apt-cache call for all of them. env: see release.apt_env."""
    res = subprocess.run(
        ["apt-cache", "depends", "--no-recommends", "--no-suggests", "--no-conflicts",
         "--no-breaks", "--no-replaces", "--no-enhances"] + pkgs,
        capture_output=True, text=True, check=False, env=env)
    if res.returncode != 0:
        raise TestbedError(f"apt-cache depends {' '.join(pkgs)} failed (run apt-get update?): "
                           f"{res.stderr.strip()}")
    deps: dict[str, list[str]] = {}
    current = None
    for line in res.stdout.splitlines():
        if line and not line[0].isspace():
            current = deps.setdefault(line.strip(), [])
            continue
        m = re.match(r"\s*\|?(?:Pre)?Depends: (\S+)", line)
        if m and current is not None and not m.group(1).startswith("<"):
            current.append(m.group(1))
    return deps


def kernel_package() -> str:   # always the host's (bookworm's) Linux 6.1
    """The versioned kernel package linux-image-amd64 points at, e.g. linux-image-6.1.0-56-amd64."""
    for dep in _apt_depends([KERNEL_META]).get(KERNEL_META, []):
        if re.match(r"linux-image-\d", dep):
            return dep
    raise TestbedError(f"cannot resolve the kernel package behind {KERNEL_META}")


def _is_library(name: str) -> bool:
    # The library closure: shared-library packages and the xen tools themselves. Their
    # other dependencies (python3, debconf, udev, ...) are not needed to run xl.
    return name.startswith(("lib", "xen")) or name == "zlib1g" or bool(re.match(r"gcc-\d+-base$", name))


def userland_closure(roots: list[str], env: dict[str, str] | None = None) -> list[str]:
    seen: set[str] = set()
    level = list(roots)
    while level:   # breadth first: one apt-cache call per level
        seen.update(level)
        deps = _apt_depends(level, env)
        level = sorted({d for ds in deps.values() for d in ds if _is_library(d) and d not in seen})
    return sorted(seen)


def deb_file(debdir: Path, pkg: str) -> Path | None:
    hits = sorted(debdir.glob(f"{pkg}_*.deb"))
    return hits[-1] if hits else None


def resolve(cache: Path, rel: Release = release.get(release.DEFAULT)) -> dict[str, list[str]]:
    """{"xen": [...], "kernel": [...], "userland": [...]}, from packages.list when complete.
    cache: the release's own cache directory (Release.cache)."""
    listing = cache / "packages.list"
    debdir = cache / "debs"
    if listing.exists():
        groups: dict[str, list[str]] = {}
        for line in listing.read_text().splitlines():
            group, _, pkg = line.partition(" ")
            groups.setdefault(group, []).append(pkg)
        if all(deb_file(debdir, p) for ps in groups.values() for p in ps):
            return groups
    env = release.apt_env(rel, cache)
    kernel = kernel_package()
    groups = {"xen": [rel.xen_package], "kernel": [kernel],
              "userland": userland_closure(rel.userland_roots, env) + [BUSYBOX]}
    download(debdir, [kernel])   # the host's suite
    download(debdir, groups["xen"] + groups["userland"], env)
    listing.write_text("".join(f"{g} {p}\n" for g, ps in groups.items() for p in ps))
    return groups


def download(debdir: Path, pkgs: list[str], env: dict[str, str] | None = None) -> None:
    debdir.mkdir(parents=True, exist_ok=True)
    missing = [p for p in pkgs if not deb_file(debdir, p)]
    if not missing:
        return
    cmd = ["apt-get", "download", "-q"] + missing
    say(f"downloading {len(missing)} packages: {' '.join(cmd)}")
    res = subprocess.run(cmd, cwd=debdir, capture_output=True, text=True, check=False, env=env)
    still = [p for p in missing if not deb_file(debdir, p)]
    if res.returncode != 0 or still:
        noise = "Download is performed unsandboxed"
        detail = "\n".join(l for l in (res.stdout + res.stderr).splitlines() if noise not in l)
        raise TestbedError(f"apt-get download failed for {' '.join(still) or '?'}:\n{detail[-2000:]}")
