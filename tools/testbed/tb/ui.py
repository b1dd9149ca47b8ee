"""Progress lines for humans: one line per phase, with the wall time since the command began."""

import sys
import time

_T0 = time.monotonic()


def elapsed() -> float:
    return time.monotonic() - _T0


def say(msg: str) -> None:
    """A progress line on stdout, e.g. `[  12.3s] dom0 ready`."""
    print(f"[{elapsed():6.1f}s] {msg}", flush=True)


def out(line: str = "") -> None:
    """A plain line (results, relayed output)."""
    print(line, flush=True)


def err(msg: str) -> None:
    print(f"testbed: {msg}", file=sys.stderr, flush=True)


class TestbedError(Exception):
    """The test bed itself failed (not the thing under test): missing files, downloads..."""
