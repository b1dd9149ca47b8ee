"""Check that every dynamically linked program in the dom0 tree finds its libraries there."""

import subprocess
from pathlib import Path

BIN_DIRS = ["bin", "sbin", "usr/bin", "usr/sbin", "{tools}/bin"]
LIB_DIRS = ["lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib", "usr/lib",
            "{tools}/lib", "lib64", "usr/lib64"]


def _needed(path: Path) -> list[str] | None:
    """DT_NEEDED entries, or None when path is not a dynamic ELF."""
    with open(path, "rb") as f:
        if f.read(4) != b"\x7fELF":
            return None
    res = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True, check=False)
    return [line.split("[", 1)[1].split("]", 1)[0]
            for line in res.stdout.splitlines() if "(NEEDED)" in line]


def _find(root: Path, soname: str, tools: str) -> Path | None:
    for d in LIB_DIRS:
        p = root / d.format(tools=tools) / soname
        if p.exists() or p.is_symlink():
            return p
    return None


def _resolve_in(root: Path, path: Path) -> Path | None:
    """Follow symlinks as if root were /; None for a dangling link."""
    for _ in range(16):
        if not path.is_symlink():
            return path if path.exists() else None
        target = path.readlink()
        path = root / str(target).lstrip("/") if target.is_absolute() else path.parent / target
    return None


def missing_libraries(root: Path, tools: str = "usr/lib/xen-4.17") -> list[str]:
    """["<program>: <soname>", ...] for every library that cannot be found in root.
    tools: the Xen tools' directory (Release.tools_dir)."""
    missing, checked = [], set()
    dirs = [root / d.format(tools=tools) for d in BIN_DIRS]
    todo = [p for d in dirs if d.is_dir() for p in sorted(d.iterdir())
            if p.is_file() and not p.is_symlink()]
    while todo:
        path = todo.pop()
        if path in checked:
            continue
        checked.add(path)
        for soname in _needed(path) or []:
            lib = _find(root, soname, tools)
            if lib is None:
                missing.append(f"{path.relative_to(root)}: {soname}")
            else:
                real = _resolve_in(root, lib)
                if real is not None:
                    todo.append(real)
    return missing


def library_closure(root: Path, program: Path, tools: str = "usr/lib/xen-4.17") -> list[tuple[Path, Path]]:
    """Every library `program` (a file in root) loads, transitively, as (path in root as the
    loader would name it, the real file behind it). Raises FileNotFoundError naming the first
    library that root lacks."""
    found: dict[Path, Path] = {}
    todo, seen = [program], set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for soname in _needed(path) or []:
            lib = _find(root, soname, tools)
            real = _resolve_in(root, lib) if lib is not None else None
            if lib is None or real is None:
                raise FileNotFoundError(f"{program.relative_to(root)}: {soname} not found under {root}")
            found[lib] = real
            todo.append(real)
    return sorted(found.items())
