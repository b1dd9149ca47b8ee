//! The shared_info page: Xen's half of the event bitmaps, and the
//! vcpu_info (upcall flag, selector, clock) of each vCPU below 32
//! (`shared_info.vcpu_info[XEN_LEGACY_MAX_VCPUS]`, xen.h; xenbell runs on
//! at most `MAX_CPUS` = 8, so it never needs VCPUOP_register_vcpu_info).
//!
//! Xen writes this page at any time, so Rust never forms a `&SharedInfo`:
//! every access goes through an atomic view of the field at its ABI offset
//! (xen_abi::shared_info, checked against the real headers).

use core::cell::UnsafeCell;
use core::mem::offset_of;
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicU8};

use xen_abi::evtchn::NR_WORDS;
use xen_abi::memory::{XENMAPSPACE_shared_info, XenAddToPhysmap};
use xen_abi::ops::XENMEM_add_to_physmap;
use xen_abi::shared_info::{SharedInfo, VcpuInfo, VcpuTimeInfo};
use xen_abi::xen::DOMID_SELF;

use super::{hypercall, XenError};

#[repr(C, align(4096))]
struct Page(UnsafeCell<[u8; 4096]>);

// SAFETY: the page is only accessed through atomics (below) once Xen maps
// shared_info over it.
unsafe impl Sync for Page {}

/// The guest frame we give to Xen for shared_info: Xen replaces the RAM page
/// at this address with the shared_info page.
#[link_section = ".bss.xenpages"]
static PAGE: Page = Page(UnsafeCell::new([0; 4096]));

fn base() -> usize {
    PAGE.0.get() as usize
}

/// XENMEM_add_to_physmap(XENMAPSPACE_shared_info) at our page's frame.
pub fn map() -> Result<(), XenError> {
    let mut xatp = XenAddToPhysmap {
        domid: DOMID_SELF,
        size: 0,
        space: XENMAPSPACE_shared_info,
        idx: 0,
        gpfn: base() as u64 >> 12,
    };
    // SAFETY: xatp is a valid xen_add_to_physmap; the frame is a page we own
    // and touch only through atomics from now on.
    unsafe { hypercall::call_raw(XENMEM_add_to_physmap, &mut xatp) }.map(|_| ())
}

/// # Safety
/// `offset` must be the offset of a naturally aligned field of type `T` (an
/// atomic integer type) inside shared_info.
unsafe fn field<T>(offset: usize) -> &'static T {
    // SAFETY: per the caller, the address is aligned and inside the page,
    // which lives for ever; atomics have the layout of their integer.
    unsafe { &*((base() + offset) as *const T) }
}

/// evtchn_pending[]: Xen sets bits, we clear them.
pub fn pending() -> &'static [AtomicU64; NR_WORDS] {
    // SAFETY: offset and alignment of a [u64; 64] field (xen_abi checks them).
    unsafe { field(offset_of!(SharedInfo, evtchn_pending)) }
}

/// evtchn_mask[]: ours to write; Xen reads it.
pub fn mask() -> &'static [AtomicU64; NR_WORDS] {
    // SAFETY: as pending().
    unsafe { field(offset_of!(SharedInfo, evtchn_mask)) }
}

/// Offset of `vcpu_info[vcpu]` (a vCPU below `MAX_CPUS`, so below 32).
fn vcpu_info(vcpu: usize) -> usize {
    assert!(vcpu < crate::arch::smp::MAX_CPUS, "vcpu {vcpu}: no vcpu_info in shared_info");
    offset_of!(SharedInfo, vcpu_info) + vcpu * core::mem::size_of::<VcpuInfo>()
}

/// vcpu_info[vcpu].evtchn_upcall_pending
pub fn upcall_pending(vcpu: usize) -> &'static AtomicU8 {
    // SAFETY: a u8 field of vcpu_info[vcpu], inside the page (vcpu < 32).
    unsafe { field(vcpu_info(vcpu) + offset_of!(VcpuInfo, evtchn_upcall_pending)) }
}

/// vcpu_info[vcpu].evtchn_pending_sel
pub fn pending_sel(vcpu: usize) -> &'static AtomicU64 {
    // SAFETY: an aligned u64 field of vcpu_info[vcpu] (64-byte records at
    // an 8-aligned offset), inside the page.
    unsafe { field(vcpu_info(vcpu) + offset_of!(VcpuInfo, evtchn_pending_sel)) }
}

/// vcpu_info[vcpu].time, field by field: (version, tsc_timestamp, system_time, mul, shift).
pub struct TimeFields {
    pub version: &'static AtomicU32,
    pub tsc_timestamp: &'static AtomicU64,
    pub system_time: &'static AtomicU64,
    pub mul: &'static AtomicU32,
    pub shift: &'static AtomicU8,
}

pub fn time(vcpu: usize) -> TimeFields {
    let t = vcpu_info(vcpu) + offset_of!(VcpuInfo, time);
    // SAFETY: each offset is that of a naturally aligned field of vcpu_time_info.
    unsafe {
        TimeFields {
            version: field(t + offset_of!(VcpuTimeInfo, version)),
            tsc_timestamp: field(t + offset_of!(VcpuTimeInfo, tsc_timestamp)),
            system_time: field(t + offset_of!(VcpuTimeInfo, system_time)),
            mul: field(t + offset_of!(VcpuTimeInfo, tsc_to_system_mul)),
            shift: field(t + offset_of!(VcpuTimeInfo, tsc_shift)),
        }
    }
}
