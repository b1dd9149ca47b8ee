"""Output directories that each command starts afresh, and the lock that keeps two
test-bed commands (which share them) from running at the same time."""

import contextlib
import fcntl
import shutil
import time
from pathlib import Path

from .paths import Paths
from .ui import TestbedError, say


def fresh_logs(paths: Paths) -> Path:
    """target/testbed/logs/, emptied: it holds the files of the last command only."""
    if paths.logs.exists():
        shutil.rmtree(paths.logs)
    paths.logs.mkdir(parents=True)
    return paths.logs


@contextlib.contextmanager
def command_lock(paths: Paths, wait: float = 3600):
    """Held for the whole of `make e2e`, `make testbed` or `make run`. A second command
    waits (bounded) rather than clobbering logs/ or taking the first one's QEMU for a stale
    one."""
    paths.out.mkdir(parents=True, exist_ok=True)
    with open(paths.out / ".command.lock", "w") as lock:
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TestbedError(f"another test-bed command held {lock.name} for {wait:.0f} s")
                if not told:
                    say("waiting for another test-bed command (make e2e/testbed/run) to finish")
                    told = True
                time.sleep(1)
        yield
