//! Event channels: `event_channel_op` (hypercall 32) sub-ops, channel states
//! and the 2-level bitmap geometry.
//!
//! Mirrors `xen/include/public/event_channel.h`. The op argument structs are
//! in `evtchn/ops.rs` (re-exported here), the validated port number is [`Port`].

mod delivery;
mod ops;
mod port;

pub use delivery::Delivery;
pub use ops::*;
pub use port::{InvalidPort, Port};

/// `evtchn_port_t` (event_channel.h): a raw port number.
pub type EvtchnPort = u32;

/// `EVTCHNOP_bind_interdomain` (event_channel.h): [`EvtchnBindInterdomain`].
pub const EVTCHNOP_bind_interdomain: u32 = 0;
/// `EVTCHNOP_bind_virq` (event_channel.h): [`EvtchnBindVirq`].
pub const EVTCHNOP_bind_virq: u32 = 1;
/// `EVTCHNOP_bind_pirq` (event_channel.h): [`EvtchnBindPirq`].
pub const EVTCHNOP_bind_pirq: u32 = 2;
/// `EVTCHNOP_close` (event_channel.h): [`EvtchnClose`].
pub const EVTCHNOP_close: u32 = 3;
/// `EVTCHNOP_send` (event_channel.h): [`EvtchnSend`].
pub const EVTCHNOP_send: u32 = 4;
/// `EVTCHNOP_status` (event_channel.h): [`EvtchnStatus`].
pub const EVTCHNOP_status: u32 = 5;
/// `EVTCHNOP_alloc_unbound` (event_channel.h): [`EvtchnAllocUnbound`].
pub const EVTCHNOP_alloc_unbound: u32 = 6;
/// `EVTCHNOP_bind_ipi` (event_channel.h): [`EvtchnBindIpi`].
pub const EVTCHNOP_bind_ipi: u32 = 7;
/// `EVTCHNOP_bind_vcpu` (event_channel.h): [`EvtchnBindVcpu`].
pub const EVTCHNOP_bind_vcpu: u32 = 8;
/// `EVTCHNOP_unmask` (event_channel.h): [`EvtchnUnmask`].
pub const EVTCHNOP_unmask: u32 = 9;
/// `EVTCHNOP_reset` (event_channel.h): [`EvtchnReset`].
pub const EVTCHNOP_reset: u32 = 10;
/// `EVTCHNOP_init_control` (event_channel.h, FIFO ABI): [`EvtchnInitControl`].
pub const EVTCHNOP_init_control: u32 = 11;
/// `EVTCHNOP_expand_array` (event_channel.h, FIFO ABI): [`EvtchnExpandArray`].
pub const EVTCHNOP_expand_array: u32 = 12;
/// `EVTCHNOP_set_priority` (event_channel.h, FIFO ABI): [`EvtchnSetPriority`].
pub const EVTCHNOP_set_priority: u32 = 13;

/// `EVTCHNSTAT_closed` (event_channel.h): channel not in use.
pub const EVTCHNSTAT_closed: u32 = 0;
/// `EVTCHNSTAT_unbound` (event_channel.h): waiting for the remote domain to bind.
pub const EVTCHNSTAT_unbound: u32 = 1;
/// `EVTCHNSTAT_interdomain` (event_channel.h): connected to a remote domain.
pub const EVTCHNSTAT_interdomain: u32 = 2;
/// `EVTCHNSTAT_pirq` (event_channel.h): bound to a physical IRQ.
pub const EVTCHNSTAT_pirq: u32 = 3;
/// `EVTCHNSTAT_virq` (event_channel.h): bound to a virtual IRQ.
pub const EVTCHNSTAT_virq: u32 = 4;
/// `EVTCHNSTAT_ipi` (event_channel.h): bound to a virtual IPI.
pub const EVTCHNSTAT_ipi: u32 = 5;

/// `BIND_PIRQ__WILL_SHARE` (event_channel.h): flag for [`EvtchnBindPirq`].
pub const BIND_PIRQ__WILL_SHARE: u32 = 1;

