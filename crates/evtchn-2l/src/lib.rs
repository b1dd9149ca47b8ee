//! Fair decoder for Xen's 2-level event-channel ABI.
//!
//! Xen raises port `p` by setting bit `p` of `shared_info.evtchn_pending`,
//! then (if the port is not masked) bit `p / 64` of the vCPU's
//! `evtchn_pending_sel`, then `evtchn_upcall_pending`, and injects the upcall
//! vector. The kernel's upcall handler calls [`Decoder::run`], which finds the
//! pending, unmasked ports and hands each one to a callback exactly once per
//! raise.
//!
//! The decoder is generic over [`EventSource`], how the bitmaps are reached:
//! [`SharedBitmaps`] uses atomics on the real shared_info/vcpu_info (or on any
//! atomics, e.g. [`OwnedBitmaps`], which also emulates Xen's side for host
//! tests and benchmarks).
//!
//! Design (compare Linux `drivers/xen/events/events_2l.c` and Mini-OS
//! `hypervisor.c`):
//! - clear `evtchn_upcall_pending`, then take the selector with an atomic swap;
//! - scan `pending & !mask` of the selected words starting at a cursor just
//!   after the last port served, wrapping around, so a busy port cannot
//!   starve the others (Mini-OS always starts at bit 0);
//! - test-and-clear each port's pending bit *before* calling the handler, so
//!   a raise during the handler is a new event and a bit cleared by someone
//!   else is not dispatched;
//! - repeat while `evtchn_upcall_pending` was set again, but at most
//!   [`Limits::max_passes`] passes and [`Limits::max_events`] events per call:
//!   the call returns with [`Stats::more_pending`] and the upcall flag set
//!   instead of looping forever under a flood. That flag makes Xen inject
//!   the callback vector again (level), but not the per-vCPU vector (edge:
//!   injected only when Xen itself changes the flag from 0 to 1), so
//!   [`Decoder::upcall`] takes the [`Delivery`] and re-raises the vector
//!   through the caller's hook in the edge case.
//!
//! [`naive_scan`] is the from-bit-0 baseline for benchmarks.
#![cfg_attr(not(test), no_std)]

mod decoder;
mod naive;
mod owned;
mod shared;
mod source;
mod vcpus;

pub use decoder::{Decoder, Delivery, Limits, Stats};
pub use naive::naive_scan;
pub use owned::{OwnedBitmaps, Raise};
pub use shared::SharedBitmaps;
pub use source::EventSource;
pub use vcpus::OwnedVcpus;

pub use xen_abi::evtchn::{BITS_PER_WORD, NR_EVENT_CHANNELS, NR_WORDS};
