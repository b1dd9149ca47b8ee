"""`make e2e [SCENARIO=name]`: run test-bed scenarios, one PASS/FAIL line each.

"dom0" scenarios share one boot of Xen + Linux dom0 (job-e2e.sh runs them in order and
judges them in dom0), one boot per number of physical CPUs they need (`# pcpus: N`, QEMU
-smp N; run "e2e" for 1, "e2e-<N>cpu" otherwise); "own-boot" scenarios run on the host
one by one (host_scenario.py).
A scenario that never reports (dom0 crashed, QEMU hung, ...) is reported FAIL here.

One retry, for the test bed only: when the shared boot went silent before every dom0
scenario reported (no word from dom0 until the host's timeout), the scenarios that did not
report are run once more in a fresh boot, and the first attempt is named in the output. A
scenario's own FAIL verdict is final, never retried; so is a dom0 panic or a QEMU exit. Why:
QEMU TCG can lose the wake-up of a halted CPU with Xen's timer interrupt pending, which
stops every timer of the machine for good (qemu.py). The runner's key presses during
silences cure that; this retry is the second line of defence. The serial log of the first
boot is kept as e2e.log (with CPU samples at its end), the retry's as e2e-retry.log.
"""

import time
from pathlib import Path

from . import assets as assets_mod
from . import host_scenario, scenarios
from .initramfs import Overlay
from .paths import Paths
from .results import Results
from .session import Dom0Session
from .ui import TestbedError, say
from .workdirs import fresh_logs

SLACK = 30          # s on top of a scenario's timeout before the host gives up on dom0
BETWEEN = 60        # s allowed between one scenario's end and the next start / copy-out
COPY_OUT = 120      # s for the copy-out


def run(paths: Paths, kernel: Path, dom0_tool: Path | None, names: list[str],
        echo_serial: bool, src: Path | None = None, results: Results | None = None) -> int:
    """src: the scenario directory (default tools/testbed/scenarios)."""
    chosen = scenarios.select(scenarios.discover(src or paths.scenarios_src), names, paths.xen)
    if not chosen:
        raise TestbedError(f"no scenario for Xen {paths.xen} (none has '# compat: {paths.xen}')")
    logs = fresh_logs(paths)
    results = results or Results()
    say(f"scenarios: {' '.join(s.name for s in chosen)}")
    in_dom0 = [s for s in chosen if s.where == "dom0"]
    for pcpus in sorted({s.pcpus for s in in_dom0}):
        group = [s for s in in_dom0 if s.pcpus == pcpus]
        run_name = "e2e" if pcpus == 1 else f"e2e-{pcpus}cpu"
        if pcpus > 1:
            say(f"{len(group)} scenarios on Xen with {pcpus} physical CPUs (QEMU -smp {pcpus}): "
                f"{' '.join(s.name for s in group)}")
        try:
            unfinished, why = _run_in_dom0(paths, kernel, dom0_tool, group, logs, results,
                                           echo_serial, src, run_name, retry=True, pcpus=pcpus)
            if unfinished:
                names = " ".join(sc.name for sc in unfinished)
                say(f"the test bed stopped before these scenarios reported ({why}); "
                    f"running them once more in a fresh boot: {names}")
                say(f"  (the first boot's serial log, CPU samples at its end: {paths.serial_log(run_name)})")
                _run_in_dom0(paths, kernel, dom0_tool, unfinished, logs, results, echo_serial,
                             src, f"{run_name}-retry", retry=False, pcpus=pcpus)
        except TestbedError as e:
            for s in group:
                if not results.reported(s.name):
                    results.report(s.name, f"test bed error: {e}")
    for s in chosen:
        if s.where == "own-boot":
            say(f"scenario {s.name} (own boot, timeout {s.timeout} s)")
            t0 = time.monotonic()
            reason, tail = host_scenario.run(paths, s, kernel, logs / s.name)
            say(f"{s.name}: finished in {time.monotonic() - t0:.1f} s")
            results.report(s.name, reason, tail)
    return results.close()


