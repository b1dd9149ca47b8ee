//! (b) Concurrency: a thread playing Xen links events while the consumer runs.
//!
//! What: no event is lost or delivered twice while Xen's linking (PENDING,
//! LINKED, the cmpxchg on the tail's LINK with BUSY held on retries, head +
//! ready + upcall flag when the tail was already consumed) races with the
//! consumer's clear_linked / take_pending, with priorities changing under
//! it, and with the guest masking and unmasking ports by the XSA-332 rule
//! (local clear only when not pending, else `EVTCHNOP_unmask`).
//! How: the Xen thread calls `XenFifo::set_pending` on pseudo-random ports
//! (and `set_priority` now and then) and counts, per port, raises that
//! turned PENDING from 0 to 1. The guest thread runs the consumer (small
//! step limit, so the carry path races too) whenever the upcall flag is
//! set, and masks/unmasks a few ports between runs; `XenFifo` sits behind a
//! mutex as Xen's queue lock. At the end Xen stops, the guest unmasks
//! everything and drains; then per port dispatches == 0->1 transitions, and
//! nothing unmasked is left pending.
//! False passes: no overlap means no race tested. Both threads start at a
//! barrier, and Xen does not stop after `RAISES` raises until the consumer
//! has served `MIN_OVERLAP` events while Xen was still raising (a
//! handshake, not a timing: under load the threads interleave by
//! preemption, and Xen just raises longer); it gives up after
//! `MAX_RAISES`, and then the test fails, which means the consumer made no
//! progress (a bug, e.g. a hang). x86's TSO is stronger than Rust's model,
//! so an ordering too weak only in theory may still pass.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Barrier, Mutex};
use std::thread;

use evtchn_fifo::{mask, unmask, Consumer, Limits, OwnedFifo, Unmask, XenFifo, MASKED, PENDING};

const PORTS: usize = 2048;
const RAISES: usize = 200_000;
/// Xen raises until the consumer served this many events while it raised...
const MIN_OVERLAP: u64 = 1000;
/// ...but at most this many times.
const MAX_RAISES: usize = 100 * RAISES;
const TOGGLED: [u32; 3] = [3, 700, 2047];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn events_linked_while_consuming_are_each_served_once() {
    for seed in [0x9e37_79b9_7f4a_7c15u64, 0x2545_f491_4f6c_dd1d] {
        let (raises, overlap) = scenario(seed);
        println!("seed {seed:#x}: {raises} raises, {overlap} events served while Xen was raising");
        assert!(
            overlap >= MIN_OVERLAP,
            "the consumer served only {overlap} events in {raises} raises while Xen was raising"
        );
    }
}

/// One run with seed `seed`; returns Xen's raises and the number of events
/// served while Xen was raising.
fn scenario(seed: u64) -> (usize, u64) {
    let mem = OwnedFifo::new(PORTS);
    let xen = Mutex::new(XenFifo::new(PORTS));
    let raising = AtomicBool::new(true);
    let overlap = AtomicU64::new(0);
    let mut raised = vec![0u32; PORTS];
    let mut got = vec![0u32; PORTS];
    let mut raises = 0;
    let start = Barrier::new(2);
    thread::scope(|s| {
        let xen_thread = s.spawn(|| {
            let mut rng = Rng(seed | 1);
            let mut raised = vec![0u32; PORTS];
            start.wait();
            let mut i = 0;
            while i < MAX_RAISES && (i < RAISES || overlap.load(Ordering::SeqCst) < MIN_OVERLAP) {
                let r = rng.next();
                // A few hot ports (coalescing, relinking right after a
                // consume) and a spread over the array.
                let port = if r & 3 == 0 { 1 + (r >> 8) as u32 % 8 } else { 1 + (r >> 8) as u32 % (PORTS as u32 - 1) };
                let mut x = xen.lock().unwrap();
                if i.is_multiple_of(997) {
                    x.set_priority(port, (r >> 40) as u8 % 16);
                }
                if x.set_pending(&mem, port).newly_pending {
                    raised[port as usize] += 1;
                }
                drop(x);
                i += 1;
                if i.is_multiple_of(4096) {
                    thread::yield_now(); // let a consumer sharing this core run
                }
            }
            raising.store(false, Ordering::SeqCst);
            (raised, i)
        });
        let mut consumer = Consumer::with_limits(Limits { max_steps: 37 });
        let mut rng = Rng(seed ^ 0x5555);
        let mut runs = 0u64;
        start.wait();
        loop {
            let still = raising.load(Ordering::SeqCst);
            if mem.upcall() {
                runs += 1;
                let stats = consumer.run(&mem.source(), |p| got[p as usize] += 1);
                assert_eq!(stats.bad_links, 0, "{stats:?}");
                if still {
                    overlap.fetch_add(u64::from(stats.dispatched), Ordering::SeqCst);
                }
                if runs.is_multiple_of(16) {
                    let p = TOGGLED[(rng.next() % 3) as usize];
                    let w = mem.word(p);
                    if w.load(Ordering::SeqCst) & MASKED == 0 {
                        mask(w);
                    } else if unmask(w) == Unmask::Hypercall {
                        xen.lock().unwrap().unmask(&mem, p);
                    }
                }
            } else if !still {
                break;
            } else {
                std::hint::spin_loop();
            }
        }
        (raised, raises) = xen_thread.join().unwrap();
        for p in TOGGLED {
            if unmask(mem.word(p)) == Unmask::Hypercall {
                xen.lock().unwrap().unmask(&mem, p);
            }
        }
        let mut rounds = 0;
        while mem.upcall() {
            rounds += 1;
            assert!(rounds < 100_000, "consumer never drains");
            consumer.run(&mem.source(), |p| got[p as usize] += 1);
        }
    });
    for p in 1..PORTS {
        let w = mem.words[p].load(Ordering::SeqCst);
        assert!(w & PENDING == 0, "port {p} left pending ({w:#x}): event lost");
        assert_eq!(got[p], raised[p], "port {p}: {} new events, {} dispatches", raised[p], got[p]);
    }
    (raises, overlap.load(Ordering::SeqCst))
}
