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


def run_cli(main, argv) -> None:
    """Runs a command-line entry point and exits with its status. SIGTERM
    (from make or timeout) unwinds the stack like Ctrl-C, so every `with Qemu`
    / `with Dom0Session` stops its QEMU on the way out; the test bed's own
    failures exit 125, a failed helper command 1, an interrupt 130."""
    import signal
    import subprocess

    def terminate(signum, _frame):
        err(f"terminated by signal {signum}; stopping QEMU")
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)
    try:
        sys.exit(main(argv))
    except TestbedError as e:
        err(str(e))
        sys.exit(125)
    except subprocess.CalledProcessError as e:
        err(f"{' '.join(map(str, e.cmd))} exited with {e.returncode}")
        sys.exit(1)
    except KeyboardInterrupt:
        err("interrupted; QEMU stopped")
        sys.exit(130)
