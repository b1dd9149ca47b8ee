//! [`OwnedBitmaps`]: bitmaps in ordinary memory plus an emulation of Xen's
//! side, for host tests and benchmarks.

use core::sync::atomic::{AtomicU64, AtomicU8, Ordering};

use xen_abi::evtchn::{BITS_PER_WORD, NR_WORDS};

use crate::SharedBitmaps;

/// One vCPU's event bitmaps, owned. [`OwnedBitmaps::source`] gives the
/// decoder's view; the `xen_*` methods play the hypervisor.
#[derive(Debug)]
pub struct OwnedBitmaps {
    pending: [AtomicU64; NR_WORDS],
    mask: [AtomicU64; NR_WORDS],
    sel: AtomicU64,
    upcall: AtomicU8,
}

/// What [`OwnedBitmaps::xen_set_pending`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Raise {
    /// The pending bit was already set: merged with the earlier event.
    Coalesced,
    /// Newly pending but masked: no selector bit, no upcall.
    Masked,
    /// Newly pending and unmasked; `upcall` says whether this raise set the
    /// selector bit and then changed the upcall flag from 0 to 1: when Xen
    /// injects an edge-delivered upcall (the per-vCPU vector).
    Raised { upcall: bool },
}

fn split(port: u32) -> (usize, u64) {
    let port = port as usize;
    (port / BITS_PER_WORD, 1u64 << (port % BITS_PER_WORD))
}

impl OwnedBitmaps {
    /// All clear: nothing pending, nothing masked.
    pub const fn new() -> Self {
        OwnedBitmaps {
            pending: [const { AtomicU64::new(0) }; NR_WORDS],
            mask: [const { AtomicU64::new(0) }; NR_WORDS],
            sel: AtomicU64::new(0),
            upcall: AtomicU8::new(0),
        }
    }

    /// The decoder's view of these bitmaps.
    pub fn source(&self) -> SharedBitmaps<'_> {
        SharedBitmaps::new(&self.pending, &self.mask, &self.sel, &self.upcall)
    }

    /// Xen raising `port` (`evtchn_2l_set_pending` in xen/common/event_2l.c):
    /// test-and-set the pending bit; if it was clear and the port is not
    /// masked, test-and-set the selector bit; if that was clear, set the
    /// upcall flag. Every step is a SeqCst RMW, like Xen's locked bit ops.
    pub fn xen_set_pending(&self, port: u32) -> Raise {
        let (word, bit) = split(port);
        if self.pending[word].fetch_or(bit, Ordering::SeqCst) & bit != 0 {
            return Raise::Coalesced;
        }
        if self.mask[word].load(Ordering::SeqCst) & bit != 0 {
            return Raise::Masked;
        }
        Raise::Raised { upcall: self.raise_word(word) }
    }

    /// Xen's `EVTCHNOP_unmask` (`evtchn_2l_unmask`): clear the mask bit and,
    /// if the port is pending, re-raise its selector bit and the upcall.
    /// True if that changed the upcall flag from 0 to 1 (see [`Raise`]).
    pub fn xen_unmask(&self, port: u32) -> bool {
        let (word, bit) = split(port);
        self.mask[word].fetch_and(!bit, Ordering::SeqCst) & bit != 0
            && self.pending[word].load(Ordering::SeqCst) & bit != 0
            && self.raise_word(word)
    }

    fn raise_word(&self, word: usize) -> bool {
        let sel_bit = 1u64 << word;
        if self.sel.fetch_or(sel_bit, Ordering::SeqCst) & sel_bit != 0 {
            return false;
        }
        // Xen's vcpu_mark_events_pending: test-and-set; injects only on 0->1.
        self.upcall.swap(1, Ordering::SeqCst) == 0
    }

    /// Guest masking `port` (set its mask bit).
    pub fn mask_port(&self, port: u32) {
        let (word, bit) = split(port);
        self.mask[word].fetch_or(bit, Ordering::SeqCst);
    }

    /// Sets `port`'s pending bit only (no selector, no upcall): for building
    /// arbitrary states in tests.
    pub fn set_pending_bit(&self, port: u32) {
        let (word, bit) = split(port);
        self.pending[word].fetch_or(bit, Ordering::SeqCst);
    }

    /// ORs `words` into the selector only.
    pub fn set_sel_bits(&self, words: u64) {
        self.sel.fetch_or(words, Ordering::SeqCst);
    }

    /// Sets the upcall flag only.
    pub fn set_upcall(&self) {
        self.upcall.store(1, Ordering::SeqCst);
    }

    /// Is `port`'s pending bit set?
    pub fn is_pending(&self, port: u32) -> bool {
        let (word, bit) = split(port);
        self.pending[word].load(Ordering::SeqCst) & bit != 0
    }

    /// Is `port`'s mask bit set?
    pub fn is_masked(&self, port: u32) -> bool {
        let (word, bit) = split(port);
        self.mask[word].load(Ordering::SeqCst) & bit != 0
    }

    /// Current selector.
    pub fn pending_sel(&self) -> u64 {
        self.sel.load(Ordering::SeqCst)
    }

    /// Current upcall flag.
    pub fn upcall(&self) -> bool {
        self.upcall.load(Ordering::SeqCst) != 0
    }
}

impl Default for OwnedBitmaps {
    fn default() -> Self {
        Self::new()
    }
}
