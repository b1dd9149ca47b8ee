//! Grant tables, version 1 (`grant_table_op`, hypercall 20): the entries a
//! guest writes to let another domain map its pages, and the query of the
//! table's size.
//!
//! Mirrors `xen/include/public/grant_table.h`. A PVH guest maps its table
//! frames with `XENMEM_add_to_physmap(XENMAPSPACE_grant_table)` (memory.h),
//! so `GNTTABOP_setup_table` is not needed; `hvm_grant_table_op` in Xen
//! allows query_size, setup_table, set_version, get_version, copy, map,
//! unmap and swap for HVM/PVH guests.

use crate::xen::DomId;

/// `grant_ref_t` (grant_table.h): an index into the grant table.
pub type GrantRef = u32;

/// `GNTTABOP_map_grant_ref` (grant_table.h).
pub const GNTTABOP_map_grant_ref: u32 = 0;
/// `GNTTABOP_unmap_grant_ref` (grant_table.h).
pub const GNTTABOP_unmap_grant_ref: u32 = 1;
/// `GNTTABOP_setup_table` (grant_table.h).
pub const GNTTABOP_setup_table: u32 = 2;
/// `GNTTABOP_copy` (grant_table.h).
pub const GNTTABOP_copy: u32 = 5;
/// `GNTTABOP_query_size` (grant_table.h): arg is an array of `count`
/// [`GnttabQuerySize`]. grant_table_op takes three arguments `(cmd, uop,
/// count)`, so its commands are not in [`crate::ops`] (two-argument calls).
pub const GNTTABOP_query_size: u32 = 6;
/// `GNTTABOP_set_version` (grant_table.h).
pub const GNTTABOP_set_version: u32 = 8;
/// `GNTTABOP_get_version` (grant_table.h).
pub const GNTTABOP_get_version: u32 = 10;

/// `GNTTAB_NR_RESERVED_ENTRIES` (grant_table.h): entries 0..8 are the
/// toolstack's, never handed out by a guest's allocator.
pub const GNTTAB_NR_RESERVED_ENTRIES: u32 = 8;
/// `GNTTAB_RESERVED_CONSOLE` (grant_table.h): seeded by the domain builder.
pub const GNTTAB_RESERVED_CONSOLE: u32 = 0;
/// `GNTTAB_RESERVED_XENSTORE` (grant_table.h): seeded by the domain builder.
pub const GNTTAB_RESERVED_XENSTORE: u32 = 1;

/// `GTF_invalid` (grant_table.h): the entry grants nothing.
pub const GTF_invalid: u16 = 0;
/// `GTF_permit_access` (grant_table.h): `domid` may map or copy `frame`.
pub const GTF_permit_access: u16 = 1;
/// `GTF_type_mask` (grant_table.h).
pub const GTF_type_mask: u16 = 3;
/// `GTF_readonly` (grant_table.h): the grantee may only read.
pub const GTF_readonly: u16 = 1 << 2;
/// `GTF_reading` (grant_table.h): set by Xen while the grantee maps the
/// frame (read or read-write).
pub const GTF_reading: u16 = 1 << 3;
/// `GTF_writing` (grant_table.h): set by Xen while the grantee maps the
/// frame writable.
pub const GTF_writing: u16 = 1 << 4;

/// Entries in one 4 KiB frame of a v1 table: `4096 / sizeof(grant_entry_v1)`.
pub const GRANT_ENTRIES_PER_FRAME_V1: u32 = 512;

/// `struct grant_entry_v1` (grant_table.h). The granter writes `domid` and
/// `frame` first, then (after a write barrier) `flags`; Xen sets
/// `GTF_reading`/`GTF_writing` in `flags` while the grant is mapped.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GrantEntryV1 {
    /// `GTF_*`.
    pub flags: u16,
    /// The domain being granted access.
    pub domid: DomId,
    /// The granted frame (a GFN for a translated guest such as PVH).
    pub frame: u32,
}
assert_layout!(GrantEntryV1, size = 8, align = 4, flags @ 0, domid @ 2, frame @ 4);

/// `struct gnttab_query_size` (grant_table.h): the table's current and
/// maximum number of frames.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GnttabQuerySize {
    /// IN: `DOMID_SELF`.
    pub dom: DomId,
    /// OUT: frames in use.
    pub nr_frames: u32,
    /// OUT: the most the table may grow to.
    pub max_nr_frames: u32,
    /// OUT: `GNTST_*` (0 = okay).
    pub status: i16,
}
assert_layout!(GnttabQuerySize, size = 16, align = 4, dom @ 0, nr_frames @ 4, max_nr_frames @ 8, status @ 12);
