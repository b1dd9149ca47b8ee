//! Fuzz target `evtchn_decoder`: the fair 2-level decoder (`evtchn_2l::Decoder`)
//! over the production `EventSource`, `SharedBitmaps`, with Xen's side played
//! step by step and interleaved with every access the decoder makes.
//!
//! Input: an arbitrary starting state (pending, mask, selector words, upcall
//! flag, cursor, limits), then a script of operations: start a Xen raise
//! (`evtchn_2l_set_pending`) or a Xen unmask (`evtchn_2l_unmask`), advance one
//! of those in-flight operations by one of its atomic steps, mask a port (the
//! guest), deliver an upcall (run the decoder if the flag is set), or run it
//! spuriously. While the decoder runs, before each of its `EventSource` calls
//! and inside each handler call, the script may start or advance Xen
//! operations too, so Xen's three or four locked bit operations interleave
//! with the decoder's at every point (a sequentially consistent schedule; the
//! concurrent test in crates/evtchn-2l covers real threads). Port numbers
//! cover all 4096 ports, port 0 included.
//!
//! Invariants checked:
//! - a handler runs only for the port whose pending bit the decoder has just
//!   test-and-cleared successfully (so: never a port that was not pending),
//!   exactly once per successful clear, and a cleared bit is never left
//!   without its handler call (no event swallowed);
//! - never port 0, never a port >= 4096, never a masked port (masks only get
//!   set between runs here; a mask set while a run is scanning is racy by
//!   design, see shared.rs);
//! - each run terminates within its limits: `passes <= max(max_passes, 1)`,
//!   `dispatched <= max(max_events, 1)`, bounded `EventSource` calls,
//!   handler calls == `stats.dispatched`, and `more_pending` equals the
//!   upcall flag on return (and implies a limit was hit);
//! - every raised, unmasked event is eventually dispatched exactly once: at
//!   the end all Xen operations complete, the decoder runs while the upcall
//!   flag is set (Xen's injection; at most 4100 runs, else "endless"), and
//!   then no unmasked port except port 0 may be left pending, unless its word
//!   was left undelivered by the arbitrary starting state itself (a selector
//!   bit without the upcall flag, or pending bits without a selector bit) and
//!   no Xen operation has set that selector bit since.
//! - per port, dispatches == 0->1 transitions of its pending bit (initial
//!   state and Xen raises) minus one if it is still pending at the end.
#![no_main]

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering::SeqCst};

use evtchn_2l::{Decoder, EventSource, Limits, SharedBitmaps, NR_EVENT_CHANNELS, NR_WORDS};
use libfuzzer_sys::fuzz_target;
use xenbell_fuzz::Src;

const N: u32 = NR_EVENT_CHANNELS as u32;

/// The shared state: shared_info's bitmaps and one vcpu_info's selector/flag.
struct Bitmaps {
    pending: [AtomicU64; NR_WORDS],
    mask: [AtomicU64; NR_WORDS],
    sel: AtomicU64,
    upcall: AtomicU8,
}

fn split(port: u32) -> (usize, u64) {
    (port as usize / 64, 1u64 << (port % 64))
}

/// One in-flight Xen operation on `port`; `step` is the next atomic step.
#[derive(Clone, Copy, Debug)]
struct XenOp {
    unmask: bool,
    port: u32,
    step: u8,
}

/// Everything the fuzzer's "Xen" and the checks share.
struct World<'a> {
    src: &'a Src<'a>,
    bm: &'a Bitmaps,
    ops: RefCell<Vec<XenOp>>,
    /// Words whose missing delivery the starting state is to blame for.
    stale_words: Cell<u64>,
    /// 0->1 transitions of each pending bit, and dispatches.
    raised: RefCell<Vec<u32>>,
    dispatched: RefCell<Vec<u32>>,
    /// Last test_and_clear_pending: (port, result), and whether a
    /// successful one has had its handler call yet.
    last_tac: Cell<Option<(u32, bool)>>,
    owed_handler: Cell<bool>,
    /// Allow interleaved Xen steps (off during the final drain).
    interleave: Cell<bool>,
    calls: Cell<u64>,
}

