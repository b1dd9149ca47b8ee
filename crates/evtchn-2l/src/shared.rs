//! [`SharedBitmaps`]: the [`EventSource`] over atomics, i.e. over the real
//! shared_info / vcpu_info pages.
//!
//! # Memory ordering
//! Xen raises port `p` (xen/common/event_2l.c, `evtchn_2l_set_pending`) with
//! three x86 locked read-modify-writes, which are sequentially consistent:
//! (1) test-and-set pending bit `p`; (2) if `p` is unmasked, test-and-set
//! selector bit `p / 64`; (3) if that bit was clear, test-and-set
//! `evtchn_upcall_pending`. The guest side must never end up with a raised,
//! unmasked port whose selector bit and upcall flag are both consumed while
//! the port itself is not scanned. Each access below says why its ordering
//! is enough; on x86_64 all of them compile to plain `mov` loads and
//! `xchg`/`lock`-prefixed writes, so the strong orderings cost nothing extra.

use core::ptr::addr_of_mut;
use core::sync::atomic::{AtomicU64, AtomicU8, Ordering};

use xen_abi::evtchn::{BITS_PER_WORD, NR_WORDS};
use xen_abi::shared_info::{SharedInfo, VcpuInfo};

use crate::EventSource;

/// The bitmaps of one vCPU: shared_info's `evtchn_pending`/`evtchn_mask` and
/// that vCPU's `evtchn_pending_sel`/`evtchn_upcall_pending`.
#[derive(Clone, Copy, Debug)]
pub struct SharedBitmaps<'a> {
    pending: &'a [AtomicU64; NR_WORDS],
    mask: &'a [AtomicU64; NR_WORDS],
    sel: &'a AtomicU64,
    upcall: &'a AtomicU8,
    /// The ports bound to this vCPU (None: all of them, one vCPU).
    owned: Option<&'a [AtomicU64; NR_WORDS]>,
}

impl<'a> SharedBitmaps<'a> {
    /// Bitmaps from references (host tests, [`crate::OwnedBitmaps`]).
    pub const fn new(
        pending: &'a [AtomicU64; NR_WORDS],
        mask: &'a [AtomicU64; NR_WORDS],
        sel: &'a AtomicU64,
        upcall: &'a AtomicU8,
    ) -> Self {
        SharedBitmaps { pending, mask, sel, upcall, owned: None }
    }

    /// Bitmaps of the mapped shared_info page and one vCPU's `vcpu_info`
    /// (inside shared_info or placed with `VCPUOP_register_vcpu_info`).
    ///
    /// # Safety
    /// `shared` and `vcpu` must point to mapped, 8-byte aligned
    /// `shared_info`/`vcpu_info` that stay mapped for `'a`, and during `'a`
    /// the guest must access `evtchn_pending`, `evtchn_mask`,
    /// `evtchn_pending_sel` and `evtchn_upcall_pending` only atomically (no
    /// references to the plain structs, no non-atomic writes). Xen's own
    /// accesses are locked instructions and therefore atomic.
    pub unsafe fn from_raw(shared: *mut SharedInfo, vcpu: *mut VcpuInfo) -> Self {
        // SAFETY: the caller guarantees `shared` points to a live shared_info;
        // this only computes field addresses, nothing is read.
        let pending = unsafe { addr_of_mut!((*shared).evtchn_pending) };
        // SAFETY: as above.
        let mask = unsafe { addr_of_mut!((*shared).evtchn_mask) };
        // SAFETY: the caller guarantees `vcpu` points to a live vcpu_info.
        let sel = unsafe { addr_of_mut!((*vcpu).evtchn_pending_sel) };
        // SAFETY: as above.
        let upcall = unsafe { addr_of_mut!((*vcpu).evtchn_upcall_pending) };
        SharedBitmaps {
            // SAFETY: [AtomicU64; N] has the size and bit validity of [u64; N];
            // the field is 8-aligned (checked layout: offset 2048 of an
            // 8-aligned struct) as AtomicU64 needs on x86_64; the caller
            // guarantees liveness for 'a and atomic-only access.
            pending: unsafe { &*pending.cast::<[AtomicU64; NR_WORDS]>() },
            // SAFETY: as for `pending` (offset 2560).
            mask: unsafe { &*mask.cast::<[AtomicU64; NR_WORDS]>() },
            // SAFETY: 8-aligned u64 (offset 8 of an 8-aligned vcpu_info),
            // valid for 'a and only accessed atomically (caller's contract).
            sel: unsafe { AtomicU64::from_ptr(sel) },
            // SAFETY: a u8 is always aligned for AtomicU8; validity and
            // atomic-only access as above.
            upcall: unsafe { AtomicU8::from_ptr(upcall) },
            owned: None,
        }
    }

    /// The same bitmaps, scanning only the ports whose bit is set in
    /// `owned` (this vCPU's ports; see [`EventSource::owned`]). The guest
    /// keeps one such bitmap per vCPU, a port's bit set in exactly one.
    pub const fn with_owned(self, owned: &'a [AtomicU64; NR_WORDS]) -> Self {
        SharedBitmaps { owned: Some(owned), ..self }
    }
}

