"""make testbed's job (tb/script.py): the run's name per number of physical CPUs, and the
range of pcpus refused before anything is built. Run: python3 -m unittest discover -s
tools/testbed -p 'test_*.py'"""

import tempfile
import unittest
from pathlib import Path

from tb import script
from tb.ui import TestbedError


class RunName(unittest.TestCase):
    def test_one_cpu_keeps_the_old_name(self):
        self.assertEqual(script.run_name(), "testbed")
        self.assertEqual(script.run_name(1), "testbed")

    def test_more_cpus_have_their_own(self):
        self.assertEqual(script.run_name(2), "testbed-2cpu")
        self.assertNotEqual(script.run_name(2), script.run_name(4))


class Pcpus(unittest.TestCase):
    def test_out_of_range_refused_first(self):
        with tempfile.TemporaryDirectory() as d:
            f = Path(d) / "job.sh"
            f.write_text("true\n")
            for bad in (0, 5):
                with self.assertRaisesRegex(TestbedError, f"pcpus {bad}"):
                    # paths=None: refused before the paths (or assets) are looked at
                    script.run(None, f, None, f, [], 10, False, bad)


if __name__ == "__main__":
    unittest.main()