impl World<'_> {
    fn port(&self) -> u32 {
        // Bias towards a few words so that collisions (coalescing, several
        // ports per word, the cursor's word) are common.
        match self.src.u8() % 4 {
            0 => self.src.below(N),
            1 => self.src.below(128),
            2 => 64 * self.src.below(NR_WORDS as u32) + [0, 1, 62, 63][self.src.below(4) as usize],
            _ => N - 1 - self.src.below(70),
        }
        .min(N - 1)
    }

    fn start_op(&self, unmask: bool) {
        let mut ops = self.ops.borrow_mut();
        if ops.len() < 8 {
            let port = self.port();
            ops.push(XenOp { unmask, port, step: 0 });
        }
    }

    /// Advances in-flight op `i` by one atomic step (Xen's locked bit ops).
    fn step_op(&self, i: usize) {
        let mut ops = self.ops.borrow_mut();
        let Some(op) = ops.get_mut(i) else { return };
        let (word, bit) = split(op.port);
        let wbit = 1u64 << word;
        let bm = self.bm;
        let done = if !op.unmask {
            // evtchn_2l_set_pending
            match op.step {
                0 => {
                    let was = bm.pending[word].fetch_or(bit, SeqCst) & bit != 0;
                    if !was {
                        self.raised.borrow_mut()[op.port as usize] += 1;
                    }
                    was
                }
                1 => bm.mask[word].load(SeqCst) & bit != 0,
                2 => self.set_sel(wbit),
                _ => {
                    bm.upcall.store(1, SeqCst);
                    true
                }
            }
        } else {
            // evtchn_2l_unmask
            match op.step {
                0 => bm.mask[word].fetch_and(!bit, SeqCst) & bit == 0,
                1 => bm.pending[word].load(SeqCst) & bit == 0,
                2 => self.set_sel(wbit),
                _ => {
                    bm.upcall.store(1, SeqCst);
                    true
                }
            }
        };
        op.step += 1;
        if done {
            ops.swap_remove(i);
        }
    }

    /// Xen's test_and_set of a selector bit; true ("done") if it was set.
    fn set_sel(&self, wbit: u64) -> bool {
        let was = self.bm.sel.fetch_or(wbit, SeqCst) & wbit != 0;
        if !was {
            // This op set the bit and will set the upcall flag: the word is
            // delivered from now on, whatever the starting state said.
            self.stale_words.set(self.stale_words.get() & !wbit);
        }
        was
    }

    /// Between two decoder steps: Xen may start or advance operations.
    fn interleave(&self) {
        if !self.interleave.get() {
            return;
        }
        for _ in 0..self.src.below(3) {
            match self.src.u8() % 8 {
                0 => self.start_op(false),
                1 => self.start_op(true),
                2..=5 => {
                    let n = self.ops.borrow().len();
                    if n > 0 {
                        self.step_op(self.src.below(n as u32) as usize);
                    }
                }
                _ => {}
            }
        }
    }

    fn finish_ops(&self) {
        while !self.ops.borrow().is_empty() {
            self.step_op(0);
        }
    }

    fn enter_source(&self) {
        assert!(!self.owed_handler.get(), "a pending bit was cleared but its handler never ran (event lost)");
        self.calls.set(self.calls.get() + 1);
        self.interleave();
    }
}

/// The decoder's view: `SharedBitmaps` (the kernel's source), with Xen's
/// steps interleaved before each call and the clears recorded.
struct Interleaved<'w, 'a> {
    world: &'w World<'a>,
    inner: SharedBitmaps<'a>,
}

