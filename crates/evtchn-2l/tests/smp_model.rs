//! (e) Several vCPUs, one thread: the per-vCPU owned-ports bitmaps against a
//! model, and hand-made interleavings.
//!
//! What: with the 2-level ABI the pending and mask bitmaps are shared and
//! only the selector and upcall flag are per vCPU (Xen sets them on the
//! port's notify vCPU, xen/common/event_2l.c). A vCPU's decoder scans
//! `pending & !mask & owned` of the words in its own selector, so it
//! dispatches only the ports bound to it (Linux events_2l.c
//! `cpu_evtchn_mask`); ports move between vCPUs by mask, EVTCHNOP_bind_vcpu,
//! owner update, unmask.
//! How: `OwnedVcpus` plays Xen and the guest's move/unmask protocol. The
//! property test applies random sequences of raise, mask, unmask, move and
//! "decode on vCPU k" (until its upcall flag stays clear, with a random
//! event budget so the requeue path runs) and compares, after each step,
//! the dispatched ports and the whole state (pending, mask, notify vCPU,
//! owner, every selector and upcall flag) with a model written from Xen's
//! and Linux's rules. After each step it also checks the protocol's
//! invariant: every pending, unmasked port has its word in its owner's
//! selector with the owner's upcall flag set, i.e. some decoder will
//! dispatch it (no event lost).
//! The deterministic tests show the race the owned bitmaps close (without
//! them a vCPU dispatches a port bound to another, also while that vCPU is
//! still in the port's handler), and the window they do not close: a Xen
//! raise that read the notify vCPU before a whole move completed.
//! False passes: the model and the emulation come from the same reading of
//! Xen's code; one thread means only sequentially consistent interleavings
//! at operation granularity (the threaded test, smp.rs, and the single-vCPU
//! fuzz target cover finer interleavings).

use std::cell::{Cell, RefCell};

use evtchn_2l::{Decoder, Limits, OwnedVcpus, Raise};
use proptest::prelude::*;

const VCPUS: usize = 3;
/// Ports in words 0, 1, 3 and 63; several per word, so vCPUs share words.
const PORTS: [u32; 8] = [1, 2, 3, 63, 64, 65, 200, 4095];

fn word(p: u32) -> usize {
    p as usize / 64
}

/// Runs vCPU `v`'s decoder until its upcall flag stays clear (once even if
/// it is clear: a spurious upcall); returns the dispatched ports, sorted.
fn decode<const N: usize>(x: &OwnedVcpus<N>, v: usize, budget: u32) -> Vec<u32> {
    let mut dec = Decoder::with_limits(Limits { max_passes: 2, max_events: budget });
    let mut got = vec![];
    let src = x.source(v);
    for round in 0.. {
        assert!(round < 1000, "vCPU {v}: decoder never finished");
        dec.run(&src, |p| got.push(p));
        if !x.upcall(v) {
            break;
        }
    }
    got.sort_unstable();
    got
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Raise(usize),
    Mask(usize),
    Unmask(usize),
    Move(usize, usize),
    Decode(usize, u32),
}

fn op() -> impl Strategy<Value = Op> {
    let p = 0..PORTS.len();
    prop_oneof![
        4 => p.clone().prop_map(Op::Raise),
        1 => p.clone().prop_map(Op::Mask),
        1 => p.clone().prop_map(Op::Unmask),
        2 => (p, 0..VCPUS).prop_map(|(p, v)| Op::Move(p, v)),
        3 => (0..VCPUS, prop_oneof![1..3u32, Just(u32::MAX)]).prop_map(|(v, b)| Op::Decode(v, b)),
    ]
}

/// The model: per port pending/masked/notify/owner, per vCPU selector and
/// upcall flag, only for the ports in `PORTS`.
#[derive(Clone, Debug, Default)]
struct Model {
    pending: [bool; PORTS.len()],
    masked: [bool; PORTS.len()],
    notify: [usize; PORTS.len()],
    owner: [usize; PORTS.len()],
    sel: [u64; VCPUS],
    upcall: [bool; VCPUS],
}

impl Model {
    /// Xen sets the word's selector bit on `v`; the upcall flag follows
    /// only if that bit was clear (test-and-set on both).
    fn raise_word(&mut self, v: usize, w: usize) {
        if self.sel[v] & (1 << w) == 0 {
            self.sel[v] |= 1 << w;
            self.upcall[v] = true;
        }
    }

    fn raise(&mut self, i: usize) {
        if !self.pending[i] {
            self.pending[i] = true;
            if !self.masked[i] {
                self.raise_word(self.notify[i], word(PORTS[i]));
            }
        }
    }

