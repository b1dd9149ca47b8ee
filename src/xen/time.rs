//! Xen system time: nanoseconds since the domain's clock epoch, from
//! vcpu_time_info (xen/include/public/xen.h) and the TSC.
//!
//!   ns = system_time + ((tsc - tsc_timestamp) << shift (or >> -shift)) * mul >> 32
//!
//! Xen updates the record while we may read it: it makes `version` odd,
//! writes, then makes it even again. We read version (Acquire), the fields,
//! then version again (after an Acquire fence), and retry if it was odd or
//! changed.

use core::sync::atomic::{fence, AtomicBool, AtomicU64, Ordering};

use super::shared;
use crate::arch::cpu::rdtsc;

static READY: AtomicBool = AtomicBool::new(false);
/// The largest value returned so far (monotonicity across updates).
static LAST: AtomicU64 = AtomicU64::new(0);
/// System time at kernel entry, so log timestamps count from there.
static EPOCH: AtomicU64 = AtomicU64::new(0);

/// Called once shared_info is mapped, with the TSC read at kernel entry:
/// converted with the same pvclock record, it dates the entry in Xen time.
pub fn init(entry_tsc: u64) {
    let now_tsc = rdtsc();
    let now = system_time_ns();
    let t = shared::time();
    let since_entry = scale(now_tsc.wrapping_sub(entry_tsc), t.mul.load(Ordering::Relaxed), t.shift.load(Ordering::Relaxed) as i8);
    EPOCH.store(now.saturating_sub(since_entry), Ordering::Relaxed);
    READY.store(true, Ordering::Release);
}

/// Scales a TSC delta to nanoseconds (pvclock arithmetic), in 128 bits so
/// that no shift or product can overflow.
pub fn scale(delta: u64, mul: u32, shift: i8) -> u64 {
    let d = delta as u128;
    let d = if shift >= 0 { d << shift.min(63) } else { d >> (-(shift as i16)).min(127) };
    ((d * mul as u128) >> 32).min(u64::MAX as u128) as u64
}

/// Xen system time in ns (absolute: the unit of set_timer_op and SCHEDOP_poll).
pub fn system_time_ns() -> u64 {
    let t = shared::time();
    loop {
        let v1 = t.version.load(Ordering::Acquire);
        if v1 & 1 != 0 {
            core::hint::spin_loop();
            continue;
        }
        let tsc_ts = t.tsc_timestamp.load(Ordering::Relaxed);
        let sys = t.system_time.load(Ordering::Relaxed);
        let mul = t.mul.load(Ordering::Relaxed);
        let shift = t.shift.load(Ordering::Relaxed) as i8;
        let tsc = rdtsc();
        // Order the field reads before the second version read.
        fence(Ordering::Acquire);
        if t.version.load(Ordering::Relaxed) == v1 {
            // A TSC read a little before Xen's stamp (its stamps can run
            // ahead of the guest's TSC view by a hair) is a delta of 0, not
            // a wrapped 2^64 - n: that garbage once put a wait's deadline
            // days into the future and stopped the guest's main loop.
            let now = sys.wrapping_add(scale(tsc.saturating_sub(tsc_ts), mul, shift));
            // And the clock never goes backwards, across records either.
            let last = LAST.fetch_max(now, Ordering::Relaxed);
            return now.max(last);
        }
    }
}

/// Nanoseconds since boot, or None before the clock is set up.
pub fn now_ns() -> Option<u64> {
    READY.load(Ordering::Acquire).then(|| system_time_ns().saturating_sub(EPOCH.load(Ordering::Relaxed)))
}
