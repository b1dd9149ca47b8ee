"""`runner.py boot-pvh-dom0`: Xen boots a PVH kernel directly as dom0 (no Linux).

Stops QEMU when a line matches --until (exit 0), when a fatal line appears (exit 1, after
collecting the rest of the message), or when QEMU exits or the timeout passes (exit 2).
The timestamped serial log is the evidence; scenarios judge it.
"""

import re
import time
from pathlib import Path

from . import assets as assets_mod
from . import boot
from .paths import Paths
from .qemu import Qemu, Timeout
from .ui import TestbedError, say


def run(paths: Paths, kernel: Path, cmdline: str, log: Path, until: str, timeout: int,
        xen_extra: str, echo_serial: bool) -> int:
    if not kernel.is_file():
        raise TestbedError(f"kernel image {kernel} not found")
    xen = assets_mod.prepare(paths)["xen"]
    done = re.compile(until)
    argv = boot.pvh_dom0(xen, kernel.resolve(), cmdline, xen_extra)
    with Qemu(argv, log, log.with_suffix(".pid"), echo_serial) as q:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = q.next_line(deadline)
            except Timeout:
                say(f"no line matching {until!r} within {timeout} s")
                return 2
            if line is None:
                say(f"QEMU exited (status {q.proc.wait()}) before a line matched {until!r}")
                return 2
            if done.search(line.text):
                say(f"+{line.t:.1f} s: {line.text.strip()}")
                q.drain(quiet=0.5, cap=3)
                return 0
            if boot.FATAL.search(line.text):
                say(f"+{line.t:.1f} s: fatal: {line.text.strip()}")
                q.drain()
                return 1
