//! Grant table v1: granting a frame to another domain and taking it back,
//! and the allocator of grant references.
//!
//! Source: `xen/include/public/grant_table.h` ("Introducing a valid entry
//! into the grant table": write `domid` and `frame`, a write barrier, then
//! `flags`; "Invalidating an unused GTF_permit_access entry": compare-and-swap
//! `flags` to 0 only while neither `GTF_reading` nor `GTF_writing` is set).
//! Entries 0..`GNTTAB_NR_RESERVED_ENTRIES` belong to the toolstack (0 =
//! console, 1 = xenstore) and are never handed out.
//!
//! The table is shared with Xen, which sets and clears `GTF_reading` /
//! `GTF_writing` while the grantee maps the frame: every access is atomic.
//! A grant the peer still maps is [`GrantError::StillMapped`]: the reference
//! stays allocated and the frame stays the peer's until a later revoke
//! succeeds; nothing is freed or forgotten silently.
#![cfg_attr(not(test), no_std)]

use core::sync::atomic::{fence, AtomicU16, AtomicU32, Ordering};

use xen_abi::grant_table::{
    GTF_permit_access, GTF_reading, GTF_readonly, GTF_writing, GrantEntryV1, GrantRef, GNTTAB_NR_RESERVED_ENTRIES,
};
use xen_abi::DomId;

/// `struct grant_entry_v1` (grant_table.h) as atomics, same layout as
/// [`GrantEntryV1`].
#[repr(C)]
#[derive(Debug, Default)]
pub struct Entry {
    /// `GTF_*`.
    pub flags: AtomicU16,
    /// The grantee.
    pub domid: AtomicU16,
    /// The granted frame (GFN).
    pub frame: AtomicU32,
}

const _: () = assert!(core::mem::size_of::<Entry>() == core::mem::size_of::<GrantEntryV1>());
const _: () = assert!(core::mem::offset_of!(Entry, flags) == core::mem::offset_of!(GrantEntryV1, flags));
const _: () = assert!(core::mem::offset_of!(Entry, domid) == core::mem::offset_of!(GrantEntryV1, domid));
const _: () = assert!(core::mem::offset_of!(Entry, frame) == core::mem::offset_of!(GrantEntryV1, frame));

/// Why a grant or a revoke did not happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantError {
    /// Every reference of the table is in use.
    NoFreeRef { capacity: u32 },
    /// The grantee still maps the frame (`GTF_reading`/`GTF_writing` set):
    /// the grant stays in place.
    StillMapped { gref: GrantRef, flags: u16 },
    /// The reference is not one we handed out (a caller bug).
    NotGranted { gref: GrantRef },
}

impl core::fmt::Display for GrantError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            GrantError::NoFreeRef { capacity } => write!(f, "grant table: all {capacity} references in use"),
            GrantError::StillMapped { gref, flags } => {
                write!(f, "grant ref {gref}: still mapped by the grantee (flags {flags:#x}), not revoked")
            }
            GrantError::NotGranted { gref } => write!(f, "grant ref {gref}: not granted by us"),
        }
    }
}

/// Reference allocator over `64 * WORDS` entries; never returns a reserved
/// entry (below `GNTTAB_NR_RESERVED_ENTRIES`) or one at or past `limit`
/// (the entries the mapped table frames hold).
#[derive(Debug)]
pub struct RefAllocator<const WORDS: usize> {
    used: [u64; WORDS],
    limit: u32,
}

impl<const WORDS: usize> RefAllocator<WORDS> {
    /// No references handed out; `limit` = entries in the mapped frames
    /// (clamped to the allocator's capacity).
    pub const fn new(limit: u32) -> Self {
        let cap = (WORDS * 64) as u32;
        RefAllocator { used: [0; WORDS], limit: if limit < cap { limit } else { cap } }
    }

    /// Entries that may ever be handed out.
    pub fn capacity(&self) -> u32 {
        self.limit.saturating_sub(GNTTAB_NR_RESERVED_ENTRIES)
    }

