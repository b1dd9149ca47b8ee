#!/usr/bin/env python3
"""The kernel's module graph, and the layering rules it must keep.

Reads src/**/*.rs as text and collects, per module, the modules it names through
`crate::a::b`, `super::x` and `use` groups (`use crate::{a, b::c}`,
`use super::{x, y}`). A module is a file: src/xen/wait.rs is `xen::wait`,
src/xen/mod.rs is `xen`. A reference is kept at the granularity of the modules
that exist (`crate::xen::evtchn::send` -> `xen::evtchn`).

Rules (docs/architecture.md, "Layers"):
  1. Dependencies point down: boot/ -> arch -> xen -> the application. No module
     of `arch` names anything outside `arch` (but the console's port writers,
     which sit beside it); no module of `xen` names `app`, `selftest`,
     `watchdog`, `platform` or `fatal` (policy lives above the Xen layer).
  2. No cycles: neither between top-level modules nor between the modules of
     one directory (e.g. `xen::events` <-> `xen::evtchn`).

The dom0 tool (tools/xenbell-dom0/src) is checked for cycles only.

`python3 tools/layers/layers.py` prints the violations and exits 1 if there
is any; `--graph` prints every edge. Its unit tests:
tools/layers/test_layers.py (run by `make check`).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

UPWARD = {
    "arch": {"xen", "app", "selftest", "watchdog", "platform", "fatal", "logger", "time", "heap", "boot_info"},
    "xen": {"app", "selftest", "watchdog", "platform", "fatal"},
}


def module_of(path: Path, src: Path) -> str:
    rel = path.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] in ("mod", "main", "lib"):
        parts.pop()
    return "::".join(parts)


_COMMENT = re.compile(r"//[^\n]*")
_PATH = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
_GROUP = re.compile(r"\buse\s+(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*)\};", re.S)


_TESTS = re.compile(r"#\[cfg\(test\)\]\s*mod tests\b.*", re.S)


def references(text: str, module: str, modules: set[str]) -> set[str]:
    """Modules named by `text`, the source of `module` (its unit tests, the
    `#[cfg(test)] mod tests` at the end of a file, left out: a test may use
    any module)."""
    text = _COMMENT.sub("", text)
    text = _TESTS.sub("", text)
    found: set[str] = set()

    def resolve(root: str, tail: list[str]) -> None:
        if root == "crate":
            base: list[str] = []
        else:  # super: the parent of this module (a mod.rs's parent is one up)
            base = module.split("::")[:-1] if module else []
        parts = base + tail
        # the longest prefix that is a module
        for n in range(len(parts), 0, -1):
            name = "::".join(parts[:n])
            if name in modules:
                if name != module:
                    found.add(name)
                return

    for m in _GROUP.finditer(text):
        root, head = m.group(1), [p for p in m.group(2).split("::") if p]
        for item in m.group(3).split(","):
            item = item.strip().split(" as ")[0].strip()
            if not item or item == "self":
                resolve(root, head)
                continue
            item = item.split("::{")[0]
            resolve(root, head + [p for p in item.split("::") if p and p != "*"])
    for m in _PATH.finditer(text):
        resolve(m.group(1), [p for p in m.group(2).split("::") if p])
    return found


def graph(src: Path) -> dict[str, set[str]]:
    files = sorted(p for p in src.rglob("*.rs"))
    modules = {module_of(p, src) for p in files}
    return {module_of(p, src): references(p.read_text(), module_of(p, src), modules) for p in files}


def top(module: str) -> str:
    return module.split("::")[0]


def violations(g: dict[str, set[str]], upward: dict[str, set[str]] | None = None) -> list[str]:
    """Upward references (by `upward`, default: the kernel's [`UPWARD`]) and cycles."""
    upward = UPWARD if upward is None else upward
    out = []
    for mod, refs in sorted(g.items()):
        banned = upward.get(top(mod), set())
        for r in sorted(refs):
            if top(r) in banned:
                out.append(f"{mod}: names {r}, a layer above it")
    # cycles between top-level modules, and between siblings of one directory
    levels: dict[str, dict[str, set[str]]] = {}
    for mod, refs in g.items():
        for r in refs:
            a, b = mod.split("::"), r.split("::")
            if a[0] != b[0]:
                levels.setdefault("", {}).setdefault(a[0], set()).add(b[0])
            elif len(a) >= 2 and len(b) >= 2 and a[:-1] == b[:-1]:
                parent = "::".join(a[:-1])
                levels.setdefault(parent, {}).setdefault(a[-1], set()).add(b[-1])
    for parent, edges in sorted(levels.items()):
        for cycle in cycles(edges):
            where = f"in {parent}" if parent else "between top-level modules"
            out.append(f"cycle {where}: {' -> '.join(cycle + [cycle[0]])}")
    return out


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One representative cycle per strongly connected component (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    comps: list[list[str]] = []
    nodes = sorted(set(edges) | {v for vs in edges.values() for v in vs})

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    for v in nodes:
        if v not in index:
            visit(v)
    return comps


# (name, source root, upward rules): the kernel has layers; the dom0 tool
# (a flat library of commands over devices) must at least have no cycles.
TREES = [("kernel", "src", UPWARD), ("dom0 tool", "tools/xenbell-dom0/src", {})]


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parents[2]
    total = 0
    for name, src, upward in TREES:
        g = graph(root / src)
        if "--graph" in argv:
            for mod, refs in sorted(g.items()):
                print(f"{name}: {mod or '(root)'} -> {', '.join(sorted(refs))}")
        bad = violations(g, upward)
        for line in bad:
            print(f"layers: {name}: {line}")
        print(f"layers: {name}: {len(g)} modules, {sum(map(len, g.values()))} edges, {len(bad)} violations")
        total += len(bad)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
