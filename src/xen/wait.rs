//! Waiting: for a condition set by an event handler, with an optional
//! deadline enforced by VIRQ_TIMER + set_timer_op.
//!
//! The vCPU idles with `sti; hlt` (interrupts enabled): Xen wakes it for the
//! upcall. Never `cli; hlt`: Xen takes such a vCPU offline.

use core::sync::atomic::{AtomicU64, Ordering};

use handler_table::HandlerTable;

use xen_abi::ops::{VCPUOP_set_periodic_timer, VCPUOP_stop_periodic_timer};
use xen_abi::vcpu::VcpuSetPeriodicTimer;
use xen_abi::xen::VIRQ_TIMER;
use xen_abi::Port;

use super::{events, evtchn, hypercall, time, XenError};
use crate::arch::cpu;

static TIMER_FIRED: AtomicU64 = AtomicU64::new(0);
/// The deadline of the wait in progress (0: none, or no wait), and wake-ups
/// so far: for the watchdog's report.
static DEADLINE: AtomicU64 = AtomicU64::new(0);
static WAKEUPS: AtomicU64 = AtomicU64::new(0);

// SAFETY: fn() is a fn pointer type.
static TICK_HOOK: HandlerTable<fn(), 1> = unsafe { HandlerTable::new() };

/// Runs `hook` on every VIRQ_TIMER event, in the upcall (interrupts off;
/// keep it short): how the layer above watches the main loop (the stall
/// watchdog) without this layer knowing of it.
pub fn on_tick(hook: fn()) {
    let _ = TICK_HOOK.set(0, hook);
}

fn on_timer(_: Port) {
    TIMER_FIRED.fetch_add(1, Ordering::Relaxed);
    if let Some(hook) = TICK_HOOK.get(0) {
        hook();
    }
}

/// The current wait, for stall reports.
pub struct Diagnostics {
    pub deadline: Option<u64>,
    pub wakeups: u64,
    pub now: u64,
}

pub fn diagnostics() -> Diagnostics {
    let d = DEADLINE.load(Ordering::Relaxed);
    Diagnostics {
        deadline: (d != 0).then_some(d),
        wakeups: WAKEUPS.load(Ordering::Relaxed),
        now: time::system_time_ns(),
    }
}

/// Period of the backstop timer (see [`init`]).
pub const BACKSTOP_NS: u64 = 100_000_000;

/// Binds VIRQ_TIMER on vCPU 0 (kept for the life of the kernel) and starts
/// a periodic timer as a backstop: every wait also arms the one-shot timer,
/// but should a one-shot event ever be lost (or a deadline be computed from
/// a bad clock read), a periodic VIRQ_TIMER every [`BACKSTOP_NS`] still
/// wakes the vCPU to look at the clock. Ten wake-ups a second cost nothing.
pub fn init() -> Result<Port, XenError> {
    let port = evtchn::bind_virq(VIRQ_TIMER, 0)?;
    events::bind_handler(port, on_timer);
    start_backstop()?;
    Ok(port)
}

fn start_backstop() -> Result<(), XenError> {
    let mut periodic = VcpuSetPeriodicTimer { period_ns: BACKSTOP_NS };
    hypercall::vcpu(VCPUOP_set_periodic_timer, 0, &mut periodic).map(|_| ())
}

fn stop_backstop() -> Result<(), XenError> {
    hypercall::vcpu(VCPUOP_stop_periodic_timer, 0, &mut ()).map(|_| ())
}

/// Waits without a deadline until `cond()` holds, with the periodic
/// backstop stopped: an idle kernel (nothing to do until an event comes)
/// is not woken by timers at all. A wait without a deadline has no clock to
/// check, so the backstop has nothing to guard; it is started again before
/// returning. The caller reports [`crate::watchdog::Phase::Idle`], which
/// the watchdog does not count as a stall.
pub fn idle_until(cond: impl Fn() -> bool) {
    if let Err(e) = stop_backstop() {
        log::warn!("wait: {e}");
    }
    let _ = wait_until(None, cond);
    if let Err(e) = start_backstop() {
        log::warn!("wait: {e}");
    }
}

