//! Index arithmetic of Xen's shared byte rings, against an untrusted peer.
//!
//! The console (`xencons_interface`: `in[1024]`, `out[2048]`) and xenstore
//! (`xenstore_domain_interface`: `req[1024]`, `rsp[1024]`) rings are a data
//! array of a power-of-two size plus two free-running `u32` counters: the
//! producer's `prod` and the consumer's `cons`. Byte `n` of the stream lives
//! at `data[n & (size - 1)]`; `prod - cons` (wrapping) bytes are in flight.
//!
//! The other domain can write anything into the shared page at any time, so:
//! - we keep our own counter privately ([`Consumer`], [`Producer`]) and only
//!   ever store it to the page, never trust the page's copy of it;
//! - we read the peer's counter exactly once per operation;
//! - a peer counter that claims more than `size` bytes in flight is
//!   [`RingError::Corrupt`], reported instead of read past;
//! - every data index is masked, so no value can reach outside the array,
//!   and no operation loops on the peer's word.
//!
//! Barriers (the `Ordering`s passed to [`RingMemory`]), as Linux's
//! `xenbus_comms.c`/`hvc_xen.c` place `virt_rmb`/`virt_mb`/`virt_wmb`:
//!
//! | reader ([`Consumer::read`]) | writer ([`Producer::write`]) |
//! |---|---|
//! | load `prod` with Acquire: data reads cannot move before it | load `cons` with Acquire: data writes cannot move before we saw the space freed |
//! | read the data | write the data |
//! | store `cons` with Release: our reads finish before the peer may reuse the space | store `prod` with Release: the data is visible before the peer sees it announced |
//!
//! Notifying the peer (an event channel send) is the caller's job, after the
//! store.
#![cfg_attr(not(test), no_std)]

mod consumer;
mod memory;
mod producer;
mod window;

pub use consumer::Consumer;
pub use memory::{ArrayRing, RingMemory};
pub use producer::Producer;
pub use window::{readable, writable, RingError, Window};

/// `xencons_interface.in`: dom0 (xenconsoled) writes, the guest reads.
pub const CONSOLE_IN_SIZE: u32 = 1024;
/// `xencons_interface.out`: the guest writes, xenconsoled reads.
pub const CONSOLE_OUT_SIZE: u32 = 2048;
/// `xenstore_domain_interface.req` and `.rsp` (`XENSTORE_RING_SIZE`).
pub const XENSTORE_RING_SIZE: u32 = 1024;
