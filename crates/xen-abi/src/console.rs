//! The PV console: the `console_io` hypercall (Xen's own console) and the
//! shared ring page served by xenconsoled.
//!
//! Mirrors `CONSOLEIO_*` in `xen/include/public/xen.h` and
//! `xen/include/public/io/console.h`.
//!
//! Xen 4.17's `struct xencons_interface` ends after `out_prod` (3088 bytes);
//! the `connection` field some notes mention was added to the header later.

/// `CONSOLEIO_write` (xen.h): write `count` bytes to Xen's console.
pub const CONSOLEIO_write: u32 = 0;
/// `CONSOLEIO_read` (xen.h): read from Xen's console (dom0).
pub const CONSOLEIO_read: u32 = 1;

/// `XENCONS_RING_IDX` (console.h): free-running ring counter; the index into
/// a ring is `counter & (ring size - 1)`.
pub type XenconsRingIdx = u32;

/// `struct xencons_interface` (console.h), the console ring page.
///
/// The other end (xenconsoled) is untrusted and concurrent: read the
/// counters with atomics/volatile and validate `prod - cons <= size`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XenconsInterface {
    /// C `in[1024]`: bytes from the backend to us.
    pub in_: [u8; XenconsInterface::IN_SIZE],
    /// C `out[2048]`: bytes from us to the backend.
    pub out: [u8; XenconsInterface::OUT_SIZE],
    /// Our consumer counter for `in`.
    pub in_cons: XenconsRingIdx,
    /// Backend's producer counter for `in`.
    pub in_prod: XenconsRingIdx,
    /// Backend's consumer counter for `out`.
    pub out_cons: XenconsRingIdx,
    /// Our producer counter for `out`.
    pub out_prod: XenconsRingIdx,
}
assert_layout!(XenconsInterface, size = 3088, align = 4,
    in_ @ 0, out @ 1024, in_cons @ 3072, in_prod @ 3076, out_cons @ 3080, out_prod @ 3084);

impl XenconsInterface {
    /// `sizeof(in)`, a power of two.
    pub const IN_SIZE: usize = 1024;
    /// `sizeof(out)`, a power of two.
    pub const OUT_SIZE: usize = 2048;
}
