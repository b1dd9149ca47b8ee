"""Scenario files, tools/testbed/scenarios/<name>.sh, and how a result is judged.

Header lines (comments near the top of the file):
    # testbed: dom0       runs in the shared Linux-dom0 boot (default), via job-e2e.sh
    # testbed: own-boot   runs on the host with bash (it boots what it needs itself)
    # timeout: <seconds>  default 60
    # on-request: yes     long runs (the soak): left out of `make e2e`/`make test`, run
                          only when named (`make e2e SCENARIO=name`, `make soak`)
    # compat: 4.20        also in the compatibility set of these other Xen releases
                          (`make e2e XEN=4.20` runs that set; every scenario runs on 4.17)
    # pcpus: 2            needs Xen with that many physical CPUs (QEMU -smp N): the dom0
                          scenarios with the same pcpus share one boot (default 1)
A scenario prints exactly one line "PASS <name>" or "FAIL <name>: <reason>" (then, on
FAIL, the log tail that explains it) and exits 0 only on PASS. Anything else is a FAIL:
no line, two lines, PASS with a non-zero exit, a timeout. (job-e2e.sh applies the same
rules in dom0.)
"""

import re
from dataclasses import dataclass
from pathlib import Path

from .release import DEFAULT as DEFAULT_XEN
from .ui import TestbedError

DEFAULT_TIMEOUT = 60


@dataclass
class Scenario:
    name: str
    path: Path
    where: str      # "dom0" or "own-boot"
    timeout: int
    on_request: bool = False
    compat: tuple[str, ...] = ()    # other Xen releases whose compatibility set has it
    pcpus: int = 1                  # physical CPUs of the Xen it runs under (QEMU -smp)


def _header(text: str, key: str) -> str | None:
    m = re.search(rf"^#\s*{key}:\s*(\S+)", text, re.M)
    return m.group(1) if m else None


def discover(src: Path) -> list[Scenario]:
    found = []
    for path in sorted(src.glob("*.sh")):
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", path.stem):
            raise TestbedError(f"{path}: a scenario name may use letters, digits, '.', '_', '-'")
        text = path.read_text()
        where = _header(text, "testbed") or "dom0"
        if where not in ("dom0", "own-boot"):
            raise TestbedError(f"{path}: '# testbed: {where}' is neither dom0 nor own-boot")
        timeout = _header(text, "timeout")
        m = re.search(r"^#\s*compat:(.*)$", text, re.M)
        pcpus = _header(text, "pcpus") or "1"
        if not pcpus.isdigit() or not 1 <= int(pcpus) <= 4:
            raise TestbedError(f"{path}: '# pcpus: {pcpus}' is not a number of CPUs, 1..4")
        found.append(Scenario(path.stem, path, where,
                              int(timeout) if timeout and timeout.isdigit() else DEFAULT_TIMEOUT,
                              (_header(text, "on-request") or "no") == "yes",
                              tuple(m.group(1).split()) if m else (), int(pcpus)))
    return found


def select(found: list[Scenario], names: list[str], xen: str = DEFAULT_XEN) -> list[Scenario]:
    """The named scenarios, or by default: on the default Xen release every one but the
    on-request ones, on another release its compatibility set (`# compat: <xen>`)."""
    if not names:
        return [s for s in found if not s.on_request and (xen == DEFAULT_XEN or xen in s.compat)]
    by_name = {s.name: s for s in found}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise TestbedError(f"no scenario {', '.join(unknown)} (have: {', '.join(by_name)})")
    return [by_name[n] for n in names]


def judge(name: str, output: list[str], rc: int, timed_out: bool, timeout: int) -> tuple[str | None, list[str]]:
    """(None, []) for PASS, else (reason, tail)."""
    pat = re.compile(rf"^(PASS|FAIL) {re.escape(name)}(: .*)?$")
    hits = [i for i, l in enumerate(output) if pat.match(l)]
    generic_tail = ["--- scenario output (last 20 lines) ---"] + output[-20:]
    if timed_out:
        return f"timed out after {timeout} s", generic_tail
    if not hits:
        return f"printed no PASS/FAIL line (exit status {rc})", generic_tail
    if len(hits) > 1:
        return f"printed {len(hits)} PASS/FAIL lines", generic_tail
    line = output[hits[0]]
    if line.startswith("FAIL"):
        return line[len(f"FAIL {name}: "):], output[hits[0] + 1:][:80]
    if rc != 0:
        return f"printed PASS but exited with status {rc}", generic_tail
    return None, []