    /// The guest's unmask: pending -> EVTCHNOP_unmask (Xen clears the mask
    /// and re-raises on the notify vCPU); else just clear the mask.
    fn unmask(&mut self, i: usize) {
        let was_masked = self.masked[i];
        self.masked[i] = false;
        if was_masked && self.pending[i] {
            self.raise_word(self.notify[i], word(PORTS[i]));
        }
    }

    fn do_move(&mut self, i: usize, v: usize) {
        let was_masked = self.masked[i];
        self.masked[i] = true;
        self.notify[i] = v;
        self.owner[i] = v;
        if !was_masked {
            self.unmask(i);
        }
    }

    /// A decoder on `v` that runs until its flag stays clear serves every
    /// pending, unmasked port bound to `v` in the words of `v`'s selector.
    fn decode(&mut self, v: usize) -> Vec<u32> {
        let mut got = vec![];
        for (i, &p) in PORTS.iter().enumerate() {
            if self.sel[v] & (1 << word(p)) != 0 && self.pending[i] && !self.masked[i] && self.owner[i] == v {
                self.pending[i] = false;
                got.push(p);
            }
        }
        self.sel[v] = 0;
        self.upcall[v] = false;
        got
    }

    fn check_against(&self, x: &OwnedVcpus<VCPUS>, step: usize) {
        for (i, &p) in PORTS.iter().enumerate() {
            assert_eq!(x.is_pending(p), self.pending[i], "step {step}: port {p} pending");
            assert_eq!(x.is_masked(p), self.masked[i], "step {step}: port {p} masked");
            assert_eq!(x.notify_vcpu(p), self.notify[i], "step {step}: port {p} notify vCPU");
            assert_eq!(x.owner(p), Some(self.owner[i]), "step {step}: port {p} owner");
            // No event lost: someone will dispatch it.
            if x.is_pending(p) && !x.is_masked(p) {
                let o = self.owner[i];
                assert!(
                    x.pending_sel(o) & (1 << word(p)) != 0 && x.upcall(o),
                    "step {step}: port {p} pending and unmasked, but its owner vCPU {o} will not look \
                     (sel {:#x}, upcall {})",
                    x.pending_sel(o),
                    x.upcall(o)
                );
            }
        }
        for v in 0..VCPUS {
            assert_eq!(x.pending_sel(v), self.sel[v], "step {step}: vCPU {v} selector");
            assert_eq!(x.upcall(v), self.upcall[v], "step {step}: vCPU {v} upcall flag");
        }
    }
}

