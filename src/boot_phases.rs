//! Where boot time goes: the TSC at the end of each phase from kernel entry
//! to `ready`, reported in one line at ready (after the clock is known):
//!
//! `boot: phases us: console=<n> arch=<n> xen=<n> heap=<n> xenstore=<n> port=<n> publish=<n>`
//!
//! Each number is that phase's own duration in microseconds (not a running
//! total), converted with Xen's pvclock record (shift and multiplier, as
//! for every other time). Read by `make bench` (tools/bench/report.py).

use core::sync::atomic::{AtomicU64, Ordering};

/// The phases, in boot order; `mark(p)` is called when phase `p` ends.
#[derive(Clone, Copy)]
pub enum Phase {
    /// console::init and the logger (the first line printed).
    Console,
    /// start info, GDT/TSS/IDT, guard pages, the command line.
    Arch,
    /// xen::init: hypercall page, shared_info, clock, upcall, PV console, timer.
    Xen,
    /// memory map, heap init and check.
    Heap,
    /// the xenstore ring found (xenstore::init) and `remote` checked.
    Xenstore,
    /// our unbound port allocated and its handler bound.
    Port,
    /// the watch set, guest-state, port and state written: ready.
    Publish,
}

const NAMES: [&str; 7] = ["console", "arch", "xen", "heap", "xenstore", "port", "publish"];

static ENTRY: AtomicU64 = AtomicU64::new(0);
static MARKS: [AtomicU64; 7] = [const { AtomicU64::new(0) }; 7];

/// Kernel entry, with the TSC read there.
pub fn entry(tsc: u64) {
    ENTRY.store(tsc, Ordering::Relaxed);
}

/// Phase `p` has just ended. Relaxed: one vCPU, read by the same one later.
pub fn mark(p: Phase) {
    MARKS[p as usize].store(crate::arch::cpu::rdtsc(), Ordering::Relaxed);
}

/// Logs the phases' durations (needs the Xen clock, so call it after
/// xen::init). A phase not marked shows as 0 and the next one takes its time.
pub fn report() {
    let mut line = alloc::string::String::from("boot: phases us:");
    let mut prev = ENTRY.load(Ordering::Relaxed);
    for (name, mark) in NAMES.iter().zip(MARKS.iter()) {
        let t = mark.load(Ordering::Relaxed);
        let us = if t == 0 {
            0
        } else {
            let d = crate::xen::time::tsc_delta_ns(t.wrapping_sub(prev)) / 1000;
            prev = t;
            d
        };
        let _ = core::fmt::Write::write_fmt(&mut line, format_args!(" {name}={us}"));
    }
    log::info!("{line}");
}
