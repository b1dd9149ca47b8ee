//! `memory_op` (hypercall 12): mapping Xen pages into our physical address space.
//!
//! Mirrors `xen/include/public/memory.h`.

use crate::xen::DomId;

/// `XENMEM_add_to_physmap` (memory.h): arg is [`XenAddToPhysmap`].
pub const XENMEM_add_to_physmap: u32 = 7;

/// `XENMAPSPACE_shared_info` (memory.h): the shared_info page (idx 0).
pub const XENMAPSPACE_shared_info: u32 = 0;
/// `XENMAPSPACE_grant_table` (memory.h).
pub const XENMAPSPACE_grant_table: u32 = 1;
/// `XENMAPSPACE_gmfn` (memory.h).
pub const XENMAPSPACE_gmfn: u32 = 2;
/// `XENMAPSPACE_gmfn_range` (memory.h).
pub const XENMAPSPACE_gmfn_range: u32 = 3;
/// `XENMAPSPACE_gmfn_foreign` (memory.h).
pub const XENMAPSPACE_gmfn_foreign: u32 = 4;
/// `XENMAPSPACE_dev_mmio` (memory.h).
pub const XENMAPSPACE_dev_mmio: u32 = 5;

/// `struct xen_add_to_physmap` (memory.h).
///
/// To map shared_info: `{ domid: DOMID_SELF, size: 0, space:
/// XENMAPSPACE_shared_info, idx: 0, gpfn: <page frame you chose> }`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct XenAddToPhysmap {
    /// Domain whose physmap changes (usually `DOMID_SELF`).
    pub domid: DomId,
    /// Number of pages, for `XENMAPSPACE_gmfn_range` only.
    pub size: u16,
    /// `XENMAPSPACE_*`.
    pub space: u32,
    /// Index into the space being mapped.
    pub idx: u64,
    /// Guest page frame number where the page should appear.
    pub gpfn: u64,
}
assert_layout!(XenAddToPhysmap, size = 24, align = 8,
    domid @ 0, size @ 2, space @ 4, idx @ 8, gpfn @ 16);

/// `XENMEM_maximum_reservation` (memory.h): arg is a `domid_t`; returns the
/// domain's page limit, -ESRCH if no such domain exists, -EPERM if it exists
/// but is not ours to ask about (which still tells that it exists).
pub const XENMEM_maximum_reservation: u32 = 4;

/// `XENMEM_memory_map` (memory.h): the domain's pseudo-physical memory map,
/// in e820 format; arg is [`XenMemoryMap`]. A PVH dom0's start info carries
/// no memory map (version 0), so this is where it gets one.
pub const XENMEM_memory_map: u32 = 9;

/// `struct xen_memory_map` (memory.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct XenMemoryMap {
    /// In: entries the buffer holds; out: entries written.
    pub nr_entries: u32,
    /// Guest address of an array of [`E820Entry`].
    pub buffer: u64,
}
assert_layout!(XenMemoryMap, size = 16, align = 8, nr_entries @ 0, buffer @ 8);

/// One entry of a BIOS INT 0x15 E820 map, as XENMEM_memory_map returns it:
/// 20 bytes, packed (`struct e820entry` in Xen's asm-x86/e820.h). Types are
/// those of the PVH memory map (1 = RAM).
#[repr(C, packed)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct E820Entry {
    /// Base address.
    pub addr: u64,
    /// Size in bytes.
    pub size: u64,
    /// C `type`: 1 = RAM, 2 = reserved, ... (`XEN_HVM_MEMMAP_TYPE_*` values).
    pub type_: u32,
}
assert_layout!(E820Entry, size = 20, align = 1, addr @ 0, size @ 8, type_ @ 16);
