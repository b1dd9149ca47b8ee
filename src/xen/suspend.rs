//! Suspend and resume: `xl save`, `xl restore`, `xl migrate`, `xl save -c`.
//!
//! [`suspend`] calls SCHEDOP_shutdown(SHUTDOWN_suspend) on vCPU 0 (the only
//! vCPU) with interrupts off. The call returns in one of two worlds
//! (xen/include/public/sched.h; docs/lifecycle.md):
//!
//! - 1, cancelled (`xl save -c`, a failed save or migration): the same
//!   domain, every port, watch, timer and mapping still in place. Nothing is
//!   redone (a second VIRQ bind or XS_WATCH would fail with EEXIST).
//! - 0, resumed in a new domain (restore, incoming migration): only RAM and
//!   the vCPU/LAPIC registers came along. The shared_info frame is a hole
//!   (reads all-ones) until mapped again; the upcall settings, every port
//!   but the (new) store and console ports, and the timers are gone; the
//!   console and xenstore ring pages were zeroed; the domid changed. All of
//!   it is set up again here, in that order, before interrupts come back
//!   on and before anything is logged (a log line reads the clock, which
//!   lives in shared_info).
//!
//! A 0 in the same domain (a toolstack that resumes without setting the
//! return value, as `xc_domain_resume(fast=0)` does) is told apart by the
//! CPUID incarnation and domid, and handled as a cancel.

use super::{console, cpuid, events, grant, sched, shared, smp, time, upcall, wait, xenstore, XenError};
use crate::arch::cpu;

/// How the suspend ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Running in a new domain: the Xen layer is back (shared_info, upcall,
    /// console, xenstore connection, timer); the application's ports,
    /// watches and xenstore keys are gone and must be made again.
    Resumed {
        /// From CPUID leaf base+4 (None if Xen does not report it).
        domid: Option<u16>,
        /// CPUID leaf base+3 EDX: +1 per restore or incoming migration.
        incarnation: u32,
        /// How far Xen system time jumped across the move, in ns.
        clock_jump_ns: i64,
    },
    /// The toolstack cancelled (or checkpointed): everything is as before.
    Cancelled,
}

/// Why a suspend did not end in an [`Outcome`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuspendError {
    /// Xen refused the suspend: nothing changed, the domain runs on as
    /// after a cancel.
    Refused(XenError),
    /// A step of the rebuild in the new domain failed: the domain is half
    /// rebuilt and cannot go on (the caller crashes it).
    Resume(XenError),
}

impl core::fmt::Display for SuspendError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SuspendError::Refused(e) => write!(f, "suspend refused: {e}"),
            SuspendError::Resume(e) => write!(f, "resume in the new domain failed: {e}"),
        }
    }
}

/// How long to wait for xenconsoled to read our last lines before suspending.
const CONSOLE_DRAIN_NS: u64 = 1_000_000_000;

/// Suspends the domain and returns once it runs again.
///
/// Call from the main loop (never from an event handler), with no xenstore
/// request in flight, after acknowledging the request in `control/shutdown`
/// (else libxl never sees the ack). An error means Xen refused the suspend
/// and nothing changed (the domain runs on as after a cancel). A resume step
/// that fails leaves a half-rebuilt domain that cannot go on: the caller
/// logs it (the console is back by then, or only port 0xe9 is) and crashes.
/// The main loop stops while suspended: the caller tells its watchdog.
pub fn suspend() -> Result<Outcome, SuspendError> {
    // Our own last lines must reach xenconsoled: the restore zeroes the ring.
    if !console::drain(CONSOLE_DRAIN_NS) {
        log::warn!("suspend: xenconsoled did not read the console ring within 1 s; its tail may be lost");
    }
    let before = cpuid::identity();
    smp::park_aps();
    cpu::irq_disable();
    let saved_ns = time::system_time_ns();
    let rc = sched::suspend();
    // From here until shared::map() in resume(), on a real resume, the clock
    // and the event bitmaps read all-ones: no time read, no log line.
    let outcome = match rc {
        Ok(0) if cpuid::identity() != before => resume(saved_ns).map_err(SuspendError::Resume),
        Ok(_) => Ok(Outcome::Cancelled),
        Err(e) => Err(SuspendError::Refused(e)),
    };
    smp::release_aps();
    cpu::irq_enable();
    if let Ok(0) = rc {
        if matches!(outcome, Ok(Outcome::Cancelled)) {
            log::warn!("suspend: Xen returned 0 but CPUID shows the same domain and incarnation: treated as cancelled");
        }
    }
    outcome
}

/// The rebuild in a new domain, interrupts off (docs/lifecycle.md).
fn resume(saved_ns: u64) -> Result<Outcome, XenError> {
    shared::map()?;
    // Xen's fresh shared_info has every port unmasked: mask them, and
    // forget the old ports' handlers.
    events::reset()?;
    upcall::reinstall()?;
    let clock_jump_ns = time::resume(saved_ns);
    console::reconnect();
    // Logging works again from here (the clock and the console are back).
    if !xenstore::reconnect() {
        return Err(XenError {
            op: "xenstore reconnect (HVM_PARAM_STORE_PFN/EVTCHN after resume)",
            errno: xen_abi::Errno(xen_abi::errno::ENODEV),
        });
    }
    wait::init()?;
    smp::resume()?;
    grant::resume()?;
    let (incarnation, domid) = cpuid::identity().unwrap_or((0, None));
    Ok(Outcome::Resumed { domid, incarnation, clock_jump_ns })
}
