"""One boot of the test bed: Xen + Linux dom0 in QEMU, running one job, then powering off.

The caller iterates over the console (`for line, marker in session.events()`) and allows
time for each step of its job with `session.expect(seconds, what)`. The session prints a
progress line per boot phase, receives the copy-out (into logs_dir), and stops iterating
when dom0 is done, when a fatal line shows up (after collecting the rest of the panic),
when QEMU exits, or at the deadline; `session.end` then says which.
"""

import re
import shutil
import time
from pathlib import Path

from . import boot, initramfs, protocol
from .paths import Paths
from .qemu import Qemu, Timeout
from .ui import say

BOOT_TIMEOUT = 300   # QEMU start -> dom0 READY; measured 6-7 s here (2 shared cores)
POWEROFF_TIMEOUT = 30

PHASES = [  # (serial pattern, progress line); each shown once
    (re.compile(r"Xen version \S+"), "Xen is up"),
    (re.compile(r"Linux version \d"), "dom0 Linux is booting"),
]


class Dom0Session:
    def __init__(self, paths: Paths, assets: dict, run: str, overlay: initramfs.Overlay,
                 logs_dir: Path, echo_serial: bool = False, pcpus: int = 1):
        self.run_dir = paths.run_dir(run)
        self.xen = paths.xen
        if self.run_dir.exists():
            shutil.rmtree(self.run_dir)
        image = initramfs.build(assets, self.run_dir, overlay)
        say(f"dom0 initramfs {image} ({image.stat().st_size / 1e6:.1f} MB)")
        self.qemu = Qemu(boot.linux_dom0(assets["xen"], assets["kernel"], image, pcpus),
                         paths.serial_log(run), paths.out / f"{run}.pid", echo_serial)
        self.logs_dir = logs_dir
        self.files = protocol.FileReceiver()
        self.deadline = 0.0
        self.waiting_for = "dom0 to boot"
        self.ready_at: float | None = None
        self.done_status: int | None = None
        self.end = "not started"
        self.fatal_lines: list[str] = []
        self.copied: list[Path] = []

    def __enter__(self) -> "Dom0Session":
        say(f"booting Xen {self.xen} + Linux dom0 under QEMU (TCG)")
        self.qemu.start()
        self.expect(BOOT_TIMEOUT, "dom0 to boot (READY)")
        return self

    def expect(self, seconds: float, what: str) -> None:
        """Allow `seconds` from now for the next step, described as `what`."""
        self.deadline = time.monotonic() + seconds
        self.waiting_for = f"{what}, {seconds:.0f} s"

    def __exit__(self, *exc) -> None:
        self.qemu.stop()

    def events(self):
        """Yields (Line, Marker or None) until dom0 is done / fatal / exit / deadline."""
        phases = list(PHASES)
        while True:
            try:
                line = self.qemu.next_line(self.deadline)
            except Timeout:
                self.end = f"timeout: waited for {self.waiting_for}"
                return
            if line is None:
                self.end = f"QEMU exited (status {self.qemu.proc.wait()})"
                return
            marker = protocol.parse(line.text)
            if marker is None:
                for pat, what in phases:
                    if pat.search(line.text):
                        say(f"{what} (+{line.t:.1f} s)")
                        phases.remove((pat, what))
                        break
                if boot.FATAL.search(line.text):
                    self.end = f"fatal: {line.text.strip()}"
                    self.fatal_lines = [line.text] + [l.text for l in self.qemu.drain()]
                    return
                yield line, None
                continue
            if self.files.feed(marker):
                continue
            if marker.kind == "PHASE" and marker.args.startswith("copy-out"):
                say("copying logs out of dom0")
            elif marker.kind == "READY":
                self.ready_at = line.t
                say(f"dom0 ready: xenstored, xenconsoled up (+{line.t:.1f} s; {marker.args})")
            elif marker.kind == "FATAL":
                say(f"dom0 bring-up failed: {marker.args}")
            elif marker.kind == "DONE":
                self.done_status = int(marker.args) if marker.args.lstrip("-").isdigit() else -1
                self._store_files()
                self.end = "done"
                yield line, marker
                self._wait_poweroff()
                return
            yield line, marker

    def _store_files(self) -> None:
        data = self.files.files.get("out.tar.gz")
        if data is not None:
            self.copied = protocol.unpack_tar(data, self.logs_dir)
            say(f"copied {len(self.copied)} files out of dom0 into {self.logs_dir}")
        for e in self.files.errors:
            say(f"copy-out problem: {e}")

    def _wait_poweroff(self) -> None:
        end = time.monotonic() + POWEROFF_TIMEOUT
        try:
            while self.qemu.next_line(end) is not None:
                pass
        except Timeout:
            say(f"QEMU still running {POWEROFF_TIMEOUT} s after dom0's poweroff; stopping it")

    def serial_tail(self, n: int = 20) -> list[str]:
        return list(self.qemu.tail)[-n:]
