//! How a self test reports: named checks, one result line each, then one
//! line for the whole test, whose result is the most severe of its checks'
//! (XTF `include/xtf/report.h`; the line format is
//! `xenbell_proto::selftest`, documented in docs/protocol.md).

use alloc::format;
use alloc::string::String;
use core::fmt;

pub use xenbell_proto::selftest::Outcome;
use xenbell_proto::selftest::ResultLine;

/// Why a check did not succeed. (A whole test that does not apply here,
/// an on-Xen test off Xen, is SKIPped by `selftest::run` before it starts.)
#[derive(Debug)]
pub enum Problem {
    /// The check does not apply here (e.g. it needs the local APIC, and the
    /// upcall comes by the callback vector).
    Skip(String),
    /// The check could not run (its set-up or the test itself is broken).
    Error(String),
    /// The property under test does not hold.
    Failure(String),
}

/// What a check returns: `Ok(())` is SUCCESS.
pub type Verdict = Result<(), Problem>;

/// A FAILURE with this reason (for `.map_err(failure)?` on an operation
/// under test).
pub fn failure(why: impl fmt::Display) -> Problem {
    Problem::Failure(format!("{why}"))
}

/// A SKIP with this reason: the check does not apply in this configuration.
pub fn skip(why: impl fmt::Display) -> Problem {
    Problem::Skip(format!("{why}"))
}

/// An ERROR with this reason (for set-up the check needs but does not test).
pub fn error(why: impl fmt::Display) -> Problem {
    Problem::Error(format!("{why}"))
}

/// `ensure!(cond, "format", args..)`: FAILURE with that reason unless `cond`.
macro_rules! ensure {
    ($cond:expr, $($why:tt)*) => {
        if !$cond {
            return Err($crate::selftest::report::Problem::Failure(alloc::format!($($why)*)));
        }
    };
}
pub(crate) use ensure;

/// The checks of one test, as they run.
pub struct Suite {
    test: &'static str,
    /// How many checks ended with each outcome, indexed as `Outcome::ALL`.
    counts: [u32; 4],
}

impl Suite {
    pub fn new(test: &'static str) -> Suite {
        Suite { test, counts: [0; 4] }
    }

    /// Runs `f` as the check `name` and prints its line; true on SUCCESS
    /// (for checks that later ones build on).
    pub fn check(&mut self, name: &'static str, f: impl FnOnce() -> Verdict) -> bool {
        let (outcome, why) = match f() {
            Ok(()) => (Outcome::Success, None),
            Err(Problem::Skip(why)) => (Outcome::Skip, Some(why)),
            Err(Problem::Error(why)) => (Outcome::Error, Some(why)),
            Err(Problem::Failure(why)) => (Outcome::Failure, Some(why)),
        };
        self.counts[outcome as usize] += 1;
        print(self.test, Some(name), outcome, why.as_ref().map(|w| w as &dyn fmt::Display));
        outcome == Outcome::Success
    }

    /// Reports `name` as ERROR: it could not run because `needed` failed.
    pub fn not_run(&mut self, name: &'static str, needed: &str) {
        self.check(name, || Err(Problem::Error(format!("not run: needs {needed}"))));
    }

    /// Prints the test's line and returns its outcome: the most severe of its
    /// checks' (SUCCESS for none, which only a test without checks gives).
    pub fn finish(self) -> Outcome {
        let outcome =
            Outcome::ALL.into_iter().filter(|&o| self.counts[o as usize] > 0).fold(Outcome::Success, Outcome::worst);
        let total: u32 = self.counts.iter().sum();
        let mut summary = format!("{total} checks:");
        let mut sep = " ";
        for o in Outcome::ALL.into_iter().filter(|&o| self.counts[o as usize] > 0) {
            summary += &format!("{sep}{} {o}", self.counts[o as usize]);
            sep = ", ";
        }
        print(self.test, None, outcome, Some(&summary));
        outcome
    }
}

/// Prints a result line: SUCCESS and SKIP at info level, ERROR and FAILURE at
/// error level.
pub fn print(test: &str, check: Option<&str>, outcome: Outcome, detail: Option<&dyn fmt::Display>) {
    let line = ResultLine { test, check, outcome, detail };
    match outcome {
        Outcome::Success | Outcome::Skip => log::info!("{line}"),
        Outcome::Error | Outcome::Failure => log::error!("{line}"),
    }
}

/// Ends the run as the outcome says: poweroff for SUCCESS and SKIP, a crash
/// shutdown for ERROR and FAILURE.
pub fn end(outcome: Outcome) -> ! {
    if outcome.powers_off() {
        crate::platform::poweroff()
    } else {
        crate::platform::crash()
    }
}
