"""`make testbed-selftest`: the harness judged by itself. Runs the scenarios in
tools/testbed/selftest/ (which misbehave on purpose: no result line, two lines, a
timeout, a leftover domain, a dom0 kernel panic, ...) and checks each result line
against selftest/expected.txt."""

import re
from pathlib import Path

from . import e2e
from .paths import Paths
from .results import Results
from .ui import out


def run(paths: Paths, kernel: Path, dom0_tool: Path | None, echo_serial: bool) -> int:
    src = paths.testbed_src / "selftest"
    expected = []
    for line in (src / "expected.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, regex = line.split(None, 1)
            expected.append((name, re.compile(regex)))
    results = Results()
    e2e.run(paths, kernel, dom0_tool, [n for n, _ in expected], echo_serial, src, results)
    wrong = [(n, results.lines.get(n, "(no result line)")) for n, rx in expected
             if not rx.search(results.lines.get(n, ""))]
    out("")
    for name, got in wrong:
        out(f"selftest: {name}: unexpected result: {got}")
    out(f"selftest: {len(expected) - len(wrong)} of {len(expected)} scenarios judged as expected")
    return 1 if wrong else 0
