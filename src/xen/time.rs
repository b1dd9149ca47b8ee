//! Xen system time: nanoseconds since the domain's clock epoch, from
//! vcpu_time_info (xen/include/public/xen.h) and the TSC. Each vCPU reads
//! its own vcpu_info's record (Xen keeps one per vCPU, for its pCPU's TSC).
//!
//!   ns = system_time + ((tsc - tsc_timestamp) << shift (or >> -shift)) * mul >> 32
//!
//! Xen updates the record while we may read it: it makes `version` odd,
//! writes, then makes it even again. We read version (Acquire), the fields,
//! the TSC (ordered after those loads: LFENCE; RDTSC), then version again
//! (after an Acquire fence), and retry if it was odd or changed.
//!
//! The clock can step back a little (a new record, on a host without
//! `XEN_PVCLOCK_TSC_STABLE_BIT`), so elapsed times are taken with
//! [`xen_abi::shared_info::elapsed_ns`], never a plain `-`.

use core::sync::atomic::{fence, AtomicBool, AtomicU64, Ordering};

use xen_abi::shared_info::{pvclock_scale, VcpuTimeInfo};

use super::shared;
use crate::arch::cpu::rdtsc_ordered;

static READY: AtomicBool = AtomicBool::new(false);
/// System time at kernel entry, so log timestamps count from there.
static EPOCH: AtomicU64 = AtomicU64::new(0);

/// Called once shared_info is mapped, with the TSC read at kernel entry:
/// converted with the same pvclock record, it dates the entry in Xen time.
pub fn init(entry_tsc: u64) {
    let now_tsc = rdtsc_ordered();
    let now = system_time_ns();
    let t = shared::time(crate::arch::smp::index() as usize);
    let since_entry = pvclock_scale(
        now_tsc.wrapping_sub(entry_tsc),
        t.mul.load(Ordering::Relaxed),
        t.shift.load(Ordering::Relaxed) as i8,
    );
    EPOCH.store(now.saturating_sub(since_entry), Ordering::Relaxed);
    READY.store(true, Ordering::Release);
}

/// A TSC difference in ns, with the current pvclock record's scale (for
/// intervals measured with the TSC before the clock was set up).
pub fn tsc_delta_ns(delta: u64) -> u64 {
    let t = shared::time(crate::arch::smp::index() as usize);
    pvclock_scale(delta, t.mul.load(Ordering::Relaxed), t.shift.load(Ordering::Relaxed) as i8)
}

/// Clock reads since boot: each one reads the TSC, which Xen traps (an exit)
/// unless the domain runs with tsc_mode="native".
static READS: AtomicU64 = AtomicU64::new(0);

pub fn reads() -> u64 {
    READS.load(Ordering::Relaxed)
}

/// Xen system time in ns (absolute: the unit of set_timer_op and SCHEDOP_poll).
pub fn system_time_ns() -> u64 {
    READS.fetch_add(1, Ordering::Relaxed);
    let t = shared::time(crate::arch::smp::index() as usize);
    loop {
        let v1 = t.version.load(Ordering::Acquire);
        if v1 & 1 != 0 {
            core::hint::spin_loop();
            continue;
        }
        let record = read_record(&t, v1);
        // Ordered: not before the version and field loads above, or a TSC
        // of another pCPU could be combined with this record unnoticed.
        let tsc = rdtsc_ordered();
        // Order the field reads before the second version read.
        fence(Ordering::Acquire);
        if t.version.load(Ordering::Relaxed) == v1 {
            return record.system_time_at(tsc);
        }
    }
}

/// The record's fields as they are now (Relaxed: the caller orders them
/// with the version reads), with `version` as the caller read it.
fn read_record(t: &shared::TimeFields, version: u32) -> VcpuTimeInfo {
    VcpuTimeInfo {
        version,
        tsc_timestamp: t.tsc_timestamp.load(Ordering::Relaxed),
        system_time: t.system_time.load(Ordering::Relaxed),
        tsc_to_system_mul: t.mul.load(Ordering::Relaxed),
        tsc_shift: t.shift.load(Ordering::Relaxed) as i8,
        ..Default::default()
    }
}

/// After a resume in a new domain: Xen system time jumped (forward by the
/// downtime on the same host, anywhere on another host), so the epoch moves
/// by the jump and [`now_ns`] goes on from `saved_ns` (the system time read
/// just before suspending): log timestamps and durations do not count the
/// time the domain did not exist, and never run backwards. Absolute Xen
/// time ([`system_time_ns`], for set_timer_op and SCHEDOP_poll) is not
/// touched. Returns the jump in ns (negative: the clock went back).
pub fn resume(saved_ns: u64) -> i64 {
    let jump = system_time_ns().wrapping_sub(saved_ns);
    EPOCH.fetch_add(jump, Ordering::Relaxed);
    jump as i64
}

/// Nanoseconds since boot, or None before the clock is set up.
pub fn now_ns() -> Option<u64> {
    READY.load(Ordering::Acquire).then(|| system_time_ns().saturating_sub(EPOCH.load(Ordering::Relaxed)))
}

/// The clock's record and the TSC now, for stall reports (one unchecked
/// look: a torn record is itself worth seeing).
pub struct Diagnostics {
    record: VcpuTimeInfo,
    tsc: u64,
}

pub fn diagnostics() -> Diagnostics {
    let t = shared::time(crate::arch::smp::index() as usize);
    let record = read_record(&t, t.version.load(Ordering::Acquire));
    Diagnostics { record, tsc: rdtsc_ordered() }
}

impl core::fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let r = &self.record;
        write!(
            f,
            "version={} tsc_timestamp={} system_time={} mul={} shift={} tsc={}",
            r.version, r.tsc_timestamp, r.system_time, r.tsc_to_system_mul, r.tsc_shift, self.tsc
        )
    }
}
