#!/usr/bin/env python3
"""Host-side runner of the xenbell test bed (Python 3 standard library only).

    runner.py fetch                                  download/unpack the Debian packages
    runner.py e2e [--scenario NAME]...               the scenarios; PASS/FAIL lines
    runner.py testbed --script FILE [--files F...]   run FILE as root in dom0
    runner.py run                                    the demo: xenbell under Xen, live
    runner.py selftest                               the harness's own failure handling
    runner.py boot-pvh-dom0 --log F --until RE ...   Xen with a PVH kernel as dom0 (for
                                                     scenarios that need their own boot)
Normally called through make (tools/testbed/testbed.mk). See tools/testbed/README.md.
"""

import argparse
import sys
from pathlib import Path

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tb import assets, demo, e2e, pvhboot, release, script, selftest  # noqa: E402
from tb.paths import Paths  # noqa: E402
from tb.workdirs import command_lock  # noqa: E402
from tb.ui import run_cli  # noqa: E402


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="runner.py", description=__doc__.split("\n")[0])
    p.add_argument("--kernel", type=Path,
                   help="the xenbell kernel image (default target/xenbell.elf)")
    p.add_argument("--dom0-tool",
                   help="the dom0 tool, put into dom0 if it exists (default target/xenbell-dom0)")
    p.add_argument("--xen", default=release.DEFAULT, choices=sorted(release.RELEASES),
                   help="the Xen release to boot (default %(default)s; see tb/release.py)")
    p.add_argument("--verbose", "-v", action="store_true",
                   help="also print every serial line (prefixed 'serial|')")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("fetch", help="download and unpack the Debian packages, pack the base initramfs")
    pe = sub.add_parser("e2e", help="run test-bed scenarios")
    pe.add_argument("--scenario", action="append", default=[],
                    help="scenario name (repeatable, or space/comma separated); default all")
    pt = sub.add_parser("testbed", help="run a script as root in dom0")
    pt.add_argument("--script", required=True, type=Path)
    pt.add_argument("--files", nargs="*", default=[], type=Path)
    pt.add_argument("--timeout", type=int, default=600, help="seconds (default %(default)s)")
    pt.add_argument("--pcpus", type=int, default=1,
                    help="Xen's physical CPUs (QEMU -smp), 1..4 (default %(default)s)")
    sub.add_parser("selftest", help="check the harness's own judgement (selftest/)")
    pr = sub.add_parser("run", help="the demo")
    pr.add_argument("--rounds", type=int, default=1000)
    pb = sub.add_parser("boot-pvh-dom0", help="boot Xen with the kernel as PVH dom0")
    pb.add_argument("--cmdline", default="", help="the kernel's command line")
    pb.add_argument("--log", required=True, type=Path, help="timestamped serial log")
    pb.add_argument("--until", required=True, help="regex: stop QEMU once a line matches")
    pb.add_argument("--timeout", type=int, default=60)
    pb.add_argument("--xen-args", default="", help="extra Xen command-line arguments")
    a = p.parse_args(argv)

    paths = Paths(xen=a.xen)
    a.kernel = a.kernel or paths.root / "target" / "xenbell.elf"
    if a.dom0_tool is None:
        a.dom0_tool = paths.root / "target" / "xenbell-dom0"
    else:
        a.dom0_tool = Path(a.dom0_tool) if a.dom0_tool else None   # "": no dom0 tool
    if a.cmd == "fetch":
        assets.prepare(paths)
        return 0
    if a.cmd in ("e2e", "testbed", "run", "selftest"):
        with command_lock(paths):
            if a.cmd == "selftest":
                return selftest.run(paths, a.kernel, a.dom0_tool, a.verbose)
            if a.cmd == "e2e":
                names = [n for s in a.scenario for n in s.replace(",", " ").split()]
                return e2e.run(paths, a.kernel, a.dom0_tool, names, a.verbose)
            if a.cmd == "testbed":
                return script.run(paths, a.kernel, a.dom0_tool, a.script, a.files, a.timeout,
                                  a.verbose, a.pcpus)
            return demo.run(paths, a.kernel, a.dom0_tool, a.rounds, a.verbose)
    if a.cmd == "boot-pvh-dom0":
        return pvhboot.run(paths, a.kernel, a.cmdline, a.log, a.until, a.timeout, a.xen_args,
                           a.verbose)
    return 2


if __name__ == "__main__":
    run_cli(main, sys.argv[1:])