    /// The lowest free reference.
    pub fn alloc(&mut self) -> Option<GrantRef> {
        (GNTTAB_NR_RESERVED_ENTRIES..self.limit).find(|&r| !self.is_used(r)).inspect(|&r| self.set(r, true))
    }

    /// Whether `r` is handed out.
    pub fn is_used(&self, r: GrantRef) -> bool {
        let (w, b) = (r as usize / 64, r % 64);
        w < WORDS && self.used[w] & (1 << b) != 0
    }

    fn set(&mut self, r: GrantRef, on: bool) {
        let (w, b) = (r as usize / 64, r % 64);
        if on {
            self.used[w] |= 1 << b;
        } else {
            self.used[w] &= !(1 << b);
        }
    }

    /// Returns `r`; false if it was not handed out (nothing changes).
    pub fn free(&mut self, r: GrantRef) -> bool {
        if r < GNTTAB_NR_RESERVED_ENTRIES || !self.is_used(r) {
            return false;
        }
        self.set(r, false);
        true
    }

    /// References handed out now.
    pub fn in_use(&self) -> u32 {
        self.used.iter().map(|w| w.count_ones()).sum()
    }
}

/// Grants `frame` to `domid` through `entry` (grant_table.h order: domid
/// and frame, a release fence, then the flags that make it valid).
pub fn grant_entry(entry: &Entry, domid: DomId, frame: u32, readonly: bool) {
    entry.domid.store(domid, Ordering::Relaxed);
    entry.frame.store(frame, Ordering::Relaxed);
    fence(Ordering::Release);
    let ro = if readonly { GTF_readonly } else { 0 };
    entry.flags.store(GTF_permit_access | ro, Ordering::Release);
}

/// Ends the grant in `entry` unless it is mapped: compare-and-swap `flags`
/// to 0 while `GTF_reading | GTF_writing` are clear. Err(flags) if mapped.
/// The loop retries only when Xen changed the flags between the load and
/// the swap, which it does only by setting or clearing the mapped bits; it
/// is bounded anyway (the last attempt's flags are returned).
pub fn revoke_entry(entry: &Entry) -> Result<(), u16> {
    let mut flags = entry.flags.load(Ordering::Acquire);
    for _ in 0..16 {
        if flags & (GTF_reading | GTF_writing) != 0 {
            return Err(flags);
        }
        match entry.flags.compare_exchange(flags, 0, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return Ok(()),
            Err(now) => flags = now,
        }
    }
    Err(flags)
}

/// A grant table: the entries (Xen's frames, or a test's array) and the
/// allocator.
#[derive(Debug)]
pub struct Table<'a, const WORDS: usize> {
    entries: &'a [Entry],
    refs: RefAllocator<WORDS>,
}

impl<'a, const WORDS: usize> Table<'a, WORDS> {
    /// Refs are handed out below `entries.len()` only.
    pub fn new(entries: &'a [Entry]) -> Self {
        Table { entries, refs: RefAllocator::new(entries.len() as u32) }
    }

    /// Grants `frame` to `domid`; returns the reference to publish.
    pub fn grant(&mut self, domid: DomId, frame: u32, readonly: bool) -> Result<GrantRef, GrantError> {
        let r = self.refs.alloc().ok_or(GrantError::NoFreeRef { capacity: self.refs.capacity() })?;
        grant_entry(&self.entries[r as usize], domid, frame, readonly);
        Ok(r)
    }

    /// Ends grant `r` and frees the reference, or says why not: the
    /// reference stays allocated while the grantee maps the frame.
    pub fn revoke(&mut self, r: GrantRef) -> Result<(), GrantError> {
        if !self.refs.is_used(r) {
            return Err(GrantError::NotGranted { gref: r });
        }
        revoke_entry(&self.entries[r as usize]).map_err(|flags| GrantError::StillMapped { gref: r, flags })?;
        self.refs.free(r);
        Ok(())
    }

