//! Exit statuses of the dom0 tool `xenbell-dom0` (docs/protocol.md, "Exit
//! codes"). 0-9 are the stable interface.

/// Success.
pub const OK: i32 = 0;
/// Anything not listed below (an I/O error, no permission, a broken
/// xenstore reply).
pub const FAILED: i32 = 1;
/// Bad command line.
pub const USAGE: i32 = 2;
/// Not on Xen: no `/dev/xen`.
pub const NOT_XEN: i32 = 3;
/// No such domain.
pub const NO_DOMAIN: i32 = 4;
/// The guest has not published its port (or a bad one).
pub const NO_PORT: i32 = 5;
/// Xen refused the bind.
pub const BIND_REFUSED: i32 = 6;
/// Timeout, or the peer is gone.
pub const TIMEOUT: i32 = 7;
/// xenstore failed: no answer within 5 s, a refused request, or a broken reply.
pub const XENSTORE: i32 = 8;
/// vchan: the echoed bytes differ from those sent, or the vchan server broke
/// the libxenvchan protocol.
pub const MISMATCH: i32 = 9;
