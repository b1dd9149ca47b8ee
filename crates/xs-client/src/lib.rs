//! One xenstore client for the kernel and the dom0 tool: the request/reply
//! engine, generic over its byte [`Transport`].
//!
//! The wire format (`struct xsd_sockmsg` and payloads, `io/xs_wire.h`) is
//! xs-wire's; ring index arithmetic is xen-ring's. This crate adds what both
//! users need on top, once:
//!
//! - request ids (never 0, wrapping) and replies matched by `req_id`;
//!   a late reply to a request that timed out is discarded, never taken as
//!   the answer to a later request;
//! - reassembly of messages from any split (ring wrap, partial reads);
//! - watch events queued (bounded, drops counted), taken without waiting;
//! - `XS_ERROR` payloads as typed [`xs_wire::XsError`]s;
//! - a deadline on every request, and the *resume* of a request that timed
//!   out half written: its unsent tail is written first, before any later
//!   request, so xenstored never sees a second message spliced into the
//!   first (C xenstored would apply a garbled request, then ignore the
//!   connection for good: `tools/xenstored/core.c`, `ignore_connection`);
//! - a connection marked broken by a real wire or transport error, after
//!   which requests fail at once.
//!
//! [`RingTransport`] is the transport over `xenstore_domain_interface`'s two
//! rings plus an event channel ([`Doorbell`]); the dom0 tool implements
//! [`Transport`] on `/dev/xen/xenbus`.
//!
//! The peer is untrusted: nothing here panics, loops without bound or reads
//! out of bounds on any bytes it sends (fuzzed: fuzz/fuzz_targets/xs_client.rs).
#![cfg_attr(not(test), no_std)]

extern crate alloc;

mod client;
mod transport;

pub use client::{Client, Error, Limits, Tx, WatchEvent};
pub use transport::{Doorbell, RingTransport, Transport};
pub use xs_wire::{MsgType, Request, WireError, XsError};
