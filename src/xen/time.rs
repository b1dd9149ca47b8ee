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

use xen_abi::shared_info::{pvclock_scale, VcpuTimeInfo};

use super::shared;
use crate::arch::cpu::rdtsc;

static READY: AtomicBool = AtomicBool::new(false);
/// System time at kernel entry, so log timestamps count from there.
static EPOCH: AtomicU64 = AtomicU64::new(0);

/// Called once shared_info is mapped, with the TSC read at kernel entry:
/// converted with the same pvclock record, it dates the entry in Xen time.
pub fn init(entry_tsc: u64) {
    let now_tsc = rdtsc();
    let now = system_time_ns();
    let t = shared::time();
    let since_entry = pvclock_scale(now_tsc.wrapping_sub(entry_tsc), t.mul.load(Ordering::Relaxed), t.shift.load(Ordering::Relaxed) as i8);
    EPOCH.store(now.saturating_sub(since_entry), Ordering::Relaxed);
    READY.store(true, Ordering::Release);
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
            let record = VcpuTimeInfo { tsc_timestamp: tsc_ts, system_time: sys, tsc_to_system_mul: mul, tsc_shift: shift, ..Default::default() };
            return record.system_time_at(tsc);
        }
    }
}

/// Nanoseconds since boot, or None before the clock is set up.
pub fn now_ns() -> Option<u64> {
    READY.load(Ordering::Acquire).then(|| system_time_ns().saturating_sub(EPOCH.load(Ordering::Relaxed)))
}

/// The clock's record and the TSC now, for stall reports.
pub struct Diagnostics {
    version: u32,
    tsc_timestamp: u64,
    system_time: u64,
    mul: u32,
    shift: i8,
    tsc: u64,
}

pub fn diagnostics() -> Diagnostics {
    let t = shared::time();
    Diagnostics {
        version: t.version.load(Ordering::Acquire),
        tsc_timestamp: t.tsc_timestamp.load(Ordering::Relaxed),
        system_time: t.system_time.load(Ordering::Relaxed),
        mul: t.mul.load(Ordering::Relaxed),
        shift: t.shift.load(Ordering::Relaxed) as i8,
        tsc: rdtsc(),
    }
}

impl core::fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "version={} tsc_timestamp={} system_time={} mul={} shift={} tsc={}",
            self.version, self.tsc_timestamp, self.system_time, self.mul, self.shift, self.tsc
        )
    }
}
