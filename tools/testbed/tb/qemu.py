"""QEMU as a guarded child process.

- the command is echoed before it starts;
- every serial line is timestamped (seconds since QEMU started) into a log file;
- QEMU is stopped by its own PID whatever happens: `with Qemu(...)` stops it on return,
  exceptions and Ctrl-C; PR_SET_PDEATHSIG kills it if this process dies uncatchably; and a
  QEMU left over from an earlier killed run is found by its -pidfile and stopped;
- QEMU's monitor listens on a socket next to the pidfile: a machine that has to be stopped
  (it did not power off: a hang, a timeout) first has its CPU registers sampled into the
  serial log (`info registers`, three times 0.5 s apart), so a silent hang shows where the
  CPU was: in Xen, in dom0 or in a guest, looping or moving;
- while the serial console is silent, QEMU's CPU gets a nudge every second: a key press
  (shift) through the monitor. QEMU 7.2's TCG, running Xen's SVM guests, can lose the
  wake-up of a halted CPU: the local APIC holds Xen's timer interrupt in IRR (deliverable,
  priority above PPR) while the CPU stays in HLT, so Xen's timers, and every domain's,
  stop for good (seen as `info lapic`: IRR 250, LVTT one-shot count 0; `HLT=1` in Xen's
  idle loop). Any new interrupt makes QEMU look at the APIC again and deliver it: the key
  press raises IRQ 1 (dom0's i8042; nobody reads the keyboard, shift types nothing).
"""

import ctypes
from collections import deque
import os
import queue
import shlex
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .ui import out

PR_SET_PDEATHSIG = 1


class Timeout(Exception):
    pass


@dataclass
class Line:
    t: float    # seconds since QEMU started
    text: str


def _die_with_parent() -> None:
    """preexec_fn: the kernel sends SIGKILL to QEMU if the runner dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def stop_stale(pidfile: Path) -> None:
    """Stop a QEMU that an earlier, killed run left behind with this pidfile. The PID is
    only trusted if that process is a QEMU whose command line names this pidfile."""
    try:
        pid = int(pidfile.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return
    if any(b"qemu-system" in a for a in cmdline[:1]) and str(pidfile).encode() in cmdline:
        out(f"stopping QEMU pid {pid} left over from an earlier run ({pidfile})")
        os.kill(pid, signal.SIGKILL)


class Qemu:
    def __init__(self, argv: list[str], log: Path, pidfile: Path, echo_serial: bool = False):
        self.monitor = pidfile.with_suffix(".monitor")
        self.argv = argv + ["-pidfile", str(pidfile),
                            "-monitor", f"unix:{self.monitor},server=on,wait=off"]
        self.log_path = log
        self.pidfile = pidfile
        self.echo_serial = echo_serial
        self.proc: subprocess.Popen | None = None
        self._queue: queue.Queue = queue.Queue()
        self._reader: threading.Thread | None = None
        self.t0 = 0.0
        self.tail: deque[str] = deque(maxlen=200)  # the last lines, for failure reports
        self.last_output = 0.0   # monotonic time of the last serial line
        self.nudges = 0          # key presses sent while the console was silent

    def __enter__(self) -> "Qemu":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        stop_stale(self.pidfile)
        self.pidfile.parent.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        out("+ " + shlex.join(self.argv))
        out(f"  serial log: {self.log_path}")
        self._log = open(self.log_path, "w", buffering=1, errors="replace")
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.last_output = time.monotonic()
        threading.Thread(target=self._nudge_while_silent, daemon=True).start()

    def _nudge_while_silent(self) -> None:
        """Every second of serial silence, one key press (see the module doc)."""
        last = 0.0
        while self.proc.poll() is None:
            time.sleep(0.25)
            now = time.monotonic()
            if now - self.last_output >= 1.0 and now - last >= 1.0:
                last = now
                if self.monitor_command("sendkey shift", timeout=2.0):
                    self.nudges += 1

    def _read(self) -> None:
        buf = b""
        fd = self.proc.stdout.fileno()
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for raw in lines:
                self._emit(raw)
        if buf:
            self._emit(buf)
        self._queue.put(None)

    def _emit(self, raw: bytes) -> None:
        self.last_output = time.monotonic()
        t = self.last_output - self.t0
        text = raw.decode("utf-8", "replace").rstrip("\r")
        self._log.write(f"[{t:8.3f}] {text}\n")
        if self.echo_serial:
            out(f"  serial| {text}")
        self.tail.append(text)
        self._queue.put(Line(t, text))

    def next_line(self, deadline: float) -> Line | None:
        """The next serial line; None once QEMU has exited and all output is read;
        raises Timeout at the monotonic-clock deadline."""
        remaining = deadline - time.monotonic()
        try:
            if remaining <= 0:   # past the deadline: only what has already arrived
                return self._queue.get_nowait()
            return self._queue.get(timeout=remaining)
        except queue.Empty:
            raise Timeout() from None

    def drain(self, quiet: float = 1.5, cap: float = 10.0) -> list[Line]:
        """Read on until the output has been quiet for `quiet` s (or `cap` s passed, or QEMU
        exited): collects the rest of a panic message before QEMU is stopped."""
        got, end = [], time.monotonic() + cap
        while True:
            try:
                line = self.next_line(min(end, time.monotonic() + quiet))
            except Timeout:
                return got
            if line is None:
                return got
            got.append(line)

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def exited(self) -> bool:
        return self.proc is not None and self.proc.poll() is not None

    def wait_exit(self, timeout: float) -> bool:
        try:
            self.proc.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def monitor_command(self, command: str, timeout: float = 3.0) -> str:
        """One QEMU monitor command's answer ("" if the monitor does not answer)."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(timeout)
                s.connect(str(self.monitor))
                self._read_until_prompt(s)   # the banner
                s.sendall(command.encode() + b"\n")
                return self._read_until_prompt(s)
        except OSError:
            return ""

    @staticmethod
    def _read_until_prompt(s: socket.socket) -> str:
        data = b""
        while not data.endswith(b"(qemu) "):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        text = data.decode("utf-8", "replace").replace("\r", "")
        return text.removesuffix("(qemu) ")

    def sample_cpu(self, times: int = 3, gap: float = 0.5) -> None:
        """Write `info registers` (a few samples) into the serial log."""
        for i in range(times):
            regs = self.monitor_command("info registers")
            if not regs:
                self._log.write("--- QEMU monitor: no answer ---\n")
                return
            self._log.write(f"--- QEMU: CPU state at {self.elapsed():.3f} s, sample {i + 1} of {times} "
                            "(the machine is being stopped without having powered off) ---\n")
            # The first line echoes the command.
            self._log.write("\n".join(regs.splitlines()[1:]) + "\n")
            time.sleep(gap)

    def stop(self) -> None:
        """Stop QEMU (by its own PID) if it still runs, and close the log. A machine still
        running has its CPU state sampled into the log first."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.sample_cpu()
            except Exception as e:   # a diagnostic must never keep QEMU alive
                self._log.write(f"--- QEMU monitor: {e} ---\n")
            self.proc.terminate()
            if not self.wait_exit(5):
                self.proc.kill()
                self.proc.wait()
        if self._reader:
            self._reader.join(5)
        if self.nudges:
            self._log.write(f"--- runner: {self.nudges} key presses sent while the console was silent ---\n")
        self.proc.stdout.close()
        self._log.close()
        self.pidfile.unlink(missing_ok=True)
        self.monitor.unlink(missing_ok=True)
