//! The shared_info page and the per-vCPU `vcpu_info`: event bitmaps, upcall
//! flags and the pvclock time record.
//!
//! Mirrors `xen/include/public/xen.h` (`struct vcpu_time_info`,
//! `struct vcpu_info`, `struct shared_info`) and
//! `xen/include/public/arch-x86/xen.h` / `arch-x86/xen-x86_64.h`
//! (`struct arch_vcpu_info`, `struct arch_shared_info`).
//!
//! # Access rule
//! Xen writes these pages concurrently with the guest (from other physical
//! CPUs). The fields are plain integers so the layout reads like the header,
//! but the kernel must only touch a live page through atomics
//! (`AtomicU64::from_ptr` on `evtchn_pending`, `evtchn_mask`,
//! `evtchn_pending_sel`; `AtomicU8` on `evtchn_upcall_pending`) or volatile
//! reads (the time records, with their version protocol), never through
//! `&`/`&mut` references to these structs, which would let the compiler assume
//! the memory does not change.

use crate::evtchn::NR_WORDS;

/// `XEN_LEGACY_MAX_VCPUS` (arch-x86/xen.h): `vcpu_info` slots in shared_info.
/// vCPUs beyond it need `VCPUOP_register_vcpu_info`.
pub const XEN_LEGACY_MAX_VCPUS: usize = 32;

/// `XEN_PVCLOCK_TSC_STABLE_BIT` (xen.h): flag in [`VcpuTimeInfo::flags`].
pub const XEN_PVCLOCK_TSC_STABLE_BIT: u8 = 1 << 0;
/// `XEN_PVCLOCK_GUEST_STOPPED` (xen.h): flag in [`VcpuTimeInfo::flags`].
pub const XEN_PVCLOCK_GUEST_STOPPED: u8 = 1 << 1;

/// `struct vcpu_time_info` (xen.h), 32 bytes.
///
/// `version` is odd while Xen updates the record: read version, the fields,
/// version again, and retry if it was odd or changed. System time (ns) =
/// `system_time + (((tsc - tsc_timestamp) << tsc_shift) * tsc_to_system_mul) >> 32`
/// (a negative `tsc_shift` shifts right).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VcpuTimeInfo {
    /// Update counter, odd while an update is in progress.
    pub version: u32,
    /// C `pad0`.
    pub pad0: u32,
    /// TSC at the last update.
    pub tsc_timestamp: u64,
    /// System time (ns since boot) at the last update.
    pub system_time: u64,
    /// TSC-to-ns multiplier (32.32 fixed point).
    pub tsc_to_system_mul: u32,
    /// TSC shift applied before multiplying.
    pub tsc_shift: i8,
    /// `XEN_PVCLOCK_*` (interface version > 0x040600).
    pub flags: u8,
    /// C `pad1[2]`.
    pub pad1: [u8; 2],
}
assert_layout!(VcpuTimeInfo, size = 32, align = 8,
    version @ 0, pad0 @ 4, tsc_timestamp @ 8, system_time @ 16,
    tsc_to_system_mul @ 24, tsc_shift @ 28, flags @ 29, pad1 @ 30);

/// Scales a TSC difference to nanoseconds: `(delta << shift) * mul >> 32`
/// (a negative `shift` shifts right), in 128 bits so nothing overflows
/// before the final shift. Shifts beyond 63 either way count as 63.
pub fn pvclock_scale(delta: u64, mul: u32, shift: i8) -> u64 {
    pvclock_scale_signed(delta as i128, mul, shift) as u64
}

fn pvclock_scale_signed(delta: i128, mul: u32, shift: i8) -> i128 {
    let s = (shift.unsigned_abs() as u32).min(63);
    let d = if shift >= 0 { delta << s } else { delta >> s };
    (d * mul as i128) >> 32
}

impl VcpuTimeInfo {
    /// System time (ns) at TSC value `tsc` by this record.
    ///
    /// The TSC difference is taken as signed: a TSC behind `tsc_timestamp`
    /// gives a time a little before `system_time`, where the unsigned
    /// formula would wrap to centuries ahead. And it is computed without a
    /// branch on the TSC: under QEMU TCG, where Xen emulates a guest's
    /// RDTSC, a compare-and-branch on the value just read was seen to go
    /// the wrong way hundreds of times a second, while the values
    /// themselves (and branch-free arithmetic on them) were right.
    pub fn system_time_at(&self, tsc: u64) -> u64 {
        let delta = tsc.wrapping_sub(self.tsc_timestamp) as i64;
        let ns = pvclock_scale_signed(delta as i128, self.tsc_to_system_mul, self.tsc_shift);
        self.system_time.wrapping_add(ns as i64 as u64)
    }
}

