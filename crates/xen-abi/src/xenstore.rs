//! Xenstore: the shared ring page and the wire message header.
//!
//! Mirrors `xen/include/public/io/xs_wire.h` (Xen 4.17: the ring page ends
//! with `error`, 2076 bytes; `evtchn_port` and the quota/feature message types
//! were added to the header after 4.17).

/// `XENSTORE_RING_SIZE` (xs_wire.h): bytes in each of `req` and `rsp`.
pub const XENSTORE_RING_SIZE: usize = 1024;
/// `XENSTORE_PAYLOAD_MAX` (xs_wire.h): most payload bytes after a header.
pub const XENSTORE_PAYLOAD_MAX: usize = 4096;
/// `XENSTORE_ABS_PATH_MAX` (xs_wire.h).
pub const XENSTORE_ABS_PATH_MAX: usize = 3072;
/// `XENSTORE_REL_PATH_MAX` (xs_wire.h).
pub const XENSTORE_REL_PATH_MAX: usize = 2048;

/// `XENSTORE_SERVER_FEATURE_RECONNECTION` (xs_wire.h).
pub const XENSTORE_SERVER_FEATURE_RECONNECTION: u32 = 1;
/// `XENSTORE_SERVER_FEATURE_ERROR` (xs_wire.h).
pub const XENSTORE_SERVER_FEATURE_ERROR: u32 = 2;
/// `XENSTORE_CONNECTED` (xs_wire.h): `connection` steady state.
pub const XENSTORE_CONNECTED: u32 = 0;
/// `XENSTORE_RECONNECT` (xs_wire.h): reconnect in progress.
pub const XENSTORE_RECONNECT: u32 = 1;
/// `XENSTORE_ERROR_NONE` (xs_wire.h).
pub const XENSTORE_ERROR_NONE: u32 = 0;
/// `XENSTORE_ERROR_COMM` (xs_wire.h).
pub const XENSTORE_ERROR_COMM: u32 = 1;
/// `XENSTORE_ERROR_RINGIDX` (xs_wire.h).
pub const XENSTORE_ERROR_RINGIDX: u32 = 2;
/// `XENSTORE_ERROR_PROTO` (xs_wire.h).
pub const XENSTORE_ERROR_PROTO: u32 = 3;

/// `XS_CONTROL` (xs_wire.h, `enum xsd_sockmsg_type`), alias `XS_DEBUG`.
pub const XS_CONTROL: u32 = 0;
/// `XS_DIRECTORY` (xs_wire.h).
pub const XS_DIRECTORY: u32 = 1;
/// `XS_READ` (xs_wire.h).
pub const XS_READ: u32 = 2;
/// `XS_GET_PERMS` (xs_wire.h).
pub const XS_GET_PERMS: u32 = 3;
/// `XS_WATCH` (xs_wire.h).
pub const XS_WATCH: u32 = 4;
/// `XS_UNWATCH` (xs_wire.h).
pub const XS_UNWATCH: u32 = 5;
/// `XS_TRANSACTION_START` (xs_wire.h).
pub const XS_TRANSACTION_START: u32 = 6;
/// `XS_TRANSACTION_END` (xs_wire.h).
pub const XS_TRANSACTION_END: u32 = 7;
/// `XS_INTRODUCE` (xs_wire.h).
pub const XS_INTRODUCE: u32 = 8;
/// `XS_RELEASE` (xs_wire.h).
pub const XS_RELEASE: u32 = 9;
/// `XS_GET_DOMAIN_PATH` (xs_wire.h).
pub const XS_GET_DOMAIN_PATH: u32 = 10;
/// `XS_WRITE` (xs_wire.h).
pub const XS_WRITE: u32 = 11;
/// `XS_MKDIR` (xs_wire.h).
pub const XS_MKDIR: u32 = 12;
/// `XS_RM` (xs_wire.h).
pub const XS_RM: u32 = 13;
/// `XS_SET_PERMS` (xs_wire.h).
pub const XS_SET_PERMS: u32 = 14;
/// `XS_WATCH_EVENT` (xs_wire.h): asynchronous, `req_id` 0.
pub const XS_WATCH_EVENT: u32 = 15;
/// `XS_ERROR` (xs_wire.h): payload is an errno name such as `"EINVAL"`.
pub const XS_ERROR: u32 = 16;
/// `XS_IS_DOMAIN_INTRODUCED` (xs_wire.h).
pub const XS_IS_DOMAIN_INTRODUCED: u32 = 17;
/// `XS_RESUME` (xs_wire.h).
pub const XS_RESUME: u32 = 18;
/// `XS_SET_TARGET` (xs_wire.h).
pub const XS_SET_TARGET: u32 = 19;
/// `XS_RESET_WATCHES` (xs_wire.h): `XS_SET_TARGET + 2` (20 was `XS_RESTRICT`).
pub const XS_RESET_WATCHES: u32 = 21;
/// `XS_DIRECTORY_PART` (xs_wire.h).
pub const XS_DIRECTORY_PART: u32 = 22;
/// `XS_TYPE_COUNT` (xs_wire.h): number of message types in Xen 4.17.
pub const XS_TYPE_COUNT: u32 = 23;
/// `XS_INVALID` (xs_wire.h): guaranteed never to be a valid type.
pub const XS_INVALID: u32 = 0xffff;

