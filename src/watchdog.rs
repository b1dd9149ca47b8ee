//! The stall watchdog: the kernel never hangs silently.
//!
//! The main loop says where it is with [`progress`] (at least every 250 ms
//! when all is well, unless it sleeps in [`Phase::Asleep`] with nothing to
//! do and its periodic timer stopped). Every VIRQ_TIMER event (the periodic 100 ms backstop
//! of `xen::wait`, and the one-shot timers that waits arm) calls [`tick`]
//! from the upcall. Once the clock says [`STALL_NS`] passed without
//! progress, it logs one warning with the phase the loop is stuck in and the
//! state of the clock and of the current wait: what a person needs to tell a
//! lost wake-up from a bad clock read, and where the last interrupt found
//! the CPU; half a second later a second sample (RIP, event counters) shows
//! whether the CPU is looping in one place. Once progress resumes it says
//! so, with how long the stall lasted.
//!
//! Durations come from the clock: timer events come faster than every
//! 100 ms while a wait arms its own timer, so counting them overstates time.
//! But the clock is a suspect too (a stuck clock is one way to hang), so
//! [`CLOCK_SUSPECT_TICKS`] timer events without progress are reported as a
//! stall whatever the clock says, and every report gives both numbers.

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

/// 3 s: longer than any wait of the main loop but a xenstore request (up to
/// 5 s, then an error), so a slow xenstored is reported too.
pub const STALL_NS: u64 = 3_000_000_000;
/// Timer events without progress that count as a stall even if the clock
/// says less than [`STALL_NS`] passed: ten times what the 100 ms backstop
/// alone produces in that time.
pub const CLOCK_SUSPECT_TICKS: u64 = 10 * STALL_NS / crate::xen::wait::BACKSTOP_NS;
/// The second sample comes this long after the report.
const SECOND_SAMPLE_NS: u64 = 500_000_000;

static PHASE: AtomicU8 = AtomicU8::new(Phase::Off as u8);
/// Timer events since the last progress.
static SINCE: AtomicU64 = AtomicU64::new(0);
/// Xen system time (ns) of the last progress.
static SINCE_NS: AtomicU64 = AtomicU64::new(0);
static REPORTED: AtomicBool = AtomicBool::new(false);
/// Xen system time of the report; 0 once the second sample is taken.
static REPORTED_NS: AtomicU64 = AtomicU64::new(0);
static STALLS: AtomicU64 = AtomicU64::new(0);

/// The main loop moved on and is now in `phase`.
pub fn progress(phase: Phase) {
    let now = crate::xen::time::system_time_ns();
    // The time first: a tick that interrupts this sees the fresh time and
    // the new phase together, never the new phase with an old time.
    let since = SINCE_NS.swap(now, Ordering::Relaxed);
    let ticks = SINCE.swap(0, Ordering::Relaxed);
    PHASE.store(phase as u8, Ordering::Relaxed);
    if REPORTED.swap(false, Ordering::Relaxed) {
        REPORTED_NS.store(0, Ordering::Relaxed);
        log::warn!(
            "watchdog: the main loop moves again after {} ms ({ticks} timer ticks), now in {phase:?}",
            xen_abi::shared_info::elapsed_ns(since, now) / 1_000_000
        );
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
    let now = crate::xen::time::system_time_ns();
    let stalled_ns = xen_abi::shared_info::elapsed_ns(SINCE_NS.load(Ordering::Relaxed), now);
    let stalled = stalled_ns >= STALL_NS || ticks >= CLOCK_SUSPECT_TICKS;
    if stalled && !REPORTED.swap(true, Ordering::Relaxed) {
        STALLS.fetch_add(1, Ordering::Relaxed);
        REPORTED_NS.store(now.max(1), Ordering::Relaxed);
        let w = crate::xen::wait::diagnostics();
        log::warn!(
            "watchdog: the main loop has not moved for {} ms ({ticks} timer ticks), in {phase:?}; \
             wait: deadline={:?} wakeups={} now={}; clock: {}",
            stalled_ns / 1_000_000,
            w.deadline,
            w.wakeups,
            w.now,
            crate::xen::time::diagnostics()
        );
        log_cpu("interrupted at");
    } else if REPORTED.load(Ordering::Relaxed) {
        let at = REPORTED_NS.load(Ordering::Relaxed);
        // Half a second later (or, with a clock that does not move, five
        // backstop ticks later): the same RIP and fast-growing counters mean
        // a tight loop; a RIP that moves means slow progress.
        if at != 0
            && (xen_abi::shared_info::elapsed_ns(at, now) >= SECOND_SAMPLE_NS || ticks >= CLOCK_SUSPECT_TICKS + 5)
        {
            REPORTED_NS.store(0, Ordering::Relaxed);
            log_cpu("(still) interrupted at");
        }
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
