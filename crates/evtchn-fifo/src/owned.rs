//! [`OwnedFifo`]: a control block, an upcall flag and an event array in
//! ordinary memory; [`XenFifo`]: Xen's side of the ABI played on it, for
//! host tests, fuzzing and benchmarks.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicU8, Ordering};

use crate::{ControlBlock, SharedFifo, BUSY, EVTCHN_FIFO_MAX_QUEUES, LINK, LINKED, MASKED, PENDING};

/// The memory one vCPU shares with Xen. `Sync`: a thread playing Xen and
/// the consumer may use it at the same time.
#[derive(Debug)]
pub struct OwnedFifo {
    /// The vCPU's control block.
    pub cb: ControlBlock,
    /// `vcpu_info.evtchn_upcall_pending`.
    pub upcall: AtomicU8,
    /// The event array, `ports` words.
    pub words: Box<[AtomicU32]>,
}

impl OwnedFifo {
    /// An array of `ports` words, all zero (nothing pending or masked), and
    /// an empty control block.
    pub fn new(ports: usize) -> Self {
        OwnedFifo {
            cb: ControlBlock::default(),
            upcall: AtomicU8::new(0),
            words: (0..ports).map(|_| AtomicU32::new(0)).collect(),
        }
    }

    /// The consumer's view.
    pub fn source(&self) -> SharedFifo<'_, [AtomicU32]> {
        SharedFifo::new(&self.cb, &self.upcall, &self.words)
    }

    /// The word of `port` (panics out of range: a test bug).
    pub fn word(&self, port: u32) -> &AtomicU32 {
        &self.words[port as usize]
    }

    /// The upcall flag.
    pub fn upcall(&self) -> bool {
        self.upcall.load(Ordering::SeqCst) != 0
    }
}

/// What [`XenFifo::set_pending`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Raise {
    /// PENDING went from 0 to 1: a new event (else it merged with the
    /// pending one).
    pub newly_pending: bool,
    /// What happened to the queues.
    pub link: Link,
}

/// The queue side of a [`Raise`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// Masked or already linked: no queue change.
    NotLinked,
    /// Appended behind the queue's tail: no new upcall.
    Tail,
    /// Started the queue (wrote `head`, set the ready bit); `upcall`: this
    /// raise changed the upcall flag from 0 to 1 (Xen injects the vector).
    Head { upcall: bool },
}

/// Xen's private FIFO state for one vCPU (xen/common/event_fifo.c, 4.17):
/// the tail of each queue and each port's priority. One thread at a time
/// plays Xen (Xen serialises with its queue locks).
#[derive(Debug)]
pub struct XenFifo {
    tail: [u32; EVTCHN_FIFO_MAX_QUEUES],
    /// Priority per port, and the queue it was last linked on.
    prio: Vec<u8>,
    last_q: Vec<u8>,
}

impl XenFifo {
    /// `ports` ports, all at the default priority 7.
    pub fn new(ports: usize) -> Self {
        XenFifo { tail: [0; EVTCHN_FIFO_MAX_QUEUES], prio: vec![7; ports], last_q: vec![7; ports] }
    }

    /// `EVTCHNOP_set_priority`: applies to later links only.
    pub fn set_priority(&mut self, port: u32, prio: u8) {
        self.prio[port as usize] = prio.min(15);
    }

    /// The priority of `port`.
    pub fn priority(&self, port: u32) -> u8 {
        self.prio[port as usize]
    }

    /// `evtchn_fifo_set_pending`: set PENDING; if not MASKED and LINKED was
    /// clear, link `port` at the tail of its priority's queue, or start the
    /// queue (head, ready bit, upcall flag).
    pub fn set_pending(&mut self, mem: &OwnedFifo, port: u32) -> Raise {
        let word = mem.word(port);
        let newly_pending = word.fetch_or(PENDING, Ordering::SeqCst) & PENDING == 0;
        Raise { newly_pending, link: self.link(mem, port) }
    }

    fn link(&mut self, mem: &OwnedFifo, port: u32) -> Link {
        let word = mem.word(port);
        if word.load(Ordering::SeqCst) & MASKED != 0 || word.fetch_or(LINKED, Ordering::SeqCst) & LINKED != 0 {
            return Link::NotLinked;
        }
        let q = self.prio[port as usize] as usize;
        let old_q = self.last_q[port as usize] as usize;
        // "If this event was a tail, the old queue is now empty."
        if self.tail[old_q] == port {
            self.tail[old_q] = 0;
        }
        self.last_q[port as usize] = q as u8;
        let linked = self.tail[q] != 0 && set_link(mem.word(self.tail[q]), port);
        if !linked {
            mem.cb.head[q].store(port, Ordering::SeqCst);
        }
        self.tail[q] = port;
        if linked {
            return Link::Tail;
        }
        let bit = 1u32 << q;
        let upcall =
            mem.cb.ready.fetch_or(bit, Ordering::SeqCst) & bit == 0 && mem.upcall.swap(1, Ordering::SeqCst) == 0;
        Link::Head { upcall }
    }

    /// `EVTCHNOP_unmask` (`evtchn_fifo_unmask`): clear MASKED, and if the
    /// port is pending, link it as a raise would.
    pub fn unmask(&mut self, mem: &OwnedFifo, port: u32) -> Option<Raise> {
        let word = mem.word(port);
        word.fetch_and(!MASKED, Ordering::SeqCst);
        (word.load(Ordering::SeqCst) & PENDING != 0).then(|| self.set_pending(mem, port))
    }
}

/// `evtchn_fifo_set_link`: write `port` into the LINK field of the tail
/// word while it is LINKED; false if the tail was consumed (LINKED clear).
/// The first attempt is a plain cmpxchg; on failure Xen sets BUSY (so the
/// guest's unmask stays off the word) and retries. Xen gives up after 4
/// retries; this model retries until it succeeds or the tail is unlinked,
/// since a guest that only clears bits cannot keep it failing for long.
fn set_link(tail: &AtomicU32, port: u32) -> bool {
    let mut w = tail.load(Ordering::SeqCst);
    let mut busy = false;
    loop {
        if w & LINKED == 0 {
            if busy {
                tail.fetch_and(!BUSY, Ordering::SeqCst);
            }
            return false;
        }
        let new = (w & !(BUSY | LINK)) | port;
        match tail.compare_exchange(w, new, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) => return true,
            Err(_) if !busy => {
                busy = true;
                w = tail.fetch_or(BUSY, Ordering::SeqCst) | BUSY;
            }
            Err(now) => w = now,
        }
    }
}
