//! Fuzz target `evtchn_fifo`: the FIFO consumer (`evtchn_fifo::Consumer`)
//! over a hostile event array and control block.
//!
//! Input: an event array of 1..=2048 words filled with arbitrary values
//! (any PENDING/MASKED/LINKED/BUSY and LINK bits: link cycles, links to port
//! 0, links past the array), arbitrary `ready` (bits above 15 too) and
//! `head[]` values (past the array, 0), a step limit (0..=4096: a writer
//! relinking words from the handler keeps any run going to its limit, so
//! the limit is what bounds an upcall), then a script: run the
//! consumer, let Xen (`XenFifo`) raise or unmask a port, mask/unmask a port
//! the guest way, or overwrite a word, `ready` or a head with garbage. The
//! handler too may overwrite words (a hostile writer during the walk).
//!
//! Invariants checked:
//! - nothing panics (no read outside the array: the array is a slice, an
//!   out-of-range index would panic) and every run returns: `steps <=
//!   max(max_steps, 1)`, `dispatched + skipped + bad_links == steps`, handler
//!   calls == `dispatched`;
//! - the handler runs only for a port in `1..len` whose word, at that moment,
//!   has PENDING clear and MASKED clear (the consumer cleared PENDING of an
//!   unmasked word just before), and LINKED clear;
//! - `more_pending` implies the step limit was reached and the upcall flag set;
//! - the script as a whole ends: the final drain (runs while the upcall flag
//!   is set) takes at most 2 * len + 64 runs (each word's LINK is cleared
//!   when consumed, so a walk visits a word at most twice per queue end).
#![no_main]

use std::cell::Cell;
use std::sync::atomic::Ordering::SeqCst;

use evtchn_fifo::{mask, unmask, Consumer, Limits, OwnedFifo, Unmask, XenFifo, LINKED, MASKED, PENDING};
use libfuzzer_sys::fuzz_target;
use xenbell_fuzz::Src;

fn garbage(s: &Src<'_>, len: u32) -> u32 {
    match s.u8() % 6 {
        0 => 0,
        1 => PENDING | LINKED | s.below(len + 4),
        2 => PENDING | LINKED | (s.u32() & 0x1_ffff),
        3 => s.u32(),
        4 => PENDING,
        _ => LINKED | s.below(len),
    }
}

fuzz_target!(|data: &[u8]| {
    let s = Src::new(data);
    let len = 1 + s.below(2048);
    let mem = OwnedFifo::new(len as usize);
    for i in 0..len.min(64 + s.below(len)) {
        let p = if s.u8() % 2 == 0 { i } else { s.below(len) };
        mem.words[p as usize].store(garbage(&s, len), SeqCst);
    }
    mem.cb.ready.store(s.u32(), SeqCst);
    for q in 0..16 {
        let h = match s.u8() % 4 {
            0 => 0,
            1 => s.below(len),
            2 => s.u32(),
            _ => s.below(len + 8),
        };
        mem.cb.head[q].store(h, SeqCst);
    }
    mem.upcall.store(1, SeqCst);
    let max_steps = [0, 1, 2, 7, 64, 1000, 4096][s.below(7) as usize];
    let mut consumer = Consumer::with_limits(Limits { max_steps });
    let mut xen = XenFifo::new(len as usize);
    let hostile_handler = Cell::new(s.u8() % 3 == 0);

    let run = |consumer: &mut Consumer| {
        let calls = Cell::new(0u32);
        let stats = consumer.run(&mem.source(), |p| {
            assert!(p != 0 && p < len, "port {p} dispatched (array of {len})");
            let w = mem.words[p as usize].load(SeqCst);
            assert!(w & (PENDING | MASKED | LINKED) == 0, "port {p} dispatched with word {w:#x}");
            calls.set(calls.get() + 1);
            if hostile_handler.get() {
                // Re-arm: a hostile writer relinks the port to somewhere.
                mem.words[p as usize].store(PENDING | LINKED | (p.wrapping_mul(7) % (len + 3)), SeqCst);
            }
        });
        assert!(stats.steps <= max_steps.max(1), "{stats:?}");
        assert_eq!(stats.dispatched + stats.skipped + stats.bad_links, stats.steps, "{stats:?}");
        assert_eq!(calls.get(), stats.dispatched);
        if stats.more_pending {
            assert_eq!(stats.steps, max_steps.max(1), "{stats:?}");
            assert!(mem.upcall(), "work left without the upcall flag");
        }
    };

    let mut steps = 0;
    while !s.is_empty() && steps < 2000 {
        steps += 1;
        let p = s.below(len);
        match s.u8() % 8 {
            0 | 1 => run(&mut consumer),
            2 | 3 if p != 0 => {
                xen.set_priority(p, s.u8() % 16);
                xen.set_pending(&mem, p);
            }
            4 if p != 0 => {
                if unmask(&mem.words[p as usize]) == Unmask::Hypercall {
                    xen.unmask(&mem, p);
                }
            }
            5 => mask(&mem.words[p as usize]),
            6 => mem.words[p as usize].store(garbage(&s, len), SeqCst),
            7 => {
                mem.cb.ready.fetch_or(s.u32(), SeqCst);
                mem.cb.head[s.below(16) as usize].store(s.below(len + 8), SeqCst);
                mem.upcall.store(1, SeqCst);
            }
            _ => {}
        }
    }
    hostile_handler.set(false);
    let mut runs = 0;
    while mem.upcall() {
        runs += 1;
        assert!(runs <= 2 * len + 64, "never drains: {runs} runs");
        run(&mut consumer);
    }
});
