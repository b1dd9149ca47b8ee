//! A fixed table of handlers (function pointers), written rarely and read
//! from interrupt context without a lock: the kernel's one registry for
//! interrupt vectors (arch), event-channel ports (xen) and console sinks.
//!
//! Each slot is an `AtomicPtr`: [`HandlerTable::set`] publishes a handler with
//! Release, [`HandlerTable::get`] reads it with Acquire, so a reader that sees
//! the pointer also sees everything the writer did before publishing it (the
//! handler's own state, initialised first). A slot holds no handler or one
//! whole pointer, never a torn value. Slots out of range are `None` on read
//! and an error on write: an index that comes from an untrusted place (a port
//! number, a vector) can never reach outside the table.
//!
//! The handler type `F` is a plain `fn` pointer type (`fn(Port)`,
//! `fn(&[u8])`, `fn(&mut TrapFrame)`, ...): the table stores it as an address
//! and turns it back into the same type, which is sound because only `set`
//! stores, and only values of type `F`. Rust has no trait for "any fn pointer
//! type" (one for `fn(A)` does not cover the higher-ranked `fn(&A)`), so the
//! constructor is `unsafe` and its caller vouches for `F`; the size is
//! checked at compile time.
#![cfg_attr(not(test), no_std)]

use core::marker::PhantomData;
use core::sync::atomic::{AtomicPtr, Ordering};

/// The index was outside the table: `(index, len)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfRange(pub usize, pub usize);

impl core::fmt::Display for OutOfRange {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "handler slot {}: out of range (table has {})", self.0, self.1)
    }
}

/// `N` slots of handlers of type `F`, all empty at first (usable in a `static`).
pub struct HandlerTable<F: Copy + 'static, const N: usize> {
    slots: [AtomicPtr<()>; N],
    _f: PhantomData<F>,
}

// SAFETY: the slots are atomics; F is a plain fn pointer (Copy, 'static, no
// interior state), so sharing the table shares only code addresses.
unsafe impl<F: Copy + 'static, const N: usize> Sync for HandlerTable<F, N> {}

impl<F: Copy + 'static, const N: usize> HandlerTable<F, N> {
    /// An empty table.
    ///
    /// # Safety
    /// `F` must be a `fn` pointer type (never null, pointer-sized, any
    /// value a code address that stays valid for ever).
    pub const unsafe fn new() -> Self {
        const { assert!(core::mem::size_of::<F>() == core::mem::size_of::<*mut ()>()) };
        HandlerTable { slots: [const { AtomicPtr::new(core::ptr::null_mut()) }; N], _f: PhantomData }
    }

    fn addr(f: F) -> *mut () {
        // SAFETY: F is a pointer-sized fn pointer (new's contract).
        unsafe { core::mem::transmute_copy::<F, *mut ()>(&f) }
    }

    /// # Safety
    /// `addr` must be non-null and come from [`Self::addr`].
    unsafe fn from_addr(addr: *mut ()) -> F {
        // SAFETY: per the caller, addr is an F turned into an address.
        unsafe { core::mem::transmute_copy::<*mut (), F>(&addr) }
    }

    /// Publishes `handler` in slot `index` (Release), replacing any other.
    pub fn set(&self, index: usize, handler: F) -> Result<(), OutOfRange> {
        self.slots.get(index).ok_or(OutOfRange(index, N))?.store(Self::addr(handler), Ordering::Release);
        Ok(())
    }

    /// Empties slot `index`; returns the handler it held.
    pub fn clear(&self, index: usize) -> Option<F> {
        let old = self.slots.get(index)?.swap(core::ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: only `set` stores non-null values, and they are `F`s.
        (!old.is_null()).then(|| unsafe { Self::from_addr(old) })
    }

    /// Empties every slot (e.g. after a resume, when every port is gone).
    pub fn clear_all(&self) {
        for s in &self.slots {
            s.store(core::ptr::null_mut(), Ordering::Release);
        }
    }

    /// The handler in slot `index` (Acquire), if any.
    pub fn get(&self, index: usize) -> Option<F> {
        let addr = self.slots.get(index)?.load(Ordering::Acquire);
        // SAFETY: only `set` stores non-null values, and they are `F`s.
        (!addr.is_null()).then(|| unsafe { Self::from_addr(addr) })
    }

    pub const fn len(&self) -> usize {
        N
    }

    pub const fn is_empty(&self) -> bool {
        N == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;
    use std::sync::Arc;

    static SEEN: AtomicU32 = AtomicU32::new(0);
    fn add(n: u32) {
        SEEN.fetch_add(n, Ordering::SeqCst);
    }
    fn double(n: u32) {
        SEEN.fetch_add(2 * n, Ordering::SeqCst);
    }
    fn sink(b: &[u8]) {
        SEEN.fetch_add(b.len() as u32, Ordering::SeqCst);
    }

    #[test]
    fn set_get_clear_and_bounds() {
        // SAFETY: fn(u32) is a fn pointer type.
        let t: HandlerTable<fn(u32), 4> = unsafe { HandlerTable::new() };
        assert!(t.get(0).is_none());
        assert_eq!(t.set(4, add), Err(OutOfRange(4, 4)));
        assert!(t.get(usize::MAX).is_none());
        t.set(3, add).unwrap();
        let before = SEEN.load(Ordering::SeqCst);
        t.get(3).unwrap()(5);
        assert_eq!(SEEN.load(Ordering::SeqCst) - before, 5);
        t.set(3, double).unwrap();
        assert!(t.clear(3).is_some());
        assert!(t.get(3).is_none() && t.clear(3).is_none());
        t.set(1, add).unwrap();
        t.clear_all();
        assert!((0..4).all(|i| t.get(i).is_none()));
    }

    #[test]
    fn higher_ranked_slices() {
        // SAFETY: fn(&[u8]) is a fn pointer type.
        let t: HandlerTable<fn(&[u8]), 1> = unsafe { HandlerTable::new() };
        t.set(0, sink).unwrap();
        let before = SEEN.load(Ordering::SeqCst);
        t.get(0).unwrap()(b"abc");
        assert_eq!(SEEN.load(Ordering::SeqCst) - before, 3);
    }

    /// Readers on other threads only ever see none, `add` or `double`,
    /// never a torn or foreign address, while a writer flips the slot.
    #[test]
    fn concurrent_readers_see_whole_handlers() {
        // SAFETY: fn(u32) is a fn pointer type.
        static T: HandlerTable<fn(u32), 1> = unsafe { HandlerTable::new() };
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let mut seen = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        if let Some(h) = T.get(0) {
                            assert!(h as usize == add as fn(u32) as usize || h as usize == double as fn(u32) as usize);
                            seen += 1;
                        }
                    }
                    seen
                })
            })
            .collect();
        for i in 0..100_000 {
            if i % 3 == 0 {
                T.clear(0);
            } else {
                T.set(0, if i % 2 == 0 { add } else { double }).unwrap();
            }
        }
        stop.store(true, Ordering::Relaxed);
        for r in readers {
            r.join().unwrap();
        }
    }
}
