//! The Xen public ABI that xenbell and its dom0 tool speak, as `#[repr(C)]`
//! Rust types and constants.
//!
//! Everything here mirrors the Xen 4.17 public headers (`xen/include/public/`,
//! installed by Debian's `libxen-dev` under `/usr/include/xen/`) for the
//! x86_64 layout. Each item's doc comment names the header it comes from.
//!
//! Naming: constants keep their exact C names (`EVTCHNOP_send`,
//! `HVM_PARAM_CALLBACK_IRQ`, ...) so they can be grepped against the headers;
//! only the `__` prefix of `__HYPERVISOR_*` is dropped. Structs use Rust
//! CamelCase (`struct evtchn_send` is [`evtchn::EvtchnSend`]); fields keep
//! their C names, with bindgen's `_` suffix where the C name is a Rust keyword
//! (`in` → `in_`, `type` → `type_`).
//!
//! Layouts are checked twice: at compile time in each module (size, alignment
//! and every field offset) and by `tests/c_headers.rs`, which compiles a C
//! program against the real headers and compares every size, offset and
//! constant with the values in this crate.
#![cfg_attr(not(test), no_std)]
// Constants keep their C spelling (see above).
#![allow(non_upper_case_globals)]

/// Compile-time layout check: size, alignment and the offset of each listed field.
///
/// Values come from compiling the real headers (see `tests/c_headers.rs`).
macro_rules! assert_layout {
    ($t:ty, size = $size:expr, align = $align:expr $(, $field:ident @ $off:expr)* $(,)?) => {
        const _: () = assert!(core::mem::size_of::<$t>() == $size);
        const _: () = assert!(core::mem::align_of::<$t>() == $align);
        $( const _: () = assert!(core::mem::offset_of!($t, $field) == $off); )*
    };
}

pub mod console;
pub mod cpuid;
pub mod errno;
pub mod evtchn;
pub mod grant_table;
pub mod hvm;
pub mod hypercall;
pub mod memory;
pub mod ops;
pub mod sched;
pub mod shared_info;
pub mod start_info;
pub mod vcpu;
pub mod xen;
pub mod xenstore;

pub use errno::Errno;
pub use evtchn::Port;
pub use xen::DomId;
