//! Our grant table (v1): its frames mapped into guest frames of our own
//! image, the entries granted and revoked through crate gnttab.
//!
//! Mapping (grant_table.h, memory.h; Mini-OS PVH and mirage-xen do the same):
//! `XENMEM_add_to_physmap(XENMAPSPACE_grant_table, idx i, gpfn)` for each
//! frame, the highest index first so Xen grows the table once. The frames go
//! to pages reserved for that in `.bss.xenpages`, which nothing else uses:
//! Xen replaces the RAM behind them with the table. `GNTTABOP_setup_table`
//! is not needed for a translated guest.
//!
//! The table is written by Xen (GTF_reading/GTF_writing) at any time: it is
//! accessed only through gnttab's atomic [`Entry`] view.

use core::cell::UnsafeCell;

use gnttab::{Entry, GrantError, Table};
use spin::Mutex;
use xen_abi::grant_table::{GNTTABOP_query_size, GnttabQuerySize, GrantRef, GRANT_ENTRIES_PER_FRAME_V1};
use xen_abi::hypercall::HYPERVISOR_grant_table_op;
use xen_abi::memory::{XENMAPSPACE_grant_table, XenAddToPhysmap};
use xen_abi::ops::XENMEM_add_to_physmap;
use xen_abi::xen::{DomId, DOMID_SELF};

use super::{hypercall, XenError};

/// Table frames we map: 1024 entries, enough for a vchan with two 1 MiB
/// rings (1 + 2 * 256 refs) next to the 8 reserved ones.
pub const FRAMES: usize = 2;
const ENTRIES: usize = FRAMES * GRANT_ENTRIES_PER_FRAME_V1 as usize;

#[repr(C, align(4096))]
struct Frames(UnsafeCell<[u8; FRAMES * 4096]>);

// SAFETY: once Xen maps the table here, the bytes are accessed only through
// the atomics of gnttab::Entry.
unsafe impl Sync for Frames {}

#[link_section = ".bss.xenpages"]
static FRAMES_AT: Frames = Frames(UnsafeCell::new([0; FRAMES * 4096]));

static TABLE: Mutex<Option<Table<'static, { ENTRIES / 64 }>>> = Mutex::new(None);

/// XENMEM_add_to_physmap(grant_table) of every frame at FRAMES_AT.
fn map_frames() -> Result<&'static [Entry], XenError> {
    let base = FRAMES_AT.0.get() as u64;
    for i in (0..FRAMES as u64).rev() {
        let mut xatp = XenAddToPhysmap {
            domid: DOMID_SELF,
            size: 0,
            space: XENMAPSPACE_grant_table,
            idx: i,
            gpfn: (base >> 12) + i,
        };
        // SAFETY: xatp is a valid xen_add_to_physmap; the frame is a page
        // of FRAMES_AT, reserved for this and from now on touched only
        // through atomics.
        unsafe { hypercall::call_raw(XENMEM_add_to_physmap, &mut xatp) }?;
    }
    // SAFETY: FRAMES_AT is FRAMES pages, 4096-aligned, living for ever;
    // Entry is 8 bytes of atomics with grant_entry_v1's layout (checked at
    // compile time in gnttab), so the pages are ENTRIES entries.
    Ok(unsafe { core::slice::from_raw_parts(base as *const Entry, ENTRIES) })
}

/// In a new domain after a restore or migration, if the table was in use:
/// its frames mapped again (the physmap entries are not in the migration
/// stream; Linux gnttab_resume does the same) and every grant forgotten
/// (the new domain's table has none: the old grantees went with the old
/// domain). Interrupts off, before anything grants again.
pub fn resume() -> Result<(), XenError> {
    let mut table = TABLE.lock();
    if table.is_some() {
        *table = Some(Table::new(map_frames()?));
    }
    Ok(())
}

/// Maps the table frames (once; later calls do nothing) and returns
/// GNTTABOP_query_size's answer (frames in use and the most allowed; its
/// `status` is a `GNTST_*` code, 0 = okay).
pub fn init() -> Result<GnttabQuerySize, XenError> {
    let mut table = TABLE.lock();
    if table.is_none() {
        *table = Some(Table::new(map_frames()?));
    }
    let mut q = GnttabQuerySize { dom: DOMID_SELF, ..Default::default() };
    // SAFETY: grant_table_op(GNTTABOP_query_size, uop, 1): uop points at one
    // gnttab_query_size, which Xen reads and writes only for this call.
    let ret = unsafe {
        hypercall::raw::call3(
            HYPERVISOR_grant_table_op,
            GNTTABOP_query_size as u64,
            &mut q as *mut GnttabQuerySize as u64,
            1,
        )
    };
    XenError::check("GNTTABOP_query_size", ret)?;
    Ok(q)
}

/// Grants the page at guest frame `gfn` to `domid`.
pub fn grant(domid: DomId, gfn: u64, readonly: bool) -> Result<GrantRef, GrantError> {
    let mut table = TABLE.lock();
    let table = table.as_mut().ok_or(GrantError::NoFreeRef { capacity: 0 })?;
    table.grant(domid, gfn as u32, readonly)
}

/// Ends grant `r` unless the grantee still maps it (then
/// [`GrantError::StillMapped`], and the grant stays).
pub fn revoke(r: GrantRef) -> Result<(), GrantError> {
    let mut table = TABLE.lock();
    let table = table.as_mut().ok_or(GrantError::NotGranted { gref: r })?;
    table.revoke(r)
}
