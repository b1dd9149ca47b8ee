//! The xenstore wire protocol, as spoken on the xenstore ring and on Linux's
//! `/dev/xen/xenbus`.
//!
//! Every message is a 16-byte [`Header`] (`struct xsd_sockmsg` in
//! `xen/include/public/io/xs_wire.h`: `type`, `req_id`, `tx_id`, `len`, each a
//! little-endian `u32`) followed by `len` payload bytes, `len <= 4096`
//! ([`PAYLOAD_MAX`]). Payloads are NUL-separated strings.
//!
//! - [`Request`] encodes requests into a caller buffer or a `Vec`.
//! - [`Parser`] is fed reply bytes in arbitrary chunks (as they come off a ring
//!   that may wrap) and yields complete [`Message`]s. It holds one message in a
//!   fixed buffer: it never allocates, never reads out of bounds, and rejects a
//!   header with an unknown type or an oversized `len` ([`WireError`]).
//! - [`XsError`] is the typed form of an `ERROR` reply (`"ENOENT\0"`).
//! - [`split_directory`], [`parse_watch_event`] and [`trim_nul`] take payloads apart.
//!
//! The peer (xenstored, or a guest's ring) is untrusted: nothing here panics
//! on any input.
#![cfg_attr(not(test), no_std)]

extern crate alloc;

mod error;
mod header;
mod msg_type;
mod parser;
mod payload;
mod request;

pub use error::{WireError, XsError};
pub use header::{Header, HEADER_LEN};
pub use msg_type::MsgType;
pub use parser::{Message, Parser};
pub use payload::{parse_watch_event, split_directory, trim_nul, Directory, WatchEvent};
pub use request::{Perm, PermKind, Request};

/// Largest payload a message may carry (`XENSTORE_PAYLOAD_MAX`).
pub const PAYLOAD_MAX: usize = 4096;

/// Largest complete message: header plus [`PAYLOAD_MAX`].
pub const MESSAGE_MAX: usize = HEADER_LEN + PAYLOAD_MAX;
