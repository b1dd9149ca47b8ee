"""Run an "own-boot" scenario on the host: bash, in its own session, bounded by its
timeout (then SIGTERM to the whole session, SIGKILL 5 s later), output saved to
<out>/output.txt, judged like a dom0 scenario."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from .paths import Paths
from .scenarios import Scenario, judge


def run(paths: Paths, s: Scenario, kernel: Path, out: Path) -> tuple[str | None, list[str]]:
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, TB_SCENARIO=s.name, TB_OUT=str(out), TB_KERNEL=str(kernel.resolve()),
               TB_PYTHON=sys.executable, TB_RUNNER_PY=str(paths.testbed_src / "runner.py"), TB_XEN=paths.xen,
               TB_HOST_LIB=str(paths.testbed_src / "host-lib.sh"))
    proc = subprocess.Popen(["bash", str(s.path)], cwd=paths.root, env=env, text=True,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    timed_out = False
    try:
        output, _ = proc.communicate(timeout=s.timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            output, _ = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
    finally:
        if proc.poll() is None:  # interrupted: take the scenario (and its QEMU) down too
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    (out / "output.txt").write_text(output)
    return judge(s.name, output.splitlines(), proc.returncode, timed_out, s.timeout)
