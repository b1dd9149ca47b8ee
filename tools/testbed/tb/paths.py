"""Where the test bed keeps its files (all under the repository's target/testbed/)."""

from dataclasses import dataclass
from pathlib import Path

from . import release

TESTBED_DIR = Path(__file__).resolve().parent.parent  # tools/testbed
REPO_ROOT = TESTBED_DIR.parent.parent


@dataclass(frozen=True)
class Paths:
    root: Path = REPO_ROOT
    xen: str = release.DEFAULT   # the Xen release under test (tb/release.py)

    @property
    def release(self) -> release.Release:
        return release.get(self.xen)

    @property
    def release_cache(self) -> Path:
        """The cache of the Xen release under test (the cache itself for 4.17)."""
        return self.release.cache(self.cache)

    @property
    def testbed_src(self) -> Path:
        return self.root / "tools" / "testbed"

    @property
    def dom0_src(self) -> Path:
        return self.testbed_src / "dom0"

    @property
    def scenarios_src(self) -> Path:
        return self.testbed_src / "scenarios"

    @property
    def xl_configs(self) -> Path:
        return self.root / "xl-configs"

    @property
    def out(self) -> Path:
        """target/testbed: serial logs (<run>.log) and per-run work directories."""
        return self.root / "target" / "testbed"

    @property
    def cache(self) -> Path:
        """Downloaded .debs and everything unpacked from them; reused by later runs."""
        return self.out / "cache"

    @property
    def logs(self) -> Path:
        """Guest console logs and other files copied out of dom0."""
        return self.out / "logs"

    def run_dir(self, run: str) -> Path:
        return self.out / "work" / run

    def serial_log(self, run: str) -> Path:
        return self.out / f"{run}.log"
