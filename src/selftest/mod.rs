//! `selftest=` on the command line: deliberate failures that prove the fatal
//! paths (`fault`, `panic`), and self tests that report like XTF
//! (report.rs): `nesting`, and on Xen `evtchn`, `xenstore`, `stall` and `smp`.
//! Each self test prints one result line per named check and one for
//! itself, then powers off (SUCCESS, SKIP) or crashes (ERROR, FAILURE).

mod event_channels;
mod nesting;
mod report;
mod smp;
mod stall;
mod xenstore;

use cmdline::Selftest;
use report::Suite;

pub fn run(test: Selftest, on_xen: bool) -> ! {
    log::info!("selftest: {test:?}");
    let (name, needs_xen, checks): (_, _, fn(&mut Suite)) = match test {
        Selftest::Fault => fault(),
        Selftest::Panic => panic!("selftest=panic: deliberate panic"),
        Selftest::Nesting => ("nesting", false, nesting::run),
        Selftest::Stall => ("stall", true, stall::run),
        Selftest::Xenstore => ("xenstore", true, xenstore::run),
        Selftest::Evtchn => ("evtchn", true, event_channels::run),
        Selftest::Smp => ("smp", true, smp::run),
    };
    if needs_xen && !on_xen {
        report::print(name, None, report::Outcome::Skip, Some(&"needs Xen (not running on Xen)"));
        report::end(report::Outcome::Skip);
    }
    if test == Selftest::Smp && crate::xen::smp::online() < 2 {
        report::print(name, None, report::Outcome::Skip, Some(&"needs 2 or more vCPUs (xl config: vcpus = 2..8)"));
        report::end(report::Outcome::Skip);
    }
    let mut suite = Suite::new(name);
    checks(&mut suite);
    report::end(suite.finish())
}

/// Reads from page 0, which paging.rs unmapped: a #PF with cr2 = 8.
fn fault() -> ! {
    log::info!("selftest: reading address 0x8 (page 0 is unmapped), expect #PF");
    let v: u64;
    // SAFETY: deliberately faults; the #PF handler reports and never returns.
    // Written in asm so no Rust-level null dereference (UB) is involved.
    unsafe { core::arch::asm!("mov {0}, qword ptr [{1}]", out(reg) v, in(reg) 8u64, options(nostack, readonly)) };
    crate::shutdown::fail(format_args!("selftest=fault: read of page 0 returned {v:#x} instead of faulting"));
}
