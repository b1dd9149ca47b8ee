//! `selftest=` on the command line: deliberate failures that prove the fatal
//! paths, interrupt nesting, and (on Xen) the event-channel and xenstore
//! self tests.

mod evtchn;
mod nesting;
mod stall;
mod xenstore;

use bootinfo::Selftest;

pub fn run(test: Selftest, on_xen: bool) {
    log::info!("selftest: {test:?}");
    match test {
        Selftest::Fault => fault(),
        Selftest::Panic => panic!("selftest=panic: deliberate panic"),
        Selftest::Nesting => report("nesting", nesting::run()),
        Selftest::Stall => report("stall", on_xen_only("stall", on_xen, stall::run)),
        Selftest::Xenstore => report("xenstore", on_xen_only("xenstore", on_xen, xenstore::run)),
        Selftest::Evtchn => report("evtchn", on_xen_only("evtchn", on_xen, evtchn::run)),
    }
}

/// Runs a self test that talks to Xen; off Xen, says so and crashes.
fn on_xen_only(
    name: &str,
    on_xen: bool,
    test: fn() -> Result<u32, alloc::string::String>,
) -> Result<u32, alloc::string::String> {
    if !on_xen {
        log::error!("selftest={name} needs Xen");
        crate::platform::crash();
    }
    test()
}

/// Reads from page 0, which paging.rs unmapped: a #PF with cr2 = 8.
fn fault() -> ! {
    log::info!("selftest: reading address 0x8 (page 0 is unmapped), expect #PF");
    let v: u64;
    // SAFETY: deliberately faults; the #PF handler reports and never returns.
    // Written in asm so no Rust-level null dereference (UB) is involved.
    unsafe { core::arch::asm!("mov {0}, qword ptr [{1}]", out(reg) v, in(reg) 8u64, options(nostack, readonly)) };
    log::error!("selftest=fault: read of page 0 returned {v:#x} instead of faulting");
    crate::platform::crash();
}

/// The one result line, then the matching shutdown.
fn report(name: &str, result: Result<u32, alloc::string::String>) -> ! {
    match result {
        Ok(checks) => {
            log::info!("RESULT: SUCCESS selftest={name} checks={checks}");
            crate::platform::poweroff();
        }
        Err(why) => {
            log::error!("RESULT: FAILURE selftest={name}: {why}");
            crate::platform::crash();
        }
    }
}
