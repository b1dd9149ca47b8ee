//! What the PVH loader hands the xenbell kernel, validated on the host and in
//! the kernel alike: the `hvm_start_info` (and the command line's bytes in
//! it) and the memory map arithmetic that chooses the heap. The command
//! line's meaning is crate `cmdline`. Everything here is untrusted input
//! (the command line comes from whoever wrote the xl config; the start info
//! from whoever loaded us): bad input is a
//! typed error with a message that names the key or field, never a panic.
#![cfg_attr(not(test), no_std)]

pub mod memmap;
pub mod start_info;

pub use memmap::{largest_free_range, Range};
pub use start_info::{cmdline_from_bytes, validate, StartInfoError};
