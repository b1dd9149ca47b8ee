//! One event word (`event_word_t`, u32): the guest's operations on it.
//!
//! Xen allows the guest, on a word that may be LINKED, only to set or clear
//! MASKED, clear PENDING and clear LINKED together with LINK
//! (event_channel.h; Linux events_fifo.c): every function here does one of
//! those with an atomic read-modify-write, never a plain store, so a bit
//! Xen sets concurrently is never erased.

use core::sync::atomic::{AtomicU32, Ordering};

use crate::{BUSY, LINK, LINKED, MASKED, PENDING};

/// How often [`unmask`] retries while Xen holds BUSY before it leaves the
/// unmask to `EVTCHNOP_unmask` (always correct, only slower). Xen holds BUSY
/// for a handful of cmpxchg attempts (`evtchn_fifo_set_link`, at most 4).
pub const BUSY_SPINS: u32 = 1024;

/// Is PENDING set?
pub fn is_pending(word: &AtomicU32) -> bool {
    word.load(Ordering::Acquire) & PENDING != 0
}

/// Is MASKED set?
pub fn is_masked(word: &AtomicU32) -> bool {
    word.load(Ordering::Acquire) & MASKED != 0
}

/// Is LINKED set (the port is on a queue)?
pub fn is_linked(word: &AtomicU32) -> bool {
    word.load(Ordering::Acquire) & LINKED != 0
}

/// Sets MASKED (Linux `evtchn_fifo_mask`): Xen stops linking the port; one
/// already linked stays on its queue and is skipped by the consumer.
pub fn mask(word: &AtomicU32) {
    // SeqCst RMW: ordered against the PENDING checks of a later unmask.
    word.fetch_or(MASKED, Ordering::SeqCst);
}

/// Clears PENDING (Linux `evtchn_fifo_clear_pending`), e.g. the event Xen
/// raises on our side at bind time.
pub fn clear_pending(word: &AtomicU32) {
    word.fetch_and(!PENDING, Ordering::SeqCst);
}

/// Clears PENDING if it is set and the port is not masked; true if it did
/// (the caller now owns this event and runs its handler). A masked port
/// keeps PENDING, so `EVTCHNOP_unmask` delivers it later.
pub fn take_pending(word: &AtomicU32) -> bool {
    // AcqRel: the acquire half makes the peer's data, written before its
    // EVTCHNOP_send and Xen's set of PENDING, visible to the handler; an
    // RMW, so a concurrent Xen update (LINKED, LINK, BUSY) is never lost.
    word.fetch_update(Ordering::AcqRel, Ordering::Acquire, |w| {
        (w & PENDING != 0 && w & MASKED == 0).then_some(w & !PENDING)
    })
    .is_ok()
}

/// Clears LINKED and LINK, returning the old LINK: the next port on the
/// queue, 0 when this was the tail (Linux `clear_linked`).
///
/// Must come before [`take_pending`]: Xen relinks a port only if LINKED is
/// clear, so once LINKED is clear a new raise re-queues it, and clearing
/// PENDING afterwards can at worst leave a spurious (not pending) entry,
/// never a pending port off every queue.
pub fn clear_linked(word: &AtomicU32) -> u32 {
    // AcqRel RMW: atomic against Xen's cmpxchg on LINK (it links a new tail
    // only while LINKED is set, so after this clear it starts a new queue
    // head instead); acquire pairs with Xen's cmpxchg that wrote LINK.
    let old = word.fetch_and(!(LINKED | LINK), Ordering::AcqRel);
    old & LINK
}

/// What [`unmask`] left to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unmask {
    /// MASKED is clear (it was, or we cleared it): nothing else to do. A raise
    /// from now on is linked by Xen.
    Done,
    /// The port is pending (or Xen kept the word BUSY): MASKED was left set,
    /// and the caller must issue `EVTCHNOP_unmask`, which clears MASKED and
    /// links the pending event.
    Hypercall,
}

/// Unmasks the port the way Linux does after XSA-332 (`clear_masked_cond`,
/// commit f01337197419 and "unmask a fifo event channel only if it was
/// masked"): if MASKED is already clear, nothing; if PENDING is clear, clear
/// MASKED with a cmpxchg that expects BUSY clear (so never while Xen is
/// relinking the word); if PENDING is set, leave MASKED set and return
/// [`Unmask::Hypercall`]: Xen then clears MASKED and links the event,
/// exactly once. Clearing locally *and* calling Xen could link it twice.
///
/// Retries while the word changes under it; after [`BUSY_SPINS`] attempts
/// that all found BUSY set it returns [`Unmask::Hypercall`] instead of
/// spinning on.
pub fn unmask(word: &AtomicU32) -> Unmask {
    let mut w = word.load(Ordering::SeqCst);
    let mut busy_seen = 0;
    loop {
        if w & MASKED == 0 {
            return Unmask::Done;
        }
        if w & PENDING != 0 {
            return Unmask::Hypercall;
        }
        if w & BUSY != 0 {
            busy_seen += 1;
            if busy_seen >= BUSY_SPINS {
                return Unmask::Hypercall;
            }
            core::hint::spin_loop();
        }
        let old = w & !BUSY;
        // SeqCst: a raise that set PENDING before this cmpxchg makes it fail
        // (the value changed), one after it sees MASKED clear and links.
        match word.compare_exchange(old, old & !MASKED, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) => return Unmask::Done,
            Err(now) => w = now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmask_leaves_a_pending_port_to_xen() {
        let w = AtomicU32::new(MASKED | PENDING);
        assert_eq!(unmask(&w), Unmask::Hypercall);
        assert_eq!(w.load(Ordering::SeqCst), MASKED | PENDING);
    }

    #[test]
    fn unmask_clears_masked_when_not_pending_and_keeps_the_rest() {
        let w = AtomicU32::new(MASKED | LINKED | 77);
        assert_eq!(unmask(&w), Unmask::Done);
        assert_eq!(w.load(Ordering::SeqCst), LINKED | 77);
        // Not masked: nothing to do, no hypercall even when pending.
        let w = AtomicU32::new(PENDING);
        assert_eq!(unmask(&w), Unmask::Done);
        assert_eq!(w.load(Ordering::SeqCst), PENDING);
    }

    #[test]
    fn unmask_never_clears_masked_while_busy() {
        let w = AtomicU32::new(MASKED | BUSY);
        assert_eq!(unmask(&w), Unmask::Hypercall);
        assert_eq!(w.load(Ordering::SeqCst), MASKED | BUSY);
    }

    #[test]
    fn take_pending_skips_masked_and_not_pending() {
        let w = AtomicU32::new(PENDING | MASKED);
        assert!(!take_pending(&w));
        assert_eq!(w.load(Ordering::SeqCst), PENDING | MASKED);
        let w = AtomicU32::new(LINKED);
        assert!(!take_pending(&w));
        let w = AtomicU32::new(PENDING | 5);
        assert!(take_pending(&w));
        assert_eq!(w.load(Ordering::SeqCst), 5);
    }

    #[test]
    fn clear_linked_returns_the_link_and_keeps_the_flags() {
        let w = AtomicU32::new(PENDING | MASKED | LINKED | BUSY | 0x1_2345);
        assert_eq!(clear_linked(&w), 0x1_2345);
        assert_eq!(w.load(Ordering::SeqCst), PENDING | MASKED | BUSY);
    }
}