/// Times the vCPU woke from `hlt` inside a wait, since boot.
pub fn wakeups() -> u64 {
    WAKEUPS.load(Ordering::Relaxed)
}

/// How often VIRQ_TIMER fired.
pub fn timer_fired() -> u64 {
    TIMER_FIRED.load(Ordering::Relaxed)
}

/// Arms the one-shot timer at absolute Xen system time `deadline_ns`.
pub fn arm_timer(deadline_ns: u64) -> Result<(), XenError> {
    hypercall::set_timer_op(deadline_ns)
}

/// Waits until `cond()` holds (true) or `timeout_ns` passes (false).
/// `cond` is evaluated with interrupts off, so a wake-up cannot slip in
/// between the check and the halt.
///
/// The deadline is checked against the clock at the start and after every
/// timer event (see the loop). The one-shot timer is armed for it (and armed
/// again whenever a timer event came without the deadline being reached: one
/// timer serves every wait);
/// the periodic backstop of [`init`] bounds the wait even if that fails.
///
/// The timer events themselves bound it too: a wait of `t` sees at most
/// `t / BACKSTOP_NS + 1` periodic events and one one-shot event before its
/// deadline, so more than [`tick_budget`] of them means the clock reads
/// wrong (a bad read that put the deadline far ahead, say), and the wait
/// ends as timed out, with a warning, instead of never.
pub fn wait_until(timeout_ns: Option<u64>, cond: impl Fn() -> bool) -> bool {
    let done = wait(timeout_ns, cond);
    DEADLINE.store(0, Ordering::Relaxed);
    done
}

fn wait(timeout_ns: Option<u64>, cond: impl Fn() -> bool) -> bool {
    let deadline = timeout_ns.map(|t| time::system_time_ns().saturating_add(t));
    let mut seen = timer_fired();
    let (start, budget) = (seen, timeout_ns.map_or(u64::MAX, tick_budget));
    DEADLINE.store(deadline.unwrap_or(0), Ordering::Relaxed);
    if let Some(d) = deadline {
        if let Err(e) = arm_timer(d) {
            log::warn!("wait: {e}");
        }
    }
    // The clock is read on the first pass and then only when a timer event
    // came: the deadline has a one-shot timer armed for it (and the periodic
    // backstop besides), so it cannot pass without one. A wake-up by any
    // other event (a peer's ping) costs no clock read, which is a trapped
    // RDTSC, an exit to Xen, in Xen's default TSC mode.
    let mut first = true;
    loop {
        cpu::irq_disable();
        if cond() {
            cpu::irq_enable();
            return true;
        }
        if let Some(d) = deadline {
            let fired = timer_fired();
            if first || fired != seen {
                first = false;
                if time::system_time_ns() >= d {
                    cpu::irq_enable();
                    return false;
                }
                if fired.wrapping_sub(start) > budget {
                    cpu::irq_enable();
                    log::warn!(
                        "wait: {} timer events passed, more than a {} ms wait can see, but the clock reads {} < deadline {}: ending the wait",
                        fired.wrapping_sub(start),
                        timeout_ns.unwrap_or(0) / 1_000_000,
                        time::system_time_ns(),
                        d
                    );
                    return false;
                }
                if fired != seen {
                    seen = fired;
                    let _ = arm_timer(d);
                }
            }
        }
        // sti; hlt: an upcall pending at the sti is taken after the hlt starts.
        cpu::idle();
        WAKEUPS.fetch_add(1, Ordering::Relaxed);
    }
}

/// The most timer events a wait of `timeout_ns` can see before its deadline
/// (periodic ones, the one-shot, and one of slack).
pub const fn tick_budget(timeout_ns: u64) -> u64 {
    timeout_ns / BACKSTOP_NS + 3
}

/// Sleeps for `ns`.
pub fn sleep(ns: u64) {
    let _ = wait_until(Some(ns), || false);
}