def _run_in_dom0(paths, kernel, dom0_tool, chosen, logs, results: Results, echo_serial,
                 src: Path | None, run: str, retry: bool, pcpus: int = 1):
    """Runs `chosen` in one boot. With `retry`, scenarios that never reported because the
    test bed stopped are returned (with why it stopped) instead of reported as FAIL."""
    overlay = Overlay(paths, kernel, dom0_tool, src)
    overlay.env = {"TB_JOB": "e2e", "TB_SCENARIOS": " ".join(s.name for s in chosen)}
    assets = assets_mod.prepare(paths)
    timeouts = {s.name: s.timeout for s in chosen}
    failing: dict[str, tuple[str, list[str]]] = {}   # FAIL results waiting for their T-END
    begun: dict[str, float] = {}
    fatal = None
    with Dom0Session(paths, assets, run, overlay, logs, echo_serial, pcpus) as s:
        for line, m in s.events():
            if m is None:
                continue
            if m.kind == "READY":
                s.expect(BETWEEN, "the first scenario to begin")
            elif m.kind == "BEGIN":
                name = m.words(2)[0]
                begun[name] = line.t
                say(f"scenario {name} (timeout {timeouts.get(name, '?')} s)")
                s.expect(timeouts.get(name, scenarios.DEFAULT_TIMEOUT) + SLACK, f"{name} to finish")
            elif m.kind == "RESULT":
                name, verdict, reason = m.words(3)
                say(f"{name}: finished in {line.t - begun.get(name, line.t):.1f} s")
                if verdict == "PASS":
                    results.report(name, None)
                else:
                    failing[name] = (reason or "(no reason given)", [])
                s.expect(BETWEEN, "the next scenario or the copy-out")
            elif m.kind == "T":
                for pending in failing.values():
                    pending[1].append(m.args)
            elif m.kind == "T-END":
                name = m.args.strip()
                if name in failing:
                    results.report(name, *failing.pop(name))
            elif m.kind == "FATAL":
                fatal = f"dom0 bring-up failed: {m.args}"
            elif m.kind == "PHASE" and m.args.startswith("copy-out"):
                s.expect(COPY_OUT, "the copy-out")
    for name, (reason, tail) in failing.items():
        results.report(name, reason, tail)
    _fallback_results(logs, chosen, results)
    why = fatal or (s.end if s.end != "done" else "dom0 sent no result")
    if retry and s.end.startswith("timeout"):
        unfinished = [sc for sc in chosen if not results.reported(sc.name)]
        if unfinished:
            return unfinished, why
    running = [n for n in begun if not results.reported(n)]
    for name in running:   # the one that was running when the test bed stopped
        results.report(name, f"never reported (the test bed stopped: {why})",
                       [f"--- serial log {s.qemu.log_path} (last lines) ---"]
                       + (s.fatal_lines or s.serial_tail())[-20:])
    tail = [] if running else ([f"--- serial log {s.qemu.log_path} (last lines) ---"]
                               + (s.fatal_lines or s.serial_tail())[-20:])
    for sc in chosen:
        where = f" while {running[0]} ran" if running else ""
        if not results.reported(sc.name):
            results.report(sc.name, f"never ran (the test bed stopped{where}: {why})", tail)
            tail = []   # the serial tail once is enough
    return [], why


def _fallback_results(logs: Path, chosen, results: Results) -> None:
    """Results whose live marker line was garbled on the console but which arrived in the
    (checksummed) copy-out as results.txt."""
    f = logs / "results.txt"
    if not f.exists():
        return
    wanted = {s.name for s in chosen}
    for line in f.read_text().splitlines():
        verdict, _, rest = line.partition(" ")
        name, _, reason = rest.partition(": ")
        if name in wanted and not results.reported(name):
            out_file = logs / name / "output.txt"
            tail = out_file.read_text().splitlines()[-20:] if out_file.exists() else []
            results.report(name, None if verdict == "PASS" else reason, tail)
