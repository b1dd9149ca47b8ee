"""Unit tests for tb/scenarios.py: the scenario header parser, the
selection by name, and the PASS/FAIL judgement of a scenario's output."""

import tempfile
import unittest
from pathlib import Path

from tb.scenarios import DEFAULT_TIMEOUT, discover, judge, select
from tb.ui import TestbedError


def write(dir: Path, name: str, header: str) -> None:
    (dir / f"{name}.sh").write_text(f"#!/bin/sh\n{header}#\n# {name}: what it checks.\necho PASS {name}\n")


class DiscoverTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self._tmp.name)

    def tearDown(self):
        self._tmp.cleanup()

    def test_compatibility_set(self):
        write(self.dir, "a-both", "# timeout: 90\n# compat: 4.20\n")
        write(self.dir, "b-only-4.17", "")
        write(self.dir, "c-soak", "# on-request: yes\n# compat: 4.20\n")
        found = discover(self.dir)
        self.assertEqual(found[0].compat, ("4.20",))
        self.assertEqual([s.name for s in select(found, [])], ["a-both", "b-only-4.17"])
        self.assertEqual([s.name for s in select(found, [], "4.17")], ["a-both", "b-only-4.17"])
        self.assertEqual([s.name for s in select(found, [], "4.20")], ["a-both"])
        # Named scenarios run on any release.
        self.assertEqual([s.name for s in select(found, ["b-only-4.17"], "4.20")], ["b-only-4.17"])

    def test_headers(self):
        write(self.dir, "b-own", "# testbed: own-boot\n# timeout: 150\n")
        write(self.dir, "a-plain", "")
        write(self.dir, "c-soak", "# testbed: dom0\n# timeout: 900\n# on-request: yes\n")
        found = discover(self.dir)
        self.assertEqual([s.name for s in found], ["a-plain", "b-own", "c-soak"])
        plain, own, soak = found
        self.assertEqual((plain.where, plain.timeout, plain.on_request), ("dom0", DEFAULT_TIMEOUT, False))
        self.assertEqual((own.where, own.timeout, own.on_request), ("own-boot", 150, False))
        self.assertEqual((soak.where, soak.timeout, soak.on_request), ("dom0", 900, True))
        self.assertEqual(own.path, self.dir / "b-own.sh")

    def test_pcpus(self):
        write(self.dir, "a-smp", "# pcpus: 2\n")
        write(self.dir, "b-plain", "")
        self.assertEqual([s.pcpus for s in discover(self.dir)], [2, 1])
        for bad in ("0", "five", "9"):
            write(self.dir, "a-smp", f"# pcpus: {bad}\n")
            with self.assertRaisesRegex(TestbedError, "not a number of CPUs"):
                discover(self.dir)

    def test_bad_timeout_falls_back_to_the_default(self):
        write(self.dir, "t", "# timeout: soon\n")
        self.assertEqual(discover(self.dir)[0].timeout, DEFAULT_TIMEOUT)

    def test_only_the_first_header_counts_and_it_must_start_a_line(self):
        write(self.dir, "t", "# timeout: 30\n# timeout: 40\necho '# testbed: own-boot'\n")
        s = discover(self.dir)[0]
        self.assertEqual((s.timeout, s.where), (30, "dom0"))

    def test_unknown_testbed_kind_is_refused(self):
        write(self.dir, "t", "# testbed: host\n")
        with self.assertRaisesRegex(TestbedError, "neither dom0 nor own-boot"):
            discover(self.dir)

    def test_bad_name_is_refused(self):
        write(self.dir, "-dash", "")
        with self.assertRaisesRegex(TestbedError, "scenario name"):
            discover(self.dir)

    def test_the_real_scenarios_parse(self):
        real = discover(Path(__file__).parent / "scenarios")
        self.assertGreater(len(real), 10)
        self.assertTrue(any(s.where == "own-boot" for s in real))
        self.assertTrue(any(s.on_request for s in real))

    def test_select(self):
        write(self.dir, "a", "")
        write(self.dir, "b", "")
        write(self.dir, "soak", "# on-request: yes\n")
        found = discover(self.dir)
        self.assertEqual([s.name for s in select(found, [])], ["a", "b"])
        self.assertEqual([s.name for s in select(found, ["soak", "a"])], ["soak", "a"])
        with self.assertRaisesRegex(TestbedError, "no scenario nope"):
            select(found, ["a", "nope"])


class JudgeTest(unittest.TestCase):
    def test_pass(self):
        self.assertEqual(judge("x", ["some output", "PASS x"], 0, False, 60), (None, []))

    def test_fail_gives_the_reason_and_what_follows(self):
        reason, tail = judge("x", ["before", "FAIL x: no reply", "detail 1", "detail 2"], 1, False, 60)
        self.assertEqual((reason, tail), ("no reply", ["detail 1", "detail 2"]))

    def test_timeout_wins_over_a_pass_line(self):
        reason, tail = judge("x", ["PASS x"], 0, True, 45)
        self.assertEqual(reason, "timed out after 45 s")
        self.assertIn("PASS x", tail)

    def test_no_line(self):
        reason, _ = judge("x", ["PASS y", "PASS x-other", "  PASS x"], 0, False, 60)
        self.assertEqual(reason, "printed no PASS/FAIL line (exit status 0)")

    def test_two_lines(self):
        reason, _ = judge("x", ["PASS x", "FAIL x: later"], 1, False, 60)
        self.assertEqual(reason, "printed 2 PASS/FAIL lines")

    def test_pass_with_a_failing_exit_status(self):
        reason, _ = judge("x", ["PASS x"], 3, False, 60)
        self.assertEqual(reason, "printed PASS but exited with status 3")

    def test_name_is_matched_literally(self):
        reason, _ = judge("a.b", ["PASS aXb"], 0, False, 60)
        self.assertIsNotNone(reason)

    def test_generic_tail_is_the_last_20_lines(self):
        output = [f"line {i}" for i in range(50)]
        _, tail = judge("x", output, 1, False, 60)
        self.assertEqual(tail[1:], output[-20:])


if __name__ == "__main__":
    unittest.main()
