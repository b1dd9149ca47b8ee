"""The e2e report: one line per scenario as soon as it is known, then the closing line.

    PASS <name>
    FAIL <name>: <reason>
        <log tail, indented>
    N passed, M failed
"""

from .ui import out


class Results:
    def __init__(self):
        self.passed: list[str] = []
        self.failed: list[str] = []
        self.lines: dict[str, str] = {}   # name -> its result line

    def reported(self, name: str) -> bool:
        return name in self.passed or name in self.failed

    def report(self, name: str, reason: str | None, tail: list[str] = ()) -> None:
        if self.reported(name):
            return
        if reason is None:
            self.passed.append(name)
            self.lines[name] = f"PASS {name}"
            out(self.lines[name])
            return
        self.failed.append(name)
        self.lines[name] = f"FAIL {name}: {reason}"
        out(self.lines[name])
        for line in tail:
            out(f"    {line}")

    def close(self) -> int:
        out(f"{len(self.passed)} passed, {len(self.failed)} failed")
        return 1 if self.failed or not self.passed else 0