    /// References handed out now.
    pub fn in_use(&self) -> u32 {
        self.refs.in_use()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(n: usize) -> Vec<Entry> {
        (0..n).map(|_| Entry::default()).collect()
    }

    #[test]
    fn never_hands_out_reserved_or_out_of_table_refs() {
        let e = entries(16);
        let mut t: Table<'_, 1> = Table::new(&e);
        let got: Vec<u32> = (0..8).map(|i| t.grant(0, 100 + i, false).unwrap()).collect();
        assert_eq!(got, (8..16).collect::<Vec<_>>());
        assert_eq!(t.grant(0, 1, false), Err(GrantError::NoFreeRef { capacity: 8 }));
        assert_eq!(t.revoke(0), Err(GrantError::NotGranted { gref: 0 }));
        assert_eq!(t.revoke(1), Err(GrantError::NotGranted { gref: 1 }));
        t.revoke(11).unwrap();
        assert_eq!(t.grant(3, 7, true), Ok(11));
        assert_eq!(e[11].flags.load(Ordering::Relaxed), GTF_permit_access | GTF_readonly);
        assert_eq!((e[11].domid.load(Ordering::Relaxed), e[11].frame.load(Ordering::Relaxed)), (3, 7));
        // Entries 0 and 1 (console, xenstore) were never touched.
        assert_eq!(e[0].flags.load(Ordering::Relaxed), 0);
        let mut a = RefAllocator::<2>::new(1000);
        assert_eq!(a.capacity(), 120);
        assert!(!a.free(0) && !a.free(9));
    }

    #[test]
    fn a_mapped_grant_is_an_error_and_stays() {
        let e = entries(16);
        let mut t: Table<'_, 1> = Table::new(&e);
        let r = t.grant(0, 42, false).unwrap();
        // Xen marks the entry while the peer maps it.
        e[r as usize].flags.fetch_or(GTF_reading | GTF_writing, Ordering::SeqCst);
        let flags = GTF_permit_access | GTF_reading | GTF_writing;
        assert_eq!(t.revoke(r), Err(GrantError::StillMapped { gref: r, flags }));
        assert_eq!(t.in_use(), 1);
        assert_eq!(e[r as usize].flags.load(Ordering::Relaxed), flags, "still granted");
        e[r as usize].flags.fetch_and(!(GTF_reading | GTF_writing), Ordering::SeqCst);
        assert_eq!(t.revoke(r), Ok(()));
        assert_eq!((t.in_use(), e[r as usize].flags.load(Ordering::Relaxed)), (0, 0));
        assert_eq!(
            GrantError::StillMapped { gref: 9, flags: 0x19 }.to_string(),
            "grant ref 9: still mapped by the grantee (flags 0x19), not revoked"
        );
    }

    /// A thread playing Xen maps and unmaps (sets/clears GTF_reading) while
    /// we revoke: a revoke either fails with the mapped bit seen, or succeeds
    /// and then Xen's "map" finds the entry invalid (as Xen's own
    /// compare-and-swap on the flags would).
    #[test]
    fn revoke_races_a_mapping_xen() {
        use std::sync::atomic::AtomicBool;
        for _ in 0..200 {
            let e = Entry::default();
            grant_entry(&e, 0, 1, false);
            let mapped_after_revoke = AtomicBool::new(false);
            std::thread::scope(|s| {
                s.spawn(|| {
                    // Xen's map: set GTF_reading only on a valid entry.
                    let mut f = e.flags.load(Ordering::Acquire);
                    loop {
                        if f & GTF_permit_access == 0 {
                            return;
                        }
                        match e.flags.compare_exchange(f, f | GTF_reading, Ordering::AcqRel, Ordering::Acquire) {
                            Ok(_) => break,
                            Err(now) => f = now,
                        }
                    }
                    std::thread::yield_now();
                    if e.flags.load(Ordering::Acquire) & GTF_permit_access == 0 {
                        mapped_after_revoke.store(true, Ordering::SeqCst);
                    }
                    e.flags.fetch_and(!GTF_reading, Ordering::AcqRel);
                });
                while revoke_entry(&e).is_err() {
                    std::thread::yield_now();
                }
            });
            assert!(!mapped_after_revoke.load(Ordering::SeqCst), "revoked while mapped");
            assert_eq!(e.flags.load(Ordering::SeqCst), 0);
        }
    }
}