impl EventSource for SharedBitmaps<'_> {
    fn clear_upcall_pending(&self) {
        // SeqCst: together with the SeqCst swap of the selector and the
        // SeqCst re-check in `upcall_pending`, this is a store-buffering
        // pattern against Xen's "set selector; set upcall". Only a single
        // total order over all four accesses rules out "we overwrite Xen's
        // upcall=1 with 0 AND our swap misses Xen's selector bit": in that
        // order, either Xen's upcall write comes after our clear (we see it
        // when we re-check) or its selector write precedes our swap (we
        // scan the word). Linux: "Master flag must be cleared /before/
        // clearing selector flag".
        self.upcall.store(0, Ordering::SeqCst);
    }

    fn upcall_pending(&self) -> bool {
        // SeqCst: the re-check that closes the pattern described in
        // `clear_upcall_pending`; a weaker load could read a stale 0.
        self.upcall.load(Ordering::SeqCst) != 0
    }

    fn take_pending_sel(&self) -> u64 {
        // SeqCst swap: part of the total order above, and (acquire half) it
        // synchronizes with Xen's selector RMW, so the pending bits Xen set
        // before that RMW are visible to the `pending` loads that follow.
        self.sel.swap(0, Ordering::SeqCst)
    }

    fn pending(&self, word: usize) -> u64 {
        // Acquire: Xen's selector update is a locked RMW even when the bit
        // was already set, so our swap reads from it and everything Xen did
        // before (the pending bit) happens-before this load. Acquire also
        // keeps the handler's later reads after this load. A bit set after
        // the load re-raises the selector, so missing it is harmless.
        self.pending[word].load(Ordering::Acquire)
    }

    fn mask(&self, word: usize) -> u64 {
        // Acquire: masks are written only by the guest (possibly another
        // vCPU); a stale mask is benign: a port wrongly seen as masked is
        // re-raised by the unmask path (EVTCHNOP_unmask / selector re-set),
        // one wrongly seen as unmasked is dispatched as it would have been
        // just before the mask.
        self.mask[word].load(Ordering::Acquire)
    }

    fn owned(&self, word: usize) -> u64 {
        // Acquire: written by the guest (the vCPU that moves a port, with
        // the port masked meanwhile: see the kernel's bind_vcpu). A stale
        // bit is benign: the port is masked while it moves, and its unmask
        // re-raises a pending event on the vCPU Xen now notifies.
        self.owned.map_or(!0, |o| o[word].load(Ordering::Acquire))
    }

    fn test_and_clear_pending(&self, port: u32) -> bool {
        let bit = 1u64 << (port as usize % BITS_PER_WORD);
        // AcqRel RMW: atomic against Xen's concurrent locked set (a plain
        // read-modify-write of the word could erase another port's new
        // bit). Being an RMW it reads the latest value; if Xen's set for the
        // event we are about to handle came first, acquire makes the peer's
        // data (written before its EVTCHNOP_send) visible to the handler. A
        // raise after this clear is a 0->1 transition: Xen re-raises the
        // selector and upcall, so nothing the handler misses is lost.
        let old = self.pending[port as usize / BITS_PER_WORD].fetch_and(!bit, Ordering::AcqRel);
        old & bit != 0
    }

    fn requeue(&self, words: u64) {
        // SeqCst, selector before upcall: the same order Xen uses, so a
        // decoder that sees the upcall flag (SeqCst) also finds the bits.
        self.sel.fetch_or(words, Ordering::SeqCst);
        self.upcall.store(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::boxed::Box;

    #[test]
    fn from_raw_reaches_the_abi_fields() {
        let mut page = Box::new(SharedInfo::zeroed());
        let shared: *mut SharedInfo = &mut *page;
        // SAFETY: only computes the address of vcpu_info[1] inside the live box.
        let vcpu = unsafe { addr_of_mut!((*shared).vcpu_info[1]) };
        // SAFETY: both pointers point into `page`, which outlives `bm`; `page`
        // is not touched until `bm` is no longer used.
        let bm = unsafe { SharedBitmaps::from_raw(shared, vcpu) };
        bm.pending[1].fetch_or(1 << 3, Ordering::SeqCst);
        bm.mask[2].store(7, Ordering::SeqCst);
        bm.requeue(1 << 5);
        assert!(bm.upcall_pending());
        assert_eq!(bm.pending(1), 8);
        assert_eq!(bm.mask(2), 7);
        assert!(bm.test_and_clear_pending(67));
        assert!(!bm.test_and_clear_pending(67));
        bm.pending[63].fetch_or(1 << 63, Ordering::SeqCst);
        assert_eq!(page.evtchn_pending[1], 0);
        assert_eq!(page.evtchn_pending[63], 1 << 63);
        assert_eq!(page.evtchn_mask[2], 7);
        assert_eq!(page.vcpu_info[1].evtchn_pending_sel, 1 << 5);
        assert_eq!(page.vcpu_info[1].evtchn_upcall_pending, 1);
        assert_eq!(page.vcpu_info[0].evtchn_pending_sel, 0);
    }
}