/// `EVTCHN_FIFO_PRIORITY_MAX` (event_channel.h): highest FIFO priority.
pub const EVTCHN_FIFO_PRIORITY_MAX: u32 = 0;
/// `EVTCHN_FIFO_PRIORITY_DEFAULT` (event_channel.h).
pub const EVTCHN_FIFO_PRIORITY_DEFAULT: u32 = 7;
/// `EVTCHN_FIFO_PRIORITY_MIN` (event_channel.h): lowest FIFO priority.
pub const EVTCHN_FIFO_PRIORITY_MIN: u32 = 15;

/// `EVTCHN_FIFO_MAX_QUEUES` (event_channel.h): one queue per priority, 16.
pub const EVTCHN_FIFO_MAX_QUEUES: usize = 16;
/// `EVTCHN_FIFO_PENDING` (event_channel.h): bit of an event word, set by Xen
/// when the event is raised, cleared by the guest.
pub const EVTCHN_FIFO_PENDING: u32 = 31;
/// `EVTCHN_FIFO_MASKED` (event_channel.h): bit of an event word; a masked
/// event is not linked into a queue when raised.
pub const EVTCHN_FIFO_MASKED: u32 = 30;
/// `EVTCHN_FIFO_LINKED` (event_channel.h): bit of an event word; the event is
/// on a queue (set by Xen, cleared by the guest when it consumes it).
pub const EVTCHN_FIFO_LINKED: u32 = 29;
/// `EVTCHN_FIFO_BUSY` (event_channel.h): bit of an event word; Xen holds it
/// while it updates the LINK field of a word the guest may also change.
pub const EVTCHN_FIFO_BUSY: u32 = 28;
/// `EVTCHN_FIFO_LINK_BITS` (event_channel.h): width of the LINK field (bits
/// 0..17 of an event word: the next port on the queue, 0 = none).
pub const EVTCHN_FIFO_LINK_BITS: u32 = 17;
/// `EVTCHN_FIFO_LINK_MASK` (event_channel.h): `(1 << LINK_BITS) - 1`.
pub const EVTCHN_FIFO_LINK_MASK: u32 = (1 << EVTCHN_FIFO_LINK_BITS) - 1;
/// `EVTCHN_FIFO_NR_CHANNELS` (event_channel.h): ports of the FIFO ABI, 131072.
pub const EVTCHN_FIFO_NR_CHANNELS: usize = 1 << EVTCHN_FIFO_LINK_BITS;
/// Event words (`event_word_t`, u32) per 4 KiB event-array page (Xen's
/// `EVTCHN_FIFO_EVENT_WORDS_PER_PAGE`, event_fifo.c): 1024.
pub const EVTCHN_FIFO_EVENT_WORDS_PER_PAGE: usize = 4096 / 4;
/// Most event-array pages (Xen's `EVTCHN_FIFO_MAX_EVENT_ARRAY_PAGES`,
/// event_fifo.c): `NR_CHANNELS / WORDS_PER_PAGE` = 128.
pub const EVTCHN_FIFO_MAX_EVENT_ARRAY_PAGES: usize = EVTCHN_FIFO_NR_CHANNELS / EVTCHN_FIFO_EVENT_WORDS_PER_PAGE;

/// Bits per word of the 2-level bitmaps: `sizeof(xen_ulong_t) * 8` on x86_64.
pub const BITS_PER_WORD: usize = 64;
/// Words in `shared_info.evtchn_pending` / `evtchn_mask`, and bits in
/// `vcpu_info.evtchn_pending_sel`: also `sizeof(xen_ulong_t) * 8` (xen.h).
pub const NR_WORDS: usize = 64;
/// `EVTCHN_2L_NR_CHANNELS` (event_channel.h): ports of the 2-level ABI,
/// `BITS_PER_WORD * NR_WORDS` = 4096 on x86_64.
pub const NR_EVENT_CHANNELS: usize = 4096;

const _: () = assert!(BITS_PER_WORD * NR_WORDS == NR_EVENT_CHANNELS);