/// `XS_WATCH_PATH` (xs_wire.h): index of the path in a watch event payload.
pub const XS_WATCH_PATH: u32 = 0;
/// `XS_WATCH_TOKEN` (xs_wire.h): index of the token in a watch event payload.
pub const XS_WATCH_TOKEN: u32 = 1;

/// `XENSTORE_RING_IDX` (xs_wire.h): free-running ring counter.
pub type XenstoreRingIdx = u32;

/// `struct xsd_sockmsg` (xs_wire.h): header in front of every message.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct XsdSockmsg {
    /// C `type`: `XS_*`.
    pub type_: u32,
    /// Request id, echoed in the reply.
    pub req_id: u32,
    /// Transaction id (0 = none).
    pub tx_id: u32,
    /// Payload bytes that follow (at most [`XENSTORE_PAYLOAD_MAX`]).
    pub len: u32,
}
assert_layout!(XsdSockmsg, size = 16, align = 4, type_ @ 0, req_id @ 4, tx_id @ 8, len @ 12);

/// `struct xenstore_domain_interface` (xs_wire.h), the xenstore ring page.
///
/// The other end (xenstored) is untrusted and concurrent: read the counters
/// with atomics/volatile and validate them.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XenstoreDomainInterface {
    /// Requests to xenstored.
    pub req: [u8; XENSTORE_RING_SIZE],
    /// Replies and watch events.
    pub rsp: [u8; XENSTORE_RING_SIZE],
    /// xenstored's consumer counter for `req`.
    pub req_cons: XenstoreRingIdx,
    /// Our producer counter for `req`.
    pub req_prod: XenstoreRingIdx,
    /// Our consumer counter for `rsp`.
    pub rsp_cons: XenstoreRingIdx,
    /// xenstored's producer counter for `rsp`.
    pub rsp_prod: XenstoreRingIdx,
    /// `XENSTORE_SERVER_FEATURE_*` bitmap.
    pub server_features: u32,
    /// `XENSTORE_CONNECTED` / `XENSTORE_RECONNECT`.
    pub connection: u32,
    /// `XENSTORE_ERROR_*`.
    pub error: u32,
}
assert_layout!(XenstoreDomainInterface, size = 2076, align = 4,
    req @ 0, rsp @ 1024, req_cons @ 2048, req_prod @ 2052, rsp_cons @ 2056,
    rsp_prod @ 2060, server_features @ 2064, connection @ 2068, error @ 2072);