impl EventSource for Interleaved<'_, '_> {
    fn clear_upcall_pending(&self) {
        self.world.enter_source();
        self.inner.clear_upcall_pending()
    }
    fn upcall_pending(&self) -> bool {
        self.world.enter_source();
        self.inner.upcall_pending()
    }
    fn take_pending_sel(&self) -> u64 {
        self.world.enter_source();
        self.inner.take_pending_sel()
    }
    fn pending(&self, word: usize) -> u64 {
        assert!(word < NR_WORDS, "pending({word}) out of range");
        self.world.enter_source();
        self.inner.pending(word)
    }
    fn mask(&self, word: usize) -> u64 {
        assert!(word < NR_WORDS, "mask({word}) out of range");
        self.world.enter_source();
        self.inner.mask(word)
    }
    fn test_and_clear_pending(&self, port: u32) -> bool {
        assert!(port < N, "test_and_clear_pending({port}) out of range");
        self.world.enter_source();
        let r = self.inner.test_and_clear_pending(port);
        self.world.last_tac.set(Some((port, r)));
        self.world.owed_handler.set(r);
        r
    }
    fn requeue(&self, words: u64) {
        self.world.enter_source();
        self.inner.requeue(words)
    }
}

fn run_once(world: &World<'_>, dec: &mut Decoder) -> evtchn_2l::Stats {
    let src = Interleaved {
        world,
        inner: SharedBitmaps::new(&world.bm.pending, &world.bm.mask, &world.bm.sel, &world.bm.upcall),
    };
    let limits = dec.limits();
    let mut handled = 0u32;
    world.calls.set(0);
    world.last_tac.set(None);
    let stats = dec.run(&src, |port| {
        assert!(port != 0, "port 0 dispatched");
        assert!(port < N, "port {port} out of range");
        assert_eq!(
            world.last_tac.get(),
            Some((port, true)),
            "handler for port {port} without a successful test-and-clear of it just before"
        );
        assert!(world.owed_handler.replace(false), "port {port} dispatched twice for one clear");
        let (w, bit) = split(port);
        assert!(world.bm.mask[w].load(SeqCst) & bit == 0, "masked port {port} dispatched");
        world.dispatched.borrow_mut()[port as usize] += 1;
        handled += 1;
        // Xen keeps going while the handler runs.
        world.interleave();
    });
    assert!(!world.owed_handler.get(), "the run ended with a cleared pending bit not dispatched");
    let max_passes = limits.max_passes.max(1);
    let max_events = limits.max_events.max(1);
    assert_eq!(handled, stats.dispatched, "{stats:?}");
    assert!(stats.passes >= 1 && stats.passes <= max_passes, "{stats:?} {limits:?}");
    assert!(stats.dispatched <= max_events, "{stats:?} {limits:?}");
    // Per pass: flag clear + selector take + re-check + requeue, and at most
    // 65 word scans (2 loads each) and 4096 test-and-clears.
    let bound = u64::from(stats.passes) * (4 + 65 * 2 + u64::from(N));
    assert!(world.calls.get() <= bound, "{} EventSource calls for {stats:?}", world.calls.get());
    assert_eq!(stats.more_pending, world.bm.upcall.load(SeqCst) != 0, "more_pending vs the upcall flag: {stats:?}");
    if stats.more_pending {
        assert!(
            stats.passes == max_passes || stats.dispatched == max_events,
            "more_pending without a limit hit: {stats:?}"
        );
    }
    stats
}

