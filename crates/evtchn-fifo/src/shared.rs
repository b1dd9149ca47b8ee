//! The shared memory the consumer reads: [`ControlBlock`], the event array
//! ([`EventArray`]) and the vCPU's upcall flag, behind [`FifoSource`].

use core::mem::{offset_of, size_of};
use core::sync::atomic::{AtomicU32, AtomicU8, Ordering};

use xen_abi::evtchn::{EvtchnFifoControlBlock, EVTCHN_FIFO_MAX_QUEUES};

/// `struct evtchn_fifo_control_block` (event_channel.h) as atomics: the
/// guest's view of a control block Xen writes at any time. 72 bytes, same
/// offsets as [`EvtchnFifoControlBlock`] (asserted below).
#[repr(C)]
#[derive(Debug, Default)]
pub struct ControlBlock {
    /// Bit `q`: queue `q` has events (Xen sets, the guest takes with xchg).
    pub ready: AtomicU32,
    rsvd: AtomicU32,
    /// Head port of each queue, written by Xen when it starts a queue.
    pub head: [AtomicU32; EVTCHN_FIFO_MAX_QUEUES],
}

const _: () = {
    assert!(size_of::<ControlBlock>() == size_of::<EvtchnFifoControlBlock>());
    assert!(offset_of!(ControlBlock, ready) == offset_of!(EvtchnFifoControlBlock, ready));
    assert!(offset_of!(ControlBlock, head) == offset_of!(EvtchnFifoControlBlock, head));
};

/// The event array: one `event_word_t` per port, reached by port number.
/// `None` for a port the array has no word for (port 0 may have one: Xen
/// never links it, and the consumer never asks for it).
pub trait EventArray {
    /// The word of `port`, if the array has a page for it.
    fn word(&self, port: u32) -> Option<&AtomicU32>;
}

/// Contiguous words: port `p` is element `p` (host tests, fuzzing, and a
/// kernel that keeps its array pages contiguous).
impl EventArray for [AtomicU32] {
    fn word(&self, port: u32) -> Option<&AtomicU32> {
        self.get(port as usize)
    }
}

/// What [`crate::Consumer`] needs from one vCPU's FIFO state.
pub trait FifoSource {
    /// Clears `vcpu_info.evtchn_upcall_pending`.
    fn clear_upcall_pending(&self);
    /// Sets `vcpu_info.evtchn_upcall_pending` (work left after a bounded run).
    fn set_upcall_pending(&self);
    /// `xchg(&control_block.ready, 0)`.
    fn take_ready(&self) -> u32;
    /// `control_block.head[q]`, `q < 16`.
    fn head(&self, q: usize) -> u32;
    /// The event word of `port`, if there is one.
    fn word(&self, port: u32) -> Option<&AtomicU32>;
}

/// The [`FifoSource`] over real (or [`crate::OwnedFifo`]) shared memory.
#[derive(Clone, Copy)]
pub struct SharedFifo<'a, A: EventArray + ?Sized> {
    cb: &'a ControlBlock,
    upcall: &'a AtomicU8,
    array: &'a A,
}

impl<'a, A: EventArray + ?Sized> SharedFifo<'a, A> {
    /// One vCPU's control block and upcall flag, and the domain's event array.
    pub const fn new(cb: &'a ControlBlock, upcall: &'a AtomicU8, array: &'a A) -> Self {
        SharedFifo { cb, upcall, array }
    }
}

impl<A: EventArray + ?Sized> FifoSource for SharedFifo<'_, A> {
    fn clear_upcall_pending(&self) {
        // SeqCst, before the first `ready` xchg (also SeqCst): Xen sets the
        // ready bit, then the flag. Either our xchg sees the bit, or Xen's
        // flag write comes after our clear and injects a new upcall.
        self.upcall.store(0, Ordering::SeqCst);
    }

    fn set_upcall_pending(&self) {
        self.upcall.store(1, Ordering::SeqCst);
    }

    fn take_ready(&self) -> u32 {
        // SeqCst xchg: acquire pairs with Xen's locked set of the ready bit,
        // which follows its write of head[q], so `head` below sees it.
        self.cb.ready.swap(0, Ordering::SeqCst)
    }

    fn head(&self, q: usize) -> u32 {
        // Acquire: Linux reads head after an rmb (the word must be up to
        // date before head); with the acquire of take_ready this orders it.
        self.cb.head[q % EVTCHN_FIFO_MAX_QUEUES].load(Ordering::Acquire)
    }

    fn word(&self, port: u32) -> Option<&AtomicU32> {
        self.array.word(port)
    }
}
