#!/usr/bin/env python3
"""make bench: xenbell against a Linux PVH guest (round trip, boot), its footprint
(image size, smallest memory=) and the event decoder's cost on the host.
Writes target/bench/report.json, report.md and the SVG pictures beside them.

    bench.py [--quick] [--skip-decoder] [--skip-testbed] [--only PHASES] [--rounds N]
             [--alt-kernel ELF] [--verbose]

Steps (each prints one progress line):
  1. build bench-probe (tools/bench/probe, static, like the dom0 tool)
  2. decoder: `cargo bench -p decoder-bench` (criterion), results from target/criterion/
  3. test bed: the Linux guests' initramfs (guest_initramfs.py: the ping guest's and the vchan
     guest's), then ONE boot of the test bed (tools/testbed: the `testbed` job, run in-process)
     with dom0/bench.sh, every phase but smp; its files are copied to target/bench/raw/ while
     the test bed's lock is still held
  3b. smp: a second boot, Xen on 2 physical CPUs (QEMU -smp 2: with one, a guest's vCPUs
     only take turns), running dom0/bench.sh with PHASES=smp; its files go to
     target/bench/raw/smp/ and its results.jsonl lines are appended to raw/bench/results.jsonl
  4. footprint: `strip -o` a copy of target/xenbell.elf
  5. report (report.py, svg.py)
--skip-testbed / --skip-decoder reuse the last run's target/bench/raw/ or criterion results.
--only "exits vchan": run only these phases of dom0/bench.sh (boot rtt exits idle variants memory
scale density vchan ports smp, always in that order; the report shows what they measured, lists the
rest as missing and bench.py exits 1; vchan alone takes about 1.5 min; smp alone skips the main
boot); --rounds N: rounds per ping batch
(also the traced exits batch), instead of 1000 (200 with --quick); --alt-kernel ELF: the exits
phase also traces that kernel (`xenbell-alt`) and pings it and target/xenbell.elf in BATCHES
alternating batches (`xenbell-cur`, `xenbell-alt`): an A/B of a kernel change inside one boot.
--quick: fewer runs (1 boot each, 2 batches of 200 rounds, memory= 32, 2, 1, 0, 8 s idle windows,
1-4 guests at once, 12 guests for density, 2 vchan batches of 256 KiB and 200 round trips,
5 rounds per port in ports, 2 smp batches of 300 rounds), for trying it out.
Python 3 standard library only. Called by tools/bench/bench.mk; see README.md ("Benchmarks").
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.dont_write_bytecode = True
BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parent / "testbed"))

import guest_initramfs  # noqa: E402
import report  # noqa: E402
from tb import assets as tb_assets  # noqa: E402
from tb import script as tb_script  # noqa: E402
from tb.paths import Paths  # noqa: E402
from tb.ui import TestbedError, err, run_cli, say  # noqa: E402
from tb.workdirs import command_lock  # noqa: E402

PARAMS = {"BOOTS": 3, "BATCHES": 5, "ROUNDS": 1000, "SAMPLE_BATCHES": 5, "VBATCHES": 3,
          "MEMS": "32 16 8 6 4 2 1 0", "IDLE_S": 30, "SCALE": "1 2 4 8 16", "SCALE_ROUNDS": 300,
          "DENSITY": 100, "DENSITY_LINUX": 4, "DENSITY_IDLE_S": 10,
          "VCHAN_BATCHES": 3, "VCHAN_BYTES": 1048576, "VCHAN_ROUNDS": 1000,
          "PORTS_2L": "1 8 64 512 4092", "PORTS_FIFO": "1 8 64 512 4096 16000", "PORTS_ROUNDS": 20,
          "SMP_VCPUS": "1 2 4", "SMP_PORTS": 8, "SMP_BATCHES": 3, "SMP_ROUNDS": 1000}
QUICK = {"BOOTS": 1, "BATCHES": 2, "ROUNDS": 200, "SAMPLE_BATCHES": 1, "VBATCHES": 1,
         "MEMS": "32 2 1 0", "IDLE_S": 8, "SCALE": "1 2 4", "SCALE_ROUNDS": 100,
         "DENSITY": 12, "DENSITY_LINUX": 1, "DENSITY_IDLE_S": 5,
         "VCHAN_BATCHES": 2, "VCHAN_BYTES": 262144, "VCHAN_ROUNDS": 200,
         "PORTS_2L": "1 8 64 512 4092", "PORTS_FIFO": "1 8 64 512 4096 16000", "PORTS_ROUNDS": 5,
         "SMP_VCPUS": "1 2 4", "SMP_PORTS": 8, "SMP_BATCHES": 2, "SMP_ROUNDS": 300}
PHASES = "boot rtt exits idle variants memory scale density vchan ports smp"   # dom0/bench.sh, in order
SMP_PHASES = {"smp"}     # run in a boot of their own, Xen on SMP_PCPUS physical CPUs
SMP_PCPUS = 2
TESTBED_TIMEOUT = 1500   # s for dom0/bench.sh
PROBE_REL = "target/dom0/x86_64-unknown-linux-gnu/release/bench-probe"


class LoadSampler(threading.Thread):
    """The host's 1-minute load average every 2 s, tagged with the step running. This
    machine has 2 cores, QEMU (TCG) keeps one busy; anything else running at the same time
    (another session's build or fuzzer) slows the emulated machine, and with it every
    absolute time. Ratios from alternating batches are what survives that."""

    def __init__(self):
        super().__init__(daemon=True)
        self.step = "start"
        self.samples: dict[str, list[float]] = {}
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(2.0):
            self.samples.setdefault(self.step, []).append(os.getloadavg()[0])

    def stop(self) -> dict:
        self._halt.set()
        return {k: {"max": max(v), "mean": round(sum(v) / len(v), 2), "n": len(v)}
                for k, v in self.samples.items() if v}


def run(cmd: list[str], env: dict | None = None) -> None:
    print("+ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, env={**os.environ, **(env or {})})


def build_probe(root: Path, cargo: str) -> Path:
    run([cargo, "build", "--release", "-p", "bench-probe", "--target-dir", "target/dom0",
         "--target", "x86_64-unknown-linux-gnu"], {"RUSTFLAGS": "-C target-feature=+crt-static"})
    return root / PROBE_REL


def criterion_dir(root: Path) -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", root / "target")) / "criterion"


def run_decoder(root: Path, cargo: str) -> None:
    crit = criterion_dir(root)
    for n in report.DECODER_CASES:   # no stale numbers if the run fails half-way
        shutil.rmtree(crit / f"pending_{n}", ignore_errors=True)
    run([cargo, "bench", "-p", "decoder-bench", "--bench", "decoder"])
    run([cargo, "bench", "-p", "decoder-bench", "--bench", "fifo"])


def run_testbed(paths: Paths, out: Path, params: dict, probe: Path, verbose: bool,
                alt_kernel: Path | None = None, pcpus: int = 1, raw: Path | None = None) -> int:
    """One boot of the test bed running dom0/bench.sh with `params`, on a Xen with `pcpus`
    physical CPUs; its files into `raw` (default out/raw), replaced. Returns the script's status."""
    kernel = paths.root / "target" / "xenbell.elf"
    dom0_tool = paths.root / "target" / "xenbell-dom0"
    for f in (kernel, dom0_tool, probe):
        if not f.is_file():
            raise TestbedError(f"{f} not found (make kernel dom0)")
    assets = tb_assets.prepare(paths)
    work = out / "work"
    work.mkdir(parents=True, exist_ok=True)
    env = work / "bench.env"
    env.write_text("".join(f"{k}='{v}'\n" for k, v in params.items()))
    files = [probe, env]
    if set(params["PHASES"].split()) - SMP_PHASES:   # the Linux guests: not in the smp boot
        guest = guest_initramfs.build(paths, assets, dom0_tool, work / "bench-guest.cpio.gz")
        say(f"Linux guest initramfs {guest} ({guest.stat().st_size / 1e6:.1f} MB)")
        vguest = guest_initramfs.build(paths, assets, dom0_tool, work / "bench-guest-vchan.cpio.gz", vchan=True)
        say(f"Linux vchan guest initramfs {vguest} ({vguest.stat().st_size / 1e6:.1f} MB)")
        files = [paths.cache / "boot" / "vmlinuz", guest, vguest] + files
    files += [alt_kernel.resolve()] if alt_kernel else []
    raw = raw or out / "raw"
    with command_lock(paths):
        status = tb_script.run(paths, kernel, dom0_tool, BENCH_DIR / "dom0" / "bench.sh", files,
                               TESTBED_TIMEOUT, verbose, pcpus)
        # Still under the lock: the next test-bed command empties logs/.
        shutil.rmtree(raw, ignore_errors=True)
        if paths.logs.is_dir():
            shutil.copytree(paths.logs, raw)
        raw.mkdir(parents=True, exist_ok=True)
        serial = paths.serial_log(tb_script.run_name(pcpus))
        if serial.exists():
            shutil.copy2(serial, raw / "serial.log")
    (raw / "status.txt").write_text(f"{status}\n")
    return status


def run_testbeds(paths: Paths, out: Path, params: dict, probe: Path, verbose: bool,
                 alt_kernel: Path | None) -> int:
    """The main boot (every wanted phase but smp, 1 physical CPU), then, if smp is wanted, a
    boot on SMP_PCPUS physical CPUs whose files go to raw/smp/ and whose results are appended
    to raw/bench/results.jsonl (each line tagged "pcpus_boot"), the file report.py reads.
    Returns the first non-zero status of the two."""
    wanted = params["PHASES"].split()
    main_phases = [p for p in wanted if p not in SMP_PHASES]
    smp_phases = [p for p in wanted if p in SMP_PHASES]
    raw = out / "raw"
    statuses = []
    if main_phases:
        statuses.append(run_testbed(paths, out, {**params, "PHASES": " ".join(main_phases)}, probe,
                                    verbose, alt_kernel))
    else:
        shutil.rmtree(raw, ignore_errors=True)
        (raw / "bench").mkdir(parents=True)
    if smp_phases:
        say(f"bench: phases {' '.join(smp_phases)}: a second boot, Xen on {SMP_PCPUS} physical CPUs")
        smp_raw = out / "raw-smp"
        st = run_testbed(paths, out, {**params, "PHASES": " ".join(smp_phases)}, probe, verbose,
                         pcpus=SMP_PCPUS, raw=smp_raw)
        statuses.append(st)
        merge_raw(smp_raw, raw, SMP_PCPUS)
        (raw / "status.txt").write_text(" ".join(str(s) for s in statuses) + "\n")
    return next((s for s in statuses if s != 0), 0)


def merge_raw(src: Path, raw: Path, pcpus: int) -> None:
    """src (one boot's files) into raw/smp/, its results.jsonl lines appended to
    raw/bench/results.jsonl with "pcpus_boot" added (lines that are not JSON kept as they are)."""
    dst = raw / "smp"
    shutil.rmtree(dst, ignore_errors=True)
    shutil.move(str(src), str(dst))
    lines = []
    f = dst / "bench" / "results.jsonl"
    for line in (f.read_text().splitlines() if f.exists() else []):
        try:
            lines.append(json.dumps({**json.loads(line), "pcpus_boot": pcpus}))
        except (json.JSONDecodeError, TypeError):
            lines.append(line)
    (raw / "bench").mkdir(parents=True, exist_ok=True)
    with open(raw / "bench" / "results.jsonl", "a") as out:
        out.writelines(l + "\n" for l in lines)


def strip_image(root: Path, out: Path) -> Path:
    elf = root / "target" / "xenbell.elf"
    stripped = out / "xenbell.stripped.elf"
    run(["strip", "-o", str(stripped), str(elf)])
    return stripped


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="bench.py", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer runs, for trying it out")
    p.add_argument("--skip-decoder", action="store_true")
    p.add_argument("--skip-testbed", action="store_true")
    p.add_argument("--only", metavar="PHASES",
                   help=f'only these test-bed phases, e.g. "exits vchan" (default: all: {PHASES})')
    p.add_argument("--rounds", type=int, metavar="N", help="rounds per ping batch")
    p.add_argument("--alt-kernel", metavar="ELF", type=Path,
                   help="a second xenbell kernel, A/B against target/xenbell.elf in the exits phase")
    p.add_argument("--verbose", "-v", action="store_true", help="every serial line too")
    p.add_argument("--cargo", default=os.environ.get("CARGO", "cargo"))
    a = p.parse_args(argv)
    paths = Paths()
    root = paths.root
    out = root / "target" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    params = dict(QUICK if a.quick else PARAMS, PHASES=PHASES)
    if a.only:
        unknown = set(a.only.split()) - set(PHASES.split())
        if unknown:
            p.error(f"--only: no such phase {' '.join(sorted(unknown))} (phases: {PHASES})")
        params["PHASES"] = " ".join(p for p in PHASES.split() if p in a.only.split())
    if a.rounds:
        params["ROUNDS"] = a.rounds
    if a.alt_kernel:
        params["ALT_KERNEL"] = a.alt_kernel.name
    t0 = time.monotonic()
    timings = {}
    load = LoadSampler()
    load.start()

    def step(name, fn, *args):
        t = time.monotonic()
        load.step = name
        say(f"bench: {name}")
        r = fn(*args)
        timings[name] = round(time.monotonic() - t, 1)
        return r

    probe = step("build bench-probe", build_probe, root, a.cargo)
    if not a.skip_decoder:
        step("decoder (criterion)", run_decoder, root, a.cargo)
    status = None
    if not a.skip_testbed:
        status = step("test bed", run_testbeds, paths, out, params, probe, a.verbose, a.alt_kernel)
        if status != 0:
            err(f"the test-bed part exited with status {status}; the report shows what it got")
    stripped = step("footprint", strip_image, root, out)
    host_load = load.stop()
    rep = step("report", report.write, root, out, stripped, criterion_dir(root),
               {"wall_s": timings, "params": params, "quick": a.quick,
                "host_load_1min": host_load, "host_cpus": os.cpu_count()})
    say(f"bench: done in {time.monotonic() - t0:.0f} s: {out / 'report.json'}, {out / 'report.md'}")
    print(report.summary(rep), flush=True)
    return 0 if status in (None, 0) and rep.get("complete") else 1


if __name__ == "__main__":
    run_cli(main, sys.argv[1:])
