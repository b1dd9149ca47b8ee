//! xenbell's own protocol, defined once for the kernel (`no_std`) and the
//! dom0 tool: what one side writes and the other (or a test) reads.
//!
//! `docs/protocol.md` documents all of it, with the parts that live in other
//! languages (the test bed's shell scenarios and Python runner).
//!
//! - [`xenstore`]: the keys under the guest's home, and their values;
//! - [`console`]: the kernel's stable console lines;
//! - [`selftest`]: the result lines of the kernel's self tests (XTF's
//!   SUCCESS / SKIP / ERROR / FAILURE semantics);
//! - [`exit`]: the dom0 tool's exit statuses.
#![cfg_attr(not(test), no_std)]

pub mod console;
pub mod exit;
pub mod selftest;
pub mod xenstore;
