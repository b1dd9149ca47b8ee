"""`make run`: the demo. Boots the test bed, `xl create`s xenbell, and shows, live, the
guest's console and (when the guest offers it) `xenbell-dom0 ping`, then a summary.

The screen gets one progress line per phase and the interesting lines only:
    guest | <what xenbell printed>   (port 0xe9 via Xen's console, and its PV console)
    dom0  | <output of xl / xenbell-dom0 in dom0>
The full serial log is kept in target/testbed/run.log.
"""

import re
from collections import deque
from pathlib import Path

from . import assets as assets_mod
from .initramfs import Overlay
from .paths import Paths
from .session import Dom0Session
from .ui import out, say
from .workdirs import fresh_logs

GUEST_E9 = re.compile(r"^\(d([1-9]\d*)\) (?:\[\s*[\d.]+\] )?(.*)$")
BANNER = "xenbell: booting version="
JOB_TIMEOUT = 300   # s from dom0 READY to DONE


class GuestLines:
    """Shows each guest line once, whether it came via port 0xe9 or the PV console."""

    def __init__(self):
        self.recent: deque[str] = deque(maxlen=200)
        self.banner: str | None = None
        self.banner_t: float | None = None

    def show(self, text: str, t: float) -> None:
        if text in self.recent:
            self.recent.remove(text)   # its second copy; show nothing
            return
        self.recent.append(text)
        out(f"  guest | {text}")
        if self.banner is None and BANNER in text:
            self.banner, self.banner_t = text[text.index(BANNER):], t


def run(paths: Paths, kernel: Path, dom0_tool: Path | None, rounds: int, echo_serial: bool) -> int:
    assets = assets_mod.prepare(paths)
    overlay = Overlay(paths, kernel, dom0_tool)
    overlay.env = {"TB_JOB": "run", "TB_ROUNDS": str(rounds)}
    logs = fresh_logs(paths)
    guest = GuestLines()
    info: dict[str, str] = {}
    notes: list[str] = []
    create_t = ready_t = None
    ping_lines: list[str] = []
    in_ping = False
    with Dom0Session(paths, assets, "run", overlay, logs, echo_serial) as s:
        for line, m in s.events():
            if m is None:
                g = GUEST_E9.match(line.text)
                if g:
                    guest.show(g.group(2), line.t)
                continue
            if m.kind == "READY":
                ready_t = line.t
                s.expect(JOB_TIMEOUT, "the demo to finish in dom0")
            elif m.kind == "PHASE" and m.args.startswith("create"):
                create_t = line.t
                say(m.args.split(" ", 1)[1])
            elif m.kind == "PHASE" and m.args.startswith("ping"):
                in_ping = True
                say(m.args.split(" ", 1)[1])
            elif m.kind == "GUEST":
                name, domid = m.words(2)
                info["domid"] = domid
                say(f"guest {name} is domain {domid}")
            elif m.kind == "G":
                guest.show(m.args, line.t)
            elif m.kind == "O":
                out(f"  dom0  | {m.args}")
                if in_ping:
                    ping_lines.append(m.args)
            elif m.kind == "NOTE":
                notes.append(m.args)
                say(m.args)
            elif m.kind == "SUMMARY":
                key, value = m.words(2)
                info[key] = value
                in_ping = in_ping and key != "ping-exit"
    return _summary(s, guest, info, notes, ping_lines, ready_t, create_t, logs)


def _summary(s, guest, info, notes, ping_lines, ready_t, create_t, logs) -> int:
    out("")
    out("==== summary " + "=" * 50)
    row = lambda k, v: out(f"  {k:<22} {v}")  # noqa: E731
    row("dom0 ready", f"{ready_t:.1f} s after QEMU started" if ready_t else f"no ({s.end})")
    if guest.banner:
        after = f" ({guest.banner_t - create_t:.1f} s after xl create)" if create_t else ""
        row("guest banner", guest.banner + after)
    else:
        row("guest banner", "not seen")
    if "ping-exit" in info:
        last = ping_lines[-1] if ping_lines else "(no output)"
        row("ping-pong", f"exit status {info['ping-exit']}: {last}")
    elif "port" in info:
        row("ping-pong", f"guest offers port {info['port']}; not run (see above)")
    else:
        row("ping-pong", "not available yet" + (f": {notes[-1]}" if notes else ""))
    if info.get("state"):
        row("guest state at the end", info["state"] + " (xl list; c = crashed)")
    row("full serial log", str(s.qemu.log_path))
    row("guest/dom0 files", str(logs))
    ok = (s.done_status == 0 and guest.banner is not None)
    out("=" * 63)
    return 0 if ok else 1
