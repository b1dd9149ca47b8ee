"""Unit tests for tb/results.py: one line per scenario, the first report
wins, the closing line and the exit status."""

import contextlib
import io
import unittest

from tb.results import Results


def run(steps) -> tuple[Results, list[str], int | None]:
    r = Results()
    buf = io.StringIO()
    status = None
    with contextlib.redirect_stdout(buf):
        for step in steps:
            status = step(r)
    return r, buf.getvalue().splitlines(), status


class ResultsTest(unittest.TestCase):
    def test_lines_and_closing(self):
        r, lines, status = run([
            lambda r: r.report("a", None),
            lambda r: r.report("b", "no reply", ["tail 1", "tail 2"]),
            lambda r: r.close(),
        ])
        self.assertEqual(lines, ["PASS a", "FAIL b: no reply", "    tail 1", "    tail 2", "1 passed, 1 failed"])
        self.assertEqual(status, 1)
        self.assertEqual(r.lines, {"a": "PASS a", "b": "FAIL b: no reply"})

    def test_all_passed_is_status_0(self):
        _, lines, status = run([lambda r: r.report("a", None), lambda r: r.close()])
        self.assertEqual((lines[-1], status), ("1 passed, 0 failed", 0))

    def test_nothing_run_is_a_failure(self):
        _, lines, status = run([lambda r: r.close()])
        self.assertEqual((lines, status), (["0 passed, 0 failed"], 1))

    def test_first_report_wins(self):
        r, lines, _ = run([
            lambda r: r.report("a", "timed out after 60 s"),
            lambda r: r.report("a", None),
            lambda r: r.report("a", "again"),
        ])
        self.assertEqual(lines, ["FAIL a: timed out after 60 s"])
        self.assertEqual((r.passed, r.failed), ([], ["a"]))
        self.assertTrue(r.reported("a"))
        self.assertFalse(r.reported("b"))


if __name__ == "__main__":
    unittest.main()
