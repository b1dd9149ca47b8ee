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
//! Several vCPUs (Xen xen/common/event_2l.c, Linux
//! `drivers/xen/events/events_2l.c`): `evtchn_pending` and `evtchn_mask` in
//! shared_info are shared by all vCPUs; only `evtchn_pending_sel` and
//! `evtchn_upcall_pending` are per vCPU, and `evtchn_2l_set_pending` sets
//! them on the port's notify vCPU (vCPU 0 unless `EVTCHNOP_bind_vcpu`
//! moved it; `EVTCHNOP_unmask` re-raises there too). A vCPU whose selector
//! names a word would therefore also see the other vCPUs' ports of that
//! word, and two vCPUs could run one port's handler at once. So the guest
//! keeps one bitmap per vCPU of the ports bound to it (Linux
//! `cpu_evtchn_mask`), each port's bit set in exactly one, and each vCPU's
//! decoder scans `pending & !mask & owned` ([`EventSource::owned`],
//! [`SharedBitmaps::with_owned`]). A port moves like in Linux: mask it,
//! `EVTCHNOP_bind_vcpu`, clear its bit in the old vCPU's bitmap and set it
//! in the new one's, unmask (a pending port through `EVTCHNOP_unmask`,
//! which raises it on the new vCPU). The test-and-clear of the pending bit
//! still decides which vCPU gets an event, so a scan that read the old
//! owner's bitmap just before the move may take one event on the old vCPU,
//! but never the same event twice. [`OwnedVcpus`] emulates both sides for
//! host tests.
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
