"""The Xen releases the test bed runs: Debian bookworm's Xen 4.17 (the default, from the
host's own apt sources) and Debian trixie's Xen 4.20 (`make e2e XEN=4.20`).

For 4.20 the hypervisor, the Xen tools and their library closure come from trixie through
a throw-away apt configuration under the release's cache directory (the host's apt
configuration is not touched; the mirrors are the host's own, the suite swapped); the dom0
kernel stays bookworm's Linux 6.1, from the host's sources. Trixie's packages are
merged-/usr only, so the dom0 root gets `bin sbin lib lib64` links into `usr/` before they
are unpacked. The layout and the compatibility set: tools/testbed/README.md ("Tested Xen releases").
"""

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .ui import TestbedError, say

DEFAULT = "4.17"


@dataclass(frozen=True)
class Release:
    xen: str                 # "4.17"
    suite: str | None        # the Debian suite of the Xen packages; None: the host's own
    merged_usr: bool         # packages ship only usr/bin, usr/lib, ... (no /bin, /lib64)

    @property
    def xen_package(self) -> str:
        return f"xen-hypervisor-{self.xen}-amd64"

    @property
    def userland_roots(self) -> list[str]:
        return [f"xen-utils-{self.xen}", "xenstore-utils"]

    @property
    def tools_dir(self) -> str:
        """Where the Xen tools live in dom0 (relative to its root)."""
        return f"usr/lib/xen-{self.xen}"

    def cache(self, base: Path) -> Path:
        """The release's own cache directory: 4.17 uses the cache itself (as before),
        another release a subdirectory, so no .deb of one suite is taken for the other's."""
        return base if self.xen == DEFAULT else base / f"xen-{self.xen}"


RELEASES = {
    "4.17": Release("4.17", None, False),
    "4.20": Release("4.20", "trixie", True),
}


def get(xen: str) -> Release:
    try:
        return RELEASES[xen]
    except KeyError:
        raise TestbedError(f"XEN={xen}: not a test-bed release (have: {', '.join(RELEASES)})") from None


def host_sources(text_by_file: dict[str, str]) -> list[tuple[str, str]]:
    """(URI, suite) pairs of the host's apt sources (deb822 .sources and one-line .list
    formats), type `deb` only."""
    pairs: list[tuple[str, str]] = []
    for name, text in text_by_file.items():
        if name.endswith(".sources"):
            for stanza in re.split(r"\n\s*\n", text):
                fields = {}
                for line in stanza.splitlines():
                    if line.startswith("#") or ":" not in line or line[0].isspace():
                        continue
                    key, _, value = line.partition(":")
                    fields[key.strip().lower()] = value.split()
                if "deb" in fields.get("types", []) and fields.get("enabled", ["yes"]) != ["no"]:
                    pairs += [(u, s) for u in fields.get("uris", []) for s in fields.get("suites", [])]
        else:
            for line in text.splitlines():
                words = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
                if len(words) >= 3 and words[0] == "deb":
                    pairs.append((words[1], words[2]))
    return pairs


def suite_sources(pairs: list[tuple[str, str]], suite: str) -> list[str]:
    """One-line sources for `suite` (main) and `suite-security`, on the host's mirrors: the
    URI of the host's `<codename>-security` for the latter, of its plain codename for the
    former. Raises when the host names neither."""
    plain = next((u for u, s in pairs if "-" not in s), None)
    security = next((u for u, s in pairs if s.endswith("-security")), None)
    if plain is None:
        raise TestbedError("apt sources: no plain Debian suite found to take the mirror from")
    key = "[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]"
    lines = [f"deb {key} {plain} {suite} main"]
    if security:
        lines.append(f"deb {key} {security} {suite}-security main")
    return lines


def _read_host_sources() -> dict[str, str]:
    files = {}
    for p in [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]:
        if p.is_file() and p.suffix in (".list", ".sources"):
            files[p.name] = p.read_text()
    return files


def apt_env(release: Release, cache: Path) -> dict[str, str] | None:
    """The environment for apt-cache/apt-get to see the release's suite (APT_CONFIG of a
    private configuration, its lists updated once), or None for the host's own sources."""
    if release.suite is None:
        return None
    d = cache / "apt"
    conf = d / "apt.conf"
    if not (d / "lists" / ".updated").exists():
        for sub in ("lists/partial", "archives/partial", "parts", "status"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        (d / "sources.list").write_text(
            "\n".join(suite_sources(host_sources(_read_host_sources()), release.suite)) + "\n")
        (d / "status" / "status").touch()
        conf.write_text(
            f'Dir::Etc::sourcelist "{d}/sources.list"; Dir::Etc::sourceparts "{d}/parts";\n'
            f'Dir::State::Lists "{d}/lists"; Dir::State::status "{d}/status/status";\n'
            f'Dir::Cache "{d}"; Dir::Cache::archives "{d}/archives"; APT::Architecture "amd64";\n')
        env = dict(os.environ, APT_CONFIG=str(conf))
        say(f"apt-get update for {release.suite} (private configuration {conf})")
        res = subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, text=True,
                             check=False)
        if res.returncode != 0:
            raise TestbedError(f"apt-get update ({release.suite}) failed:\n{res.stderr[-2000:]}")
        (d / "lists" / ".updated").touch()
    return dict(os.environ, APT_CONFIG=str(conf))