/// Nanoseconds from system time `start` to system time `end`, 0 if `end` is
/// earlier. Xen system time can step back a little between two readings:
/// each is taken from the pvclock record current at the time, and without
/// `XEN_PVCLOCK_TSC_STABLE_BIT` a new record may start before what the old
/// one extrapolated (Linux clamps with `last_value` for this reason,
/// arch/x86/kernel/pvclock.c). A plain `end - start` would then wrap to
/// about 1.8e19 ns.
pub const fn elapsed_ns(start: u64, end: u64) -> u64 {
    end.saturating_sub(start)
}

/// `struct arch_vcpu_info` (arch-x86/xen.h), x86_64.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ArchVcpuInfo {
    /// Faulting address of the last page fault (PV guests).
    pub cr2: u64,
    /// C `pad` (keeps `vcpu_info` at 64 bytes).
    pub pad: u64,
}
assert_layout!(ArchVcpuInfo, size = 16, align = 8, cr2 @ 0, pad @ 8);

/// `struct vcpu_info` (xen.h), 64 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VcpuInfo {
    /// Set non-zero by Xen when it raises an event for this vCPU; the guest
    /// clears it *before* scanning for pending events.
    pub evtchn_upcall_pending: u8,
    /// PV upcall mask (`XEN_HAVE_PV_UPCALL_MASK`); ignored for HVM/PVH.
    pub evtchn_upcall_mask: u8,
    /// Selector: bit `w` set means word `w` of `evtchn_pending` may hold a
    /// newly pending, unmasked port. The guest takes it with an atomic swap.
    pub evtchn_pending_sel: u64,
    /// Architecture part.
    pub arch: ArchVcpuInfo,
    /// This vCPU's pvclock record.
    pub time: VcpuTimeInfo,
}
assert_layout!(VcpuInfo, size = 64, align = 8,
    evtchn_upcall_pending @ 0, evtchn_upcall_mask @ 1, evtchn_pending_sel @ 8,
    arch @ 16, time @ 32);

/// `struct arch_shared_info` (arch-x86/xen.h), x86_64.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ArchSharedInfo {
    /// Valid entries in the p2m table(s).
    pub max_pfn: u64,
    /// Frame list list of the p2m (PV).
    pub pfn_to_mfn_frame_list_list: u64,
    /// NMI reason bits.
    pub nmi_reason: u64,
    /// cr3 of the linear p2m address space.
    pub p2m_cr3: u64,
    /// Virtual address of the linear p2m list.
    pub p2m_vaddr: u64,
    /// p2m generation count.
    pub p2m_generation: u64,
}
assert_layout!(ArchSharedInfo, size = 48, align = 8,
    max_pfn @ 0, pfn_to_mfn_frame_list_list @ 8, nmi_reason @ 16,
    p2m_cr3 @ 24, p2m_vaddr @ 32, p2m_generation @ 40);

/// `struct shared_info` (xen.h), mapped with `XENMEM_add_to_physmap` /
/// `XENMAPSPACE_shared_info`. See the module docs for the access rule.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SharedInfo {
    /// Legacy per-vCPU areas for vCPUs 0..32.
    pub vcpu_info: [VcpuInfo; XEN_LEGACY_MAX_VCPUS],
    /// 2-level pending bitmap: port `p` is bit `p % 64` of word `p / 64`.
    /// Xen sets bits; the guest clears them (atomically).
    pub evtchn_pending: [u64; NR_WORDS],
    /// 2-level mask bitmap, same indexing; written only by the guest, a set
    /// bit suppresses the selector/upcall for that port.
    pub evtchn_mask: [u64; NR_WORDS],
    /// Wallclock version counter (same protocol as [`VcpuTimeInfo::version`]).
    pub wc_version: u32,
    /// Wallclock seconds (low 32 bits).
    pub wc_sec: u32,
    /// Wallclock nanoseconds.
    pub wc_nsec: u32,
    /// Wallclock seconds, high 32 bits (not i386).
    pub wc_sec_hi: u32,
    /// Architecture part.
    pub arch: ArchSharedInfo,
}
assert_layout!(SharedInfo, size = 3136, align = 8,
    vcpu_info @ 0, evtchn_pending @ 2048, evtchn_mask @ 2560, wc_version @ 3072,
    wc_sec @ 3076, wc_nsec @ 3080, wc_sec_hi @ 3084, arch @ 3088);

