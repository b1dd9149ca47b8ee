"""Unit tests of the layering check (tools/layers/layers.py) on made-up trees."""
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import layers  # noqa: E402


def tree(files: dict[str, str]) -> Path:
    root = Path(tempfile.mkdtemp())
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


class References(unittest.TestCase):
    def test_paths_groups_and_super(self):
        g = layers.graph(tree({
            "main.rs": "mod xen; mod app;",
            "xen/mod.rs": "pub mod events; pub mod evtchn;",
            "xen/events.rs": "use super::{evtchn, shared::X};\n",
            "xen/shared.rs": "",
            "xen/evtchn.rs": "// crate::app::nothing in a comment\nfn f() { crate::xen::events::mask(); }",
            "app/mod.rs": "use crate::{xen::{evtchn}, xen::events as ev};",
        }))
        self.assertEqual(g["xen::events"], {"xen::evtchn", "xen::shared"})
        self.assertEqual(g["xen::evtchn"], {"xen::events"})
        self.assertEqual(g["app"], {"xen", "xen::events"})

    def test_unit_tests_do_not_count(self):
        files = {"main.rs": "", "b.rs": "", "c.rs": ""}
        files["a.rs"] = "use crate::b;\n#[cfg(test)]\nmod tests {\n    use crate::c;\n}\n"
        self.assertEqual(layers.graph(tree(files))["a"], {"b"})

    def test_mod_rs_super_is_its_parent(self):
        g = layers.graph(tree({"main.rs": "", "a/mod.rs": "use super::b;", "b.rs": "", "a/c.rs": "use super::d;", "a/d.rs": ""}))
        self.assertEqual(g["a"], {"b"})
        self.assertEqual(g["a::c"], {"a::d"})


class Rules(unittest.TestCase):
    def test_upward_reference_reported(self):
        g = {"xen::wait": {"watchdog"}, "watchdog": set(), "arch::traps": {"fatal"}, "fatal": set()}
        bad = layers.violations(g)
        self.assertIn("xen::wait: names watchdog, a layer above it", bad)
        self.assertIn("arch::traps: names fatal, a layer above it", bad)

    def test_downward_reference_allowed(self):
        self.assertEqual(layers.violations({"app": {"xen::evtchn"}, "xen::evtchn": {"arch"}, "arch": set()}), [])

    def test_cycles_between_siblings_and_top_level(self):
        g = {"xen::events": {"xen::evtchn"}, "xen::evtchn": {"xen::events"},
             "logger": {"time"}, "time": {"xen::time"}, "xen::time": {"logger"}}
        bad = layers.violations(g)
        self.assertIn("cycle in xen: events -> evtchn -> events", bad)
        self.assertIn("cycle between top-level modules: logger -> time -> xen -> logger", bad)

    def test_child_naming_its_parent_is_no_cycle(self):
        self.assertEqual(layers.violations({"xen": {"xen::evtchn"}, "xen::evtchn": {"xen"}}), [])


if __name__ == "__main__":
    unittest.main()
