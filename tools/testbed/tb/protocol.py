"""The dom0 -> host protocol: marker lines on the console (written by dom0/lib.sh).

Every marker is one line "@@TB <KIND> <args>" on dom0's console (hvc0, which Xen writes to
the serial port, which QEMU writes to our pipe):
  PHASE <name> [text]           progress of dom0 bring-up
  READY <info...>               xenstored, xen-init-dom0 and xenconsoled are up
  FATAL <reason>                dom0 bring-up failed; the job did not run
  BEGIN <name> <secs>           a scenario (or the user script) starts
  O <text>                      one line of its output
  RESULT <name> PASS|FAIL [reason]   followed, on FAIL, by T <line>... and T-END <name>
  SCRIPT-EXIT <status> <timed_out>
  GUEST <name> <domid>, G <text>, NOTE <text>, SUMMARY <key> <value>   (make run)
  FILE <name> <bytes> <sha256>, D <base64>..., FILE-END <name>          (copy-out)
  DONE <status>                 everything sent; dom0 powers off next
Lines from Xen and from guests can land between marker lines (and, rarely, inside one:
the copy-out is checked with its sha256, and e2e results are also in results.txt).
"""

import base64
import hashlib
import io
import tarfile
from dataclasses import dataclass
from pathlib import Path

PREFIX = "@@TB "


@dataclass
class Marker:
    kind: str
    args: str  # the rest of the line, unsplit

    def words(self, n: int) -> list[str]:
        """The first n-1 words and the rest: words(3) of "a b c d" is [a, b, "c d"]."""
        parts = self.args.split(" ", n - 1)
        return parts + [""] * (n - len(parts))


def parse(line: str) -> Marker | None:
    if not line.startswith(PREFIX):
        return None
    kind, _, args = line[len(PREFIX):].partition(" ")
    return Marker(kind, args)


class FileReceiver:
    """Reassembles FILE ... D ... FILE-END transfers into bytes, checked by sha256."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.errors: list[str] = []
        self._name = None
        self._chunks: list[str] = []
        self._size = 0
        self._sha = ""

    def feed(self, m: Marker) -> bool:
        """Consume a transfer marker; False if m is not one."""
        if m.kind == "FILE":
            self._name, size, self._sha = m.words(3)
            self._size = int(size) if size.isdigit() else -1
            self._chunks = []
        elif m.kind == "D" and self._name:
            self._chunks.append(m.args.strip())
        elif m.kind == "FILE-END" and self._name:
            self._finish()
        elif m.kind == "FILE-ERROR":
            self.errors.append(f"dom0 could not pack {m.args}")
        else:
            return False
        return True

    def _finish(self) -> None:
        name, self._name = self._name, None
        try:
            data = base64.b64decode("".join(self._chunks), validate=True)
        except ValueError as e:
            self.errors.append(f"{name}: bad base64 ({e})")
            return
        if len(data) != self._size or hashlib.sha256(data).hexdigest() != self._sha:
            self.errors.append(f"{name}: corrupted in transfer ({len(data)} of {self._size} bytes,"
                               " sha256 mismatch)")
            return
        self.files[name] = data


def unpack_tar(data: bytes, dest: Path) -> list[Path]:
    """Extract a tar.gz from dom0 into dest, refusing anything but plain files and dirs
    inside dest. Returns the files written."""
    written = []
    dest = dest.resolve()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar:
            target = (dest / member.name).resolve()
            if not (target == dest or dest in target.parents):
                continue
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
            elif member.isfile():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(member).read())
                written.append(target)
    return written