impl SharedInfo {
    /// An all-zero page, for host tests and static storage.
    pub const fn zeroed() -> SharedInfo {
        const V: VcpuInfo = VcpuInfo {
            evtchn_upcall_pending: 0,
            evtchn_upcall_mask: 0,
            evtchn_pending_sel: 0,
            arch: ArchVcpuInfo { cr2: 0, pad: 0 },
            time: VcpuTimeInfo {
                version: 0,
                pad0: 0,
                tsc_timestamp: 0,
                system_time: 0,
                tsc_to_system_mul: 0,
                tsc_shift: 0,
                flags: 0,
                pad1: [0; 2],
            },
        };
        SharedInfo {
            vcpu_info: [V; XEN_LEGACY_MAX_VCPUS],
            evtchn_pending: [0; NR_WORDS],
            evtchn_mask: [0; NR_WORDS],
            wc_version: 0,
            wc_sec: 0,
            wc_nsec: 0,
            wc_sec_hi: 0,
            arch: ArchSharedInfo {
                max_pfn: 0,
                pfn_to_mfn_frame_list_list: 0,
                nmi_reason: 0,
                p2m_cr3: 0,
                p2m_vaddr: 0,
                p2m_generation: 0,
            },
        }
    }
}

#[cfg(test)]
mod pvclock_tests {
    use super::*;

    fn record(tsc_timestamp: u64, system_time: u64, mul: u32, shift: i8) -> VcpuTimeInfo {
        VcpuTimeInfo { tsc_timestamp, system_time, tsc_to_system_mul: mul, tsc_shift: shift, ..Default::default() }
    }

    #[test]
    fn scale_matches_the_formula() {
        // mul = 2^31 (x0.5), shift 1 (x2): ns = delta.
        assert_eq!(pvclock_scale(1_000_000, 1 << 31, 1), 1_000_000);
        // shift -1 halves first.
        assert_eq!(pvclock_scale(1_000_000, 1 << 31, -1), 250_000);
        // Values seen under the test bed: 2.6e9 ticks at mul 3303823538, shift -1 ~ 1 s.
        let ns = pvclock_scale(2_600_000_000, 3_303_823_538, -1);
        assert!((999_000_000..1_001_000_000).contains(&ns), "{ns}");
        // No overflow before the shift.
        assert_eq!(pvclock_scale(u64::MAX, u32::MAX, 0), ((u64::MAX as u128 * u32::MAX as u128) >> 32) as u64);
        // Absurd shifts never panic.
        let _ = pvclock_scale(5, 1, 100);
        assert_eq!(pvclock_scale(5, u32::MAX, -128), 0);
    }

    #[test]
    fn time_moves_with_the_tsc_on_both_sides_of_the_stamp() {
        let r = record(10_000, 5_000_000, 1 << 31, 1); // 1 tick = 1 ns
        assert_eq!(r.system_time_at(10_000), 5_000_000);
        assert_eq!(r.system_time_at(10_500), 5_000_500);
        // Behind the stamp: a little earlier, not centuries later.
        assert_eq!(r.system_time_at(9_000), 4_999_000);
        assert_eq!(r.system_time_at(0), 4_990_000);
        // Ahead by a long way (2^40 ticks ~ 18 min at 1 GHz): still exact.
        assert_eq!(r.system_time_at(10_000 + (1 << 40)), 5_000_000 + (1 << 40));
    }

    /// Two readings across a record update that steps the clock back (the
    /// new record's time at the second TSC is below the old record's time
    /// at the first): the elapsed time is 0, not a wrapped huge value.
    #[test]
    fn elapsed_across_a_backward_step_is_zero() {
        let old = record(10_000, 5_000_000, 1 << 31, 1);
        let new = record(10_600, 4_999_000, 1 << 31, 1);
        let (t0, t1) = (old.system_time_at(10_500), new.system_time_at(10_700));
        assert!(t1 < t0, "the set-up must step back: {t0} -> {t1}");
        assert_eq!(elapsed_ns(t0, t1), 0);
        assert_eq!(elapsed_ns(t1, t0), t0 - t1);
        assert_eq!(elapsed_ns(old.system_time_at(10_000), old.system_time_at(10_500)), 500);
        assert_eq!(elapsed_ns(u64::MAX, 0), 0);
    }

    #[test]
    fn monotonic_in_the_tsc() {
        let r = record(1 << 40, 1 << 50, 3_303_823_538, -1);
        let mut last = 0;
        for tsc in ((1u64 << 40) - 1_000_000..(1u64 << 40) + 1_000_000).step_by(997) {
            let t = r.system_time_at(tsc);
            assert!(t >= last, "time went back at tsc {tsc}");
            last = t;
        }
    }
}
