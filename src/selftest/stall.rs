//! `selftest=stall`: the stall watchdog reports a main loop that stops
//! moving, and says when it moves again.
//!
//! We tell the watchdog we are in the Selftest phase, then spin for 4.5 s
//! with interrupts on and without reporting progress: the watchdog (run by
//! VIRQ_TIMER) must report exactly one stall after 3 s. Reporting progress
//! afterwards must log that the loop moves again.

use super::report::{ensure, Suite};
use crate::watchdog::{self, Phase};
use crate::xen::time;

const SPIN_NS: u64 = 4_500_000_000;

pub fn run(suite: &mut Suite) {
    suite.check("one_stall_report", || {
        let before = watchdog::stalls();
        watchdog::progress(Phase::Selftest);
        log::info!(
            "selftest: spinning {} ms without progress (the watchdog should speak at ~{} ms)",
            SPIN_NS / 1_000_000,
            watchdog::STALL_NS / 1_000_000
        );
        let t0 = time::system_time_ns();
        while time::system_time_ns().saturating_sub(t0) < SPIN_NS {
            core::hint::spin_loop();
        }
        let reported = watchdog::stalls() - before;
        watchdog::progress(Phase::Idle);
        ensure!(
            reported == 1,
            "the watchdog reported {reported} stalls in {} ms of spinning, want 1",
            SPIN_NS / 1_000_000
        );
        Ok(())
    });
}
