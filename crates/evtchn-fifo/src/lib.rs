//! Consumer for Xen's FIFO event-channel ABI (Xen >= 4.4).
//!
//! Layout (`xen/include/public/event_channel.h`, FIFO part; checked against
//! the real header in xen-abi's `c_headers` test): each port has a 32-bit
//! *event word* in the guest's event array (pages added with
//! `EVTCHNOP_expand_array`, 1024 words each): PENDING (bit 31), MASKED (30),
//! LINKED (29), BUSY (28) and a 17-bit LINK field, the next port on the
//! same queue. Each vCPU has a *control block* (`EVTCHNOP_init_control`)
//! with a `ready` bitmap and one `head` port per priority (0 highest, 15
//! lowest).
//!
//! Xen raising port `p` (xen/common/event_fifo.c, `evtchn_fifo_set_pending`):
//! set PENDING; if not MASKED and LINKED was clear, set LINKED and append
//! `p` to the queue of its priority by writing `p` into the LINK field of the
//! queue's tail word (a cmpxchg that succeeds only while the tail is still
//! LINKED, with BUSY held during retries). If there was no linked tail, Xen
//! writes `head[prio] = p`, sets bit `prio` of `ready` and, if that bit was
//! clear, sets `evtchn_upcall_pending` and injects the upcall.
//!
//! The guest ([`Consumer::run`], after Linux `drivers/xen/events/events_fifo.c`):
//! take `ready` (xchg with 0); while any bit is set, take the lowest
//! (highest priority), consume one event from that queue (local head, or
//! `head[q]` when the local one ran out), clear LINKED+LINK (returns the
//! next port), then clear PENDING if the event is unmasked and call the
//! handler; OR in `ready` again after each event so a higher priority that
//! became ready preempts the queue being walked. Work per call is bounded
//! ([`Limits`]); what is left is carried to the next call and the upcall
//! flag is set again (see [`Delivery`]).
//!
//! Everything Xen or the other side can write is untrusted: head and LINK
//! values outside the event array end the queue ([`Stats::bad_links`]),
//! link cycles are cut by the work bound, garbage `ready` bits above 15
//! are ignored, and no loop waits on a bit forever ([`unmask`] spins on
//! BUSY a bounded number of times, then leaves the unmask to Xen).
//!
//! [`OwnedFifo`] and [`XenFifo`] are the same memory in ordinary atomics and
//! a model of Xen's side, for host tests and benchmarks.
#![no_std]

extern crate alloc;

mod consumer;
mod owned;
mod shared;
mod word;

pub use consumer::{Consumer, Delivery, Limits, Stats};
pub use owned::{Link, OwnedFifo, Raise, XenFifo};
pub use shared::{ControlBlock, EventArray, FifoSource, SharedFifo};
pub use word::{clear_linked, clear_pending, is_linked, is_masked, is_pending, mask, take_pending, unmask, Unmask};

pub use xen_abi::evtchn::{
    EVTCHN_FIFO_BUSY, EVTCHN_FIFO_EVENT_WORDS_PER_PAGE, EVTCHN_FIFO_LINKED, EVTCHN_FIFO_LINK_BITS,
    EVTCHN_FIFO_LINK_MASK, EVTCHN_FIFO_MASKED, EVTCHN_FIFO_MAX_EVENT_ARRAY_PAGES, EVTCHN_FIFO_MAX_QUEUES,
    EVTCHN_FIFO_NR_CHANNELS, EVTCHN_FIFO_PENDING, EVTCHN_FIFO_PRIORITY_DEFAULT, EVTCHN_FIFO_PRIORITY_MAX,
    EVTCHN_FIFO_PRIORITY_MIN,
};

/// `1 << EVTCHN_FIFO_PENDING`.
pub const PENDING: u32 = 1 << EVTCHN_FIFO_PENDING;
/// `1 << EVTCHN_FIFO_MASKED`.
pub const MASKED: u32 = 1 << EVTCHN_FIFO_MASKED;
/// `1 << EVTCHN_FIFO_LINKED`.
pub const LINKED: u32 = 1 << EVTCHN_FIFO_LINKED;
/// `1 << EVTCHN_FIFO_BUSY`.
pub const BUSY: u32 = 1 << EVTCHN_FIFO_BUSY;
/// The LINK field, `EVTCHN_FIFO_LINK_MASK`.
pub const LINK: u32 = EVTCHN_FIFO_LINK_MASK;
/// Bits of `ready` that name a queue (0..16).
pub const QUEUES_MASK: u32 = (1 << EVTCHN_FIFO_MAX_QUEUES) - 1;