fn run_ops(ops: &[Op]) {
    let x = OwnedVcpus::<VCPUS>::new();
    let mut m = Model::default();
    m.check_against(&x, 0);
    for (step, &op) in ops.iter().enumerate() {
        match op {
            Op::Raise(i) => {
                let (v, r) = x.xen_set_pending(PORTS[i]);
                assert_eq!(v, m.notify[i]);
                assert_eq!(r == Raise::Coalesced, m.pending[i], "step {step}: {op:?} coalesced");
                m.raise(i);
            }
            Op::Mask(i) => {
                assert_eq!(x.guest_mask(PORTS[i]), m.masked[i]);
                m.masked[i] = true;
            }
            Op::Unmask(i) => {
                x.guest_unmask(PORTS[i]);
                m.unmask(i);
            }
            Op::Move(i, v) => {
                x.guest_move(PORTS[i], v);
                m.do_move(i, v);
            }
            Op::Decode(v, budget) => {
                let got = decode(&x, v, budget);
                let want = m.decode(v);
                assert_eq!(got, want, "step {step}: {op:?} dispatched");
            }
        }
        m.check_against(&x, step + 1);
    }
    // Quiesce: unmask everything, every vCPU decodes; nothing may be left.
    for (i, &p) in PORTS.iter().enumerate() {
        x.guest_unmask(p);
        m.unmask(i);
    }
    for v in 0..VCPUS {
        assert_eq!(decode(&x, v, u32::MAX), m.decode(v), "final decode on vCPU {v}");
    }
    for &p in &PORTS {
        assert!(!x.is_pending(p), "port {p} left pending after every vCPU decoded");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn vcpus_match_model(ops in prop::collection::vec(op(), 1..60)) {
        run_ops(&ops);
    }
}

/// Ports 1 and 2 share word 0; port 1 is bound to vCPU 0, port 2 to vCPU 1.
/// vCPU 0 is inside port 1's handler when Xen raises port 2 (vCPU 1) and
/// port 1 again (vCPU 0, whose selector takes word 0 again). vCPU 1 then
/// decodes, still inside vCPU 0's handler. Returns the dispatches as
/// (vCPU, port) in order, and whether a handler of port 1 started while
/// another was running.
fn nested_handlers(owned: bool) -> (Vec<(usize, u32)>, bool) {
    let x = OwnedVcpus::<2>::new();
    x.guest_move(2, 1);
    let log = RefCell::new(vec![]);
    let in_port_1 = RefCell::new(false);
    let overlapped = RefCell::new(false);
    let handler = |v: usize, p: u32, inner: &dyn Fn()| {
        log.borrow_mut().push((v, p));
        if p == 1 {
            if in_port_1.replace(true) {
                *overlapped.borrow_mut() = true;
            }
            inner();
            in_port_1.replace(false);
        }
    };
    let src = |v: usize| if owned { x.source(v) } else { x.source_all_ports(v) };
    x.xen_set_pending(1);
    let first = Cell::new(true);
    Decoder::new().run(&src(0), |p| {
        handler(0, p, &|| {
            if first.replace(false) {
                assert_eq!(x.xen_set_pending(2), (1, Raise::Raised { upcall: true }));
                assert_eq!(x.xen_set_pending(1), (0, Raise::Raised { upcall: true }));
                Decoder::new().run(&src(1), |p| handler(1, p, &|| {}));
            }
        })
    });
    let log = log.into_inner();
    let overlapped = overlapped.into_inner();
    (log, overlapped)
}

#[test]
fn without_owned_bitmaps_a_vcpu_runs_another_vcpus_port() {
    let (log, overlapped) = nested_handlers(false);
    // vCPU 1's scan of word 0 takes port 1 (bound to vCPU 0) too, while
    // vCPU 0 is still in port 1's handler.
    assert_eq!(log, [(0, 1), (1, 1), (1, 2)]);
    assert!(overlapped, "two handlers of port 1 at once");
}

#[test]
fn with_owned_bitmaps_each_vcpu_runs_only_its_ports() {
    let (log, overlapped) = nested_handlers(true);
    // vCPU 1 serves only port 2; port 1's second event waits for vCPU 0,
    // which takes it in its next pass (its upcall flag was set again).
    assert_eq!(log, [(0, 1), (1, 2), (0, 1)]);
    assert!(!overlapped);
}

/// A pending port moved to another vCPU is re-raised there by the unmask
/// (EVTCHNOP_unmask on the new notify vCPU), and the old vCPU, although its
/// selector still names the word, leaves it alone.
#[test]
fn pending_port_follows_its_move() {
    let x = OwnedVcpus::<2>::new();
    x.xen_set_pending(7);
    x.guest_move(7, 1);
    assert_eq!((x.upcall(0), x.upcall(1)), (true, true));
    assert_eq!(decode(&x, 0, u32::MAX), Vec::<u32>::new());
    assert_eq!(decode(&x, 1, u32::MAX), [7]);
    assert!(!x.is_pending(7));
}

/// The window the protocol leaves open (also for Linux): Xen 4.17's
/// evtchn_send reads `notify_vcpu_id` under the channel's read lock, while
/// evtchn_bind_vcpu holds only `d->event_lock`. If a raise read the old
/// notify vCPU and sets the bits only after a whole move (mask, bind, owner
/// update, unmask of a port that was not pending) has finished, the
/// selector bit lands on the old vCPU, which skips the port as not its own:
/// the event waits, pending and unmasked, until the port is masked and
/// unmasked again (the unmask then re-raises it on the new vCPU). On real
/// hardware the window is the few instructions between Xen's read and its
/// test-and-set; smp.rs serializes raise and bind of a port instead.
#[test]
fn raise_that_read_the_old_notify_vcpu_waits_for_the_next_unmask() {
    let x = OwnedVcpus::<2>::new();
    let stale = x.notify_vcpu(9);
    x.guest_move(9, 1);
    assert_eq!(x.xen_set_pending_on(9, stale), Raise::Raised { upcall: true });
    assert_eq!(decode(&x, 0, u32::MAX), Vec::<u32>::new());
    assert_eq!(decode(&x, 1, u32::MAX), Vec::<u32>::new());
    assert!(x.is_pending(9) && !x.is_masked(9), "stranded: pending, unmasked, nobody looks");
    x.guest_mask(9);
    assert!(x.guest_unmask(9), "pending: the unmask goes through Xen");
    assert_eq!(decode(&x, 1, u32::MAX), [9]);
}
