//! Host-test doubles: an in-memory xenstored behind the xenbus [`Transport`]
//! and a scripted peer behind [`EventChannel`]. They model the behaviour the
//! commands depend on (replies in small chunks, ENOENT, bind-time events,
//! masking until unmask, coalescing of pending events), nothing more.
//!
//! [`Transport`]: crate::xenbus::Transport
//! [`EventChannel`]: crate::channel::EventChannel

mod evtchn_dev;
mod store;

pub use evtchn_dev::{FakeEvtchn, Peer};
pub use store::FakeStore;
