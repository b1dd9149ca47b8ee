//! The stall watchdog: the kernel never hangs silently.
//!
//! The main loop says where it is with [`progress`] (at least every 250 ms
//! when all is well, unless it sleeps in [`Phase::Asleep`] with nothing to do). The periodic VIRQ_TIMER (every 100 ms, see
//! `xen::wait`) calls [`tick`] from the upcall. After [`STALL_TICKS`] ticks
//! without progress it logs one warning with the phase the loop is stuck in
//! and the state of the clock and of the current wait: what a person needs
//! to tell a lost wake-up from a bad clock read, and where the last
//! interrupt found the CPU; half a second later a second sample (RIP, event
//! counters) shows whether the CPU is looping in one place. Once progress
//! resumes it says so, with how long the stall lasted.
//!
//! Ticks, not the clock, measure the stall: the clock is a suspect.

use core::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};

/// Where the main loop is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    /// Not watched (before the application starts).
    Off = 0,
    /// Sleeping until the next peer tick.
    Idle,
    /// Asking Xen about our port (EVTCHNOP_status).
    PeerStatus,
    /// A xenstore request.
    Xenstore,
    /// Leading: one ping in flight.
    Ping,
    /// `selftest=stall` stalls on purpose.
    Selftest,
    /// Waiting for an event with nothing timed (no peer): not a stall, and
    /// not watched (the periodic timer is stopped then, see
    /// `xen::wait::idle_until`).
    Asleep,
}

impl Phase {
    fn from_u8(v: u8) -> Phase {
        match v {
            1 => Phase::Idle,
            2 => Phase::PeerStatus,
            3 => Phase::Xenstore,
            4 => Phase::Ping,
            5 => Phase::Selftest,
            6 => Phase::Asleep,
            _ => Phase::Off,
        }
    }
}

/// 3 s of 100 ms ticks: longer than any wait of the main loop but a
/// xenstore request (up to 5 s, then an error), so a slow xenstored is
/// reported too.
pub const STALL_TICKS: u64 = 30;

static PHASE: AtomicU8 = AtomicU8::new(Phase::Off as u8);
/// Ticks since the last progress.
static SINCE: AtomicU64 = AtomicU64::new(0);
static REPORTED: AtomicBool = AtomicBool::new(false);
static STALLS: AtomicU64 = AtomicU64::new(0);

/// The main loop moved on and is now in `phase`.
pub fn progress(phase: Phase) {
    PHASE.store(phase as u8, Ordering::Relaxed);
    let ticks = SINCE.swap(0, Ordering::Relaxed);
    if REPORTED.swap(false, Ordering::Relaxed) {
        log::warn!("watchdog: the main loop moves again after {ticks} ticks (~{} ms), now in {phase:?}", ticks * 100);
    }
}

/// Called by every VIRQ_TIMER event, in the upcall (interrupts off: the
/// console lock is taken with interrupts off, so logging here is safe).
pub fn tick() {
    let phase = Phase::from_u8(PHASE.load(Ordering::Relaxed));
    if phase == Phase::Off || phase == Phase::Asleep {
        return;
    }
    let ticks = SINCE.fetch_add(1, Ordering::Relaxed) + 1;
    if ticks == STALL_TICKS && !REPORTED.swap(true, Ordering::Relaxed) {
        STALLS.fetch_add(1, Ordering::Relaxed);
        let w = crate::xen::wait::diagnostics();
        log::warn!(
            "watchdog: the main loop has not moved for {ticks} timer ticks (~{} ms), in {phase:?}; \
             wait: deadline={:?} wakeups={} now={}; clock: {}",
            ticks * 100,
            w.deadline,
            w.wakeups,
            w.now,
            crate::xen::time::diagnostics()
        );
        log_cpu("interrupted at");
    } else if ticks == STALL_TICKS + 5 && REPORTED.load(Ordering::Relaxed) {
        // Half a second later: the same RIP and fast-growing counters mean
        // a tight loop; a RIP that moves means slow progress.
        log_cpu("(still) interrupted at");
    }
}

/// Where the last interrupt found the CPU, and the event counters.
fn log_cpu(what: &str) {
    let (rip, rsp) = crate::arch::traps::interrupted_at();
    let (upcalls, dispatched, unhandled) = crate::xen::events::counters();
    log::warn!(
        "watchdog: {what} rip={rip:#x} rsp={rsp:#x}; upcalls={upcalls} dispatched={dispatched} unhandled={unhandled} redelivered={}",
        crate::arch::traps::redelivered()
    );
}

/// Stalls reported so far.
pub fn stalls() -> u64 {
    STALLS.load(Ordering::Relaxed)
}
