//! memory_op queries: the domain's memory map (for a PVH dom0, whose start
//! info has none).

use spin::Mutex;
use xen_abi::memory::{E820Entry, XenMemoryMap};
use xen_abi::ops::{XENMEM_maximum_reservation, XENMEM_memory_map};
use xen_abi::start_info::HvmMemmapTableEntry;
use xen_abi::xen::DomId;

use super::{hypercall, XenError};

const MAX: usize = 128;
static E820: Mutex<[E820Entry; MAX]> = Mutex::new([E820Entry { addr: 0, size: 0, type_: 0 }; MAX]);

/// XENMEM_memory_map, converted to start-info memory-map entries (the type
/// numbers are the same).
pub fn memory_map() -> Result<&'static [HvmMemmapTableEntry], XenError> {
    static OUT: Mutex<[HvmMemmapTableEntry; MAX]> =
        Mutex::new([HvmMemmapTableEntry { addr: 0, size: 0, type_: 0, reserved: 0 }; MAX]);
    let mut e820 = E820.lock();
    let mut map = XenMemoryMap { nr_entries: MAX as u32, buffer: e820.as_mut_ptr() as u64 };
    // SAFETY: map describes a buffer of MAX entries that outlives the call.
    unsafe { hypercall::call_raw(XENMEM_memory_map, &mut map) }?;
    let n = (map.nr_entries as usize).min(MAX);
    let mut out = OUT.lock();
    for (o, e) in out.iter_mut().zip(e820.iter()).take(n) {
        *o = HvmMemmapTableEntry { addr: e.addr, size: e.size, type_: e.type_, reserved: 0 };
    }
    // The result lives in a static that is written only here, once, at boot.
    let ptr = out.as_ptr();
    drop(out);
    // SAFETY: OUT is 'static and not written again after boot (memory_map is
    // called once, before anything else can run).
    Ok(unsafe { core::slice::from_raw_parts(ptr, n) })
}

/// Whether domain `dom` exists. Xen answers XENMEM_maximum_reservation for
/// another domain with ESRCH when there is none, and EPERM when there is one
/// we may not inspect: either answer settles it.
pub fn domain_exists(dom: DomId) -> Result<bool, XenError> {
    let mut domid: DomId = dom;
    match hypercall::call(XENMEM_maximum_reservation, &mut domid) {
        Ok(_) => Ok(true),
        Err(e) if e.errno.0 == xen_abi::errno::EPERM => Ok(true),
        Err(e) if e.errno.0 == xen_abi::errno::ESRCH => Ok(false),
        Err(e) => Err(e),
    }
}
