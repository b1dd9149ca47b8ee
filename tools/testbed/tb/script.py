"""`make testbed DOM0_SCRIPT=file [DOM0_FILES="a b"] [PCPUS=n]`: run a script as root in dom0,
under a Xen with `pcpus` physical CPUs (QEMU -smp; default 1; dom0 keeps one vCPU).

Exit status: the script's; 124 if it timed out; 125 if the test bed itself failed
(boot, crash, no answer), with the reason and the serial log's tail printed.
"""

from pathlib import Path

from . import assets as assets_mod
from .initramfs import Overlay
from .paths import Paths
from .session import Dom0Session
from .ui import TestbedError, out, say
from .workdirs import fresh_logs

SLACK = 90  # s beyond the script's own timeout: dom0's watchdog, copy-out, poweroff


def run_name(pcpus: int = 1) -> str:
    """The run's name (target/testbed/<name>.serial.log, its work directory)."""
    return "testbed" if pcpus == 1 else f"testbed-{pcpus}cpu"


def run(paths: Paths, kernel: Path, dom0_tool: Path | None, script: Path, files: list[Path],
        timeout: int, echo_serial: bool, pcpus: int = 1) -> int:
    if not 1 <= pcpus <= 4:
        raise TestbedError(f"pcpus {pcpus}: the test bed boots Xen with 1..4 physical CPUs")
    if not script.is_file():
        raise TestbedError(f"DOM0_SCRIPT {script} not found")
    assets = assets_mod.prepare(paths)
    overlay = Overlay(paths, kernel, dom0_tool)
    overlay.add_extra(files)
    overlay.job_files[script.name] = script
    overlay.env = {"TB_JOB": "script", "TB_SCRIPT": script.name, "TB_TIMEOUT": str(timeout)}
    logs = fresh_logs(paths)
    status = timed_out = None
    if pcpus > 1:
        say(f"Xen with {pcpus} physical CPUs (QEMU -smp {pcpus})")
    with Dom0Session(paths, assets, run_name(pcpus), overlay, logs, echo_serial, pcpus) as s:
        for _line, m in s.events():
            if m is None:
                continue
            if m.kind == "READY":
                s.expect(SLACK, "the script to begin")
            elif m.kind == "BEGIN":
                say(f"running {script} in dom0 (as /xenbell/job/{script.name}, timeout {timeout} s)")
                out("-" * 20 + " output of the script " + "-" * 20)
                s.expect(timeout + SLACK, "the script to finish")
            elif m.kind == "O":
                out(m.args)
            elif m.kind == "SCRIPT-EXIT":
                rc, to = m.words(2)
                status, timed_out = int(rc), to == "1"
                out("-" * 62)
    if status is None:
        out(f"testbed: the script did not finish: {s.end}")
        for line in s.fatal_lines or s.serial_tail():
            out(f"    {line}")
        out(f"full serial log: {s.qemu.log_path}")
        return 125
    if s.copied:
        say(f"guest console logs and outputs: {logs}")
    if timed_out:
        say(f"DOM0_SCRIPT timed out after {timeout} s")
        return 124
    say(f"DOM0_SCRIPT exited with status {status}")
    return status
