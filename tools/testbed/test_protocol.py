"""Unit tests for tb/protocol.py: the marker parser, the file transfer
reassembly (base64 + sha256) and the tar extraction that refuses paths
outside its destination. Pure Python, no QEMU: `make check` runs them."""

import base64
import hashlib
import io
import tarfile
import tempfile
import unittest
from pathlib import Path

from tb.protocol import FileReceiver, Marker, parse


def transfer(name: str, data: bytes, chunk: int = 8, size: int | None = None, sha: str | None = None) -> list[str]:
    """The marker lines dom0/lib.sh writes for one file."""
    b64 = base64.b64encode(data).decode()
    size = len(data) if size is None else size
    sha = hashlib.sha256(data).hexdigest() if sha is None else sha
    lines = [f"@@TB FILE {name} {size} {sha}"]
    lines += [f"@@TB D {b64[i:i + chunk]}" for i in range(0, len(b64), chunk)]
    return lines + [f"@@TB FILE-END {name}"]


def feed(rx: FileReceiver, lines: list[str]) -> list[bool]:
    return [rx.feed(parse(line)) for line in lines]


class ParseTest(unittest.TestCase):
    def test_marker_kind_and_unsplit_args(self):
        self.assertEqual(parse("@@TB RESULT ping FAIL no reply in 5 s"),
                         Marker("RESULT", "ping FAIL no reply in 5 s"))

    def test_kind_without_args(self):
        self.assertEqual(parse("@@TB DONE"), Marker("DONE", ""))

    def test_other_lines_are_not_markers(self):
        for line in ["(XEN) @@TB DONE 0", " @@TB DONE 0", "@@TBDONE 0", "", "@@tb DONE 0"]:
            with self.subTest(line=line):
                self.assertIsNone(parse(line))

    def test_words_pads_and_keeps_the_rest(self):
        m = parse("@@TB RESULT ping FAIL no reply in 5 s")
        self.assertEqual(m.words(3), ["ping", "FAIL", "no reply in 5 s"])
        self.assertEqual(parse("@@TB RESULT ping PASS").words(3), ["ping", "PASS", ""])
        self.assertEqual(parse("@@TB DONE").words(2), ["", ""])


class FileReceiverTest(unittest.TestCase):
    def test_reassembles_a_file_from_chunks(self):
        data = bytes(range(256)) * 3
        rx = FileReceiver()
        self.assertTrue(all(feed(rx, transfer("logs.tar.gz", data))))
        self.assertEqual(rx.files, {"logs.tar.gz": data})
        self.assertEqual(rx.errors, [])

    def test_empty_file(self):
        rx = FileReceiver()
        feed(rx, transfer("empty", b""))
        self.assertEqual(rx.files, {"empty": b""})

    def test_lines_between_chunks_are_not_consumed(self):
        lines = transfer("f", b"hello world, twice over", chunk=4)
        rx = FileReceiver()
        fed = [rx.feed(parse(lines[0])), rx.feed(Marker("O", "a scenario line"))]
        fed += feed(rx, lines[1:])
        self.assertEqual(fed[1], False)
        self.assertEqual(rx.files["f"], b"hello world, twice over")

    def test_sha_mismatch_is_an_error_not_a_file(self):
        rx = FileReceiver()
        feed(rx, transfer("f", b"payload", sha="0" * 64))
        self.assertEqual(rx.files, {})
        self.assertIn("sha256 mismatch", rx.errors[0])

    def test_a_lost_chunk_is_an_error(self):
        lines = transfer("f", b"0123456789abcdef0123456789", chunk=8)
        del lines[2]
        rx = FileReceiver()
        feed(rx, lines)
        self.assertEqual(rx.files, {})
        self.assertEqual(len(rx.errors), 1)
        self.assertTrue(rx.errors[0].startswith("f: "), rx.errors[0])

    def test_bad_base64_is_an_error(self):
        rx = FileReceiver()
        feed(rx, ["@@TB FILE f 3 x", "@@TB D !!!!", "@@TB FILE-END f"])
        self.assertEqual(rx.files, {})
        self.assertIn("bad base64", rx.errors[0])

    def test_bad_size_field_never_matches(self):
        rx = FileReceiver()
        feed(rx, transfer("f", b"abc", size="three"))
        self.assertEqual(rx.files, {})
        self.assertEqual(len(rx.errors), 1)

    def test_data_without_a_file_is_not_consumed(self):
        rx = FileReceiver()
        self.assertEqual(feed(rx, ["@@TB D aGVsbG8=", "@@TB FILE-END f"]), [False, False])
        self.assertEqual((rx.files, rx.errors), ({}, []))

    def test_file_error_is_reported(self):
        rx = FileReceiver()
        self.assertEqual(feed(rx, ["@@TB FILE-ERROR logs.tar.gz"]), [True])
        self.assertEqual(rx.errors, ["dom0 could not pack logs.tar.gz"])

    def test_other_markers_are_not_consumed(self):
        rx = FileReceiver()
        self.assertEqual(feed(rx, ["@@TB DONE 0", "@@TB RESULT x PASS"]), [False, False])


class UnpackTarTest(unittest.TestCase):
    def tar(self, members: dict[str, bytes]) -> bytes:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        return buf.getvalue()

    def test_extracts_inside_and_refuses_escapes(self):
        from tb.protocol import unpack_tar

        with tempfile.TemporaryDirectory() as tmp:
            dest = Path(tmp) / "logs"
            dest.mkdir()
            data = self.tar({"a/output.txt": b"PASS a\n", "../escape.txt": b"x", "/abs.txt": b"y"})
            written = unpack_tar(data, dest)
            self.assertEqual(written, [(dest / "a/output.txt").resolve()])
            self.assertEqual((dest / "a/output.txt").read_bytes(), b"PASS a\n")
            self.assertFalse((Path(tmp) / "escape.txt").exists())
            self.assertFalse(Path("/abs.txt").exists() and Path("/abs.txt").read_bytes() == b"y")


if __name__ == "__main__":
    unittest.main()
