//! What a session cost the guest, counted by the guest itself: hypercalls
//! (each an exit to Xen), wake-ups from `hlt` (each a halt exit and a wake),
//! upcalls taken, local-APIC EOI writes (an exit each, with the per-vCPU
//! vector) and clock reads (an RDTSC exit each unless tsc_mode="native").
//! Logged when the session closes, after its `session with domain` line, so
//! counting costs one relaxed add per event and nothing is printed per round:
//!
//! `pingpong: session cost: hypercalls=<n> halts=<n> upcalls=<n> eois=<n> clock_reads=<n>`
//!
//! The counts cover the whole session, handshake and goodbye included;
//! `make bench` divides them by the session's rounds (tools/bench/report.py).

use crate::xen::{events, hypercall, time, upcall, wait};

#[derive(Clone, Copy)]
pub struct Counters {
    hypercalls: u64,
    halts: u64,
    upcalls: u64,
    eois: u64,
    clock_reads: u64,
}

impl Counters {
    pub fn now() -> Counters {
        Counters {
            hypercalls: hypercall::count(),
            halts: wait::wakeups(),
            upcalls: events::counters().0,
            eois: upcall::eois(),
            clock_reads: time::reads(),
        }
    }

    /// Logs what happened since `self` was taken.
    pub fn report_since(&self) {
        let n = Counters::now();
        log::info!(
            "pingpong: session cost: hypercalls={} halts={} upcalls={} eois={} clock_reads={}",
            n.hypercalls.wrapping_sub(self.hypercalls),
            n.halts.wrapping_sub(self.halts),
            n.upcalls.wrapping_sub(self.upcalls),
            n.eois.wrapping_sub(self.eois),
            n.clock_reads.wrapping_sub(self.clock_reads)
        );
    }
}
