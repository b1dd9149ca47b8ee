//! Self-test results, after the Xen Test Framework (`include/xtf/report.h`).
//!
//! A self test (`selftest=<name>` on the kernel command line) runs named
//! checks and prints one line per check, then one line for the whole test:
//!
//! ```text
//! selftest: evtchn/loopback_status: RESULT: SUCCESS
//! selftest: evtchn/masked_then_unmasked: RESULT: FAILURE: event not delivered after unmask
//! selftest: evtchn: RESULT: FAILURE: 9 checks: 8 SUCCESS, 1 FAILURE
//! ```
//!
//! The test's result is the most severe of its checks' ([`Outcome::worst`]).
//! A runner that sees no line for the whole test reports [`CRASH`].

use core::fmt;

/// What every result line starts with (after the console's timestamp and
/// log level).
pub const PREFIX: &str = "selftest: ";
/// Between the test (or `test/check`) name and the outcome.
pub const RESULT: &str = ": RESULT: ";
/// What a runner reports when a test printed no result line for itself:
/// it died (fault, panic, hang) before it could say anything.
pub const CRASH: &str = "CRASH";

/// The result of a check or of a whole test, least severe first, so the
/// derived order is the severity order (XTF: "the most severe wins").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// The property holds.
    Success,
    /// The check does not apply here (e.g. an on-Xen test off Xen).
    Skip,
    /// The test itself could not run: a bug in the test or its environment
    /// (XTF: "a bug in the test code or environment").
    Error,
    /// The property does not hold: a bug in the code under test.
    Failure,
}

impl Outcome {
    /// Every outcome, least severe first.
    pub const ALL: [Outcome; 4] = [Outcome::Success, Outcome::Skip, Outcome::Error, Outcome::Failure];

    /// The word on the result line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "SUCCESS",
            Outcome::Skip => "SKIP",
            Outcome::Error => "ERROR",
            Outcome::Failure => "FAILURE",
        }
    }

    /// The outcome named by `word` (exactly as [`Outcome::as_str`] spells it).
    pub fn parse(word: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == word)
    }

    /// The more severe of the two.
    pub fn worst(self, other: Outcome) -> Outcome {
        self.max(other)
    }

    /// Whether a test ending with this outcome powers off cleanly (SUCCESS,
    /// SKIP) rather than shutting down with reason crash (ERROR, FAILURE).
    pub const fn powers_off(self) -> bool {
        matches!(self, Outcome::Success | Outcome::Skip)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One result line (without the newline):
/// `selftest: <test>[/<check>]: RESULT: <OUTCOME>[: <detail>]`.
pub struct ResultLine<'a> {
    /// The test, as on the command line (`evtchn`).
    pub test: &'a str,
    /// The check within it; None for the line of the whole test.
    pub check: Option<&'a str>,
    pub outcome: Outcome,
    /// Why (for anything but SUCCESS), or a summary; one line.
    pub detail: Option<&'a dyn fmt::Display>,
}

impl fmt::Display for ResultLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(PREFIX)?;
        f.write_str(self.test)?;
        if let Some(check) = self.check {
            write!(f, "/{check}")?;
        }
        write!(f, "{RESULT}{}", self.outcome)?;
        if let Some(detail) = self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

/// A result line read back (by a host-side runner or test).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parsed<'a> {
    pub test: &'a str,
    pub check: Option<&'a str>,
    pub outcome: Outcome,
    /// Empty when the line has none.
    pub detail: &'a str,
}

/// Finds a result line in `line`, which may carry a console prefix
/// (timestamp, log level, Xen's `(dN)`) before [`PREFIX`]. None for any
/// other line, or an outcome word this crate does not know.
pub fn parse(line: &str) -> Option<Parsed<'_>> {
    let rest = &line[line.find(PREFIX)? + PREFIX.len()..];
    let (name, rest) = rest.split_once(RESULT)?;
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'/') {
        return None;
    }
    let (word, detail) = rest.split_once(": ").unwrap_or((rest, ""));
    let outcome = Outcome::parse(word.trim_end())?;
    let (test, check) = match name.split_once('/') {
        Some((test, check)) => (test, Some(check)),
        None => (name, None),
    };
    Some(Parsed { test, check, outcome, detail })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(test: &str, check: Option<&str>, outcome: Outcome, detail: Option<&dyn fmt::Display>) -> String {
        ResultLine { test, check, outcome, detail }.to_string()
    }

    #[test]
    fn formats_xtf_like_lines() {
        assert_eq!(line("evtchn", None, Outcome::Success, None), "selftest: evtchn: RESULT: SUCCESS");
        assert_eq!(
            line("evtchn", Some("bad_port"), Outcome::Failure, Some(&"send gave EPERM")),
            "selftest: evtchn/bad_port: RESULT: FAILURE: send gave EPERM"
        );
        assert_eq!(line("stall", None, Outcome::Skip, Some(&"needs Xen")), "selftest: stall: RESULT: SKIP: needs Xen");
    }

    #[test]
    fn parses_what_it_formats_behind_a_console_prefix() {
        for outcome in Outcome::ALL {
            for check in [None, Some("a_check")] {
                for detail in [None, Some(&"why: with a colon" as &dyn fmt::Display)] {
                    let text = format!("[    1.000000] INFO  {}", line("xenstore", check, outcome, detail));
                    let p = parse(&text).unwrap_or_else(|| panic!("{text:?} not parsed"));
                    assert_eq!((p.test, p.check, p.outcome), ("xenstore", check, outcome));
                    assert_eq!(p.detail, if detail.is_some() { "why: with a colon" } else { "" });
                }
            }
        }
    }

    #[test]
    fn other_lines_are_not_results() {
        for text in [
            "selftest: loopback channel A=5 B=6",
            "selftest: evtchn: RESULT: PASS",
            "selftest: : RESULT: SUCCESS",
            "selftest: two words: RESULT: SUCCESS",
            "RESULT: SUCCESS selftest=evtchn checks=17",
            "",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn severity_order_is_xtfs() {
        use Outcome::*;
        assert_eq!(Success.worst(Skip), Skip);
        assert_eq!(Skip.worst(Error), Error);
        assert_eq!(Failure.worst(Error), Failure);
        assert_eq!(Outcome::ALL.into_iter().fold(Success, Outcome::worst), Failure);
        assert_eq!([Success, Success].into_iter().fold(Success, Outcome::worst), Success);
        assert!(Success.powers_off() && Skip.powers_off() && !Error.powers_off() && !Failure.powers_off());
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
        }
        assert_eq!(Outcome::parse(CRASH), None);
    }
}