fuzz_target!(|data: &[u8]| {
    let s = Src::new(data);
    let bm = Bitmaps {
        pending: [const { AtomicU64::new(0) }; NR_WORDS],
        mask: [const { AtomicU64::new(0) }; NR_WORDS],
        sel: AtomicU64::new(0),
        upcall: AtomicU8::new(0),
    };
    let world = World {
        src: &s,
        bm: &bm,
        ops: RefCell::new(Vec::new()),
        stale_words: Cell::new(0),
        raised: RefCell::new(vec![0; N as usize]),
        dispatched: RefCell::new(vec![0; N as usize]),
        last_tac: Cell::new(None),
        owed_handler: Cell::new(false),
        interleave: Cell::new(true),
        calls: Cell::new(0),
    };

    // Starting state: sparse arbitrary words, selector, flag.
    let fill = |words: &[AtomicU64; NR_WORDS]| {
        for _ in 0..s.below(6) {
            let w = s.below(NR_WORDS as u32) as usize;
            let v = match s.u8() % 4 {
                0 => !0,
                1 => 1 << s.below(64),
                _ => s.u64(),
            };
            words[w].fetch_or(v, SeqCst);
        }
    };
    fill(&bm.pending);
    fill(&bm.mask);
    let sel = match s.u8() % 3 {
        0 => 0,
        1 => s.u64(),
        // Consistent: exactly the words with pending, unmasked ports.
        _ => (0..NR_WORDS)
            .filter(|&w| bm.pending[w].load(SeqCst) & !bm.mask[w].load(SeqCst) != 0)
            .fold(0, |a, w| a | 1 << w),
    };
    bm.sel.store(sel, SeqCst);
    let upcall = s.u8().is_multiple_of(2);
    bm.upcall.store(upcall as u8, SeqCst);
    // Undelivered by the starting state: selector bits without the flag, and
    // words not selected at all.
    world.stale_words.set(if upcall { !sel } else { !0 });
    for p in 0..N {
        let (w, bit) = split(p);
        if bm.pending[w].load(SeqCst) & bit != 0 {
            world.raised.borrow_mut()[p as usize] += 1;
        }
    }
    let limits =
        Limits { max_passes: s.below(11), max_events: [0, 1, 2, 3, 5, 8, 64, 200, N, u32::MAX][s.below(10) as usize] };
    let mut dec = Decoder::with_limits(limits);
    dec.set_cursor(s.u32());

    // The script.
    let mut steps = 0;
    while !s.is_empty() && steps < 4000 {
        steps += 1;
        match s.u8() % 8 {
            0 => world.start_op(false),
            1 => world.start_op(true),
            2 | 3 => {
                let n = world.ops.borrow().len();
                if n > 0 {
                    world.step_op(s.below(n as u32) as usize);
                }
            }
            4 => {
                let port = world.port();
                let (w, bit) = split(port);
                bm.mask[w].fetch_or(bit, SeqCst);
            }
            5 | 6 => {
                if bm.upcall.load(SeqCst) != 0 {
                    run_once(&world, &mut dec);
                }
            }
            _ => {
                run_once(&world, &mut dec);
            }
        }
    }

    // The end: Xen finishes, the guest takes every upcall Xen injects.
    world.interleave.set(false);
    world.finish_ops();
    let mut runs = 0;
    while bm.upcall.load(SeqCst) != 0 {
        runs += 1;
        assert!(runs <= N + 4, "decoder never drains: {runs} runs with the upcall flag still set");
        run_once(&world, &mut dec);
    }
    let stale = world.stale_words.get();
    for p in 1..N {
        let (w, bit) = split(p);
        let pending = bm.pending[w].load(SeqCst) & bit != 0;
        let masked = bm.mask[w].load(SeqCst) & bit != 0;
        if pending && !masked {
            assert!(
                stale & (1 << w) != 0,
                "port {p} raised, unmasked and never dispatched (selector {:#x}, upcall {})",
                bm.sel.load(SeqCst),
                bm.upcall.load(SeqCst)
            );
        }
        let raised = world.raised.borrow()[p as usize];
        let got = world.dispatched.borrow()[p as usize];
        assert_eq!(got, raised - u32::from(pending), "port {p}: {raised} raises, {got} dispatches, pending {pending}");
    }
    assert_eq!(world.dispatched.borrow()[0], 0);
});
