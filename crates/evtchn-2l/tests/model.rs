//! (a) Decoder vs. a reference model over random bitmap states.
//!
//! What: for random pending/mask words, selector bits, cursor and event
//! budget, the decoder serves exactly the pending, unmasked ports of the
//! selected words (never port 0, never a masked port), each exactly once, in
//! cyclic order from the cursor, across however many calls the budget needs;
//! after the masked ports are unmasked Xen-style (selector re-raised) every
//! remaining pending port of their words is served.
//! How: the model is a few lines of set logic over the same input; the
//! decoder runs on `OwnedBitmaps` until the upcall flag stays clear; the
//! handler also checks that the pending bit is already clear when it runs.
//! False passes: the model and the decoder could share a misconception of
//! the ABI (both come from the same reading of Xen); states are generated
//! directly rather than by Xen-like raises, so the selector may disagree with
//! the bitmaps, which is deliberate (the decoder must trust only the
//! selector) but not exhaustive of Xen's real interleavings (see the
//! concurrent test).

use evtchn_2l::{Decoder, EventSource, Limits, OwnedBitmaps, NR_EVENT_CHANNELS, NR_WORDS};
use proptest::prelude::*;

const N: u32 = NR_EVENT_CHANNELS as u32;

#[derive(Debug)]
struct Input {
    pending: Vec<u64>,
    mask: Vec<u64>,
    sel: u64,
    cursor: u32,
    budget: u32,
}

fn bit(words: &[u64], port: u32) -> bool {
    words[port as usize / 64] & (1 << (port % 64)) != 0
}

/// Model: ports `p != 0` with `pred(p)`, in cyclic order from `cursor`.
fn expected(cursor: u32, pred: impl Fn(u32) -> bool) -> Vec<u32> {
    (0..N).map(|i| (cursor + i) % N).filter(|&p| p != 0 && pred(p)).collect()
}

/// Runs the decoder until the upcall flag stays clear; returns served ports.
fn drain(dec: &mut Decoder, bm: &OwnedBitmaps) -> Vec<u32> {
    let src = bm.source();
    let mut served = vec![];
    for _ in 0..10_000 {
        let stats = dec.run(&src, |p| {
            assert!(!bm.is_pending(p), "port {p}: handler ran before its pending bit was cleared");
            served.push(p);
        });
        assert_eq!(stats.more_pending, src.upcall_pending());
        if !stats.more_pending {
            return served;
        }
    }
    panic!("decoder never finished");
}

fn sparse_word() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0u64), any::<u64>(), (any::<u64>(), any::<u64>()).prop_map(|(a, b)| a & b), Just(!0u64)]
}

fn input() -> impl Strategy<Value = Input> {
    (
        prop::collection::vec(sparse_word(), NR_WORDS),
        prop::collection::vec(sparse_word(), NR_WORDS),
        any::<u64>(),
        0..N,
        prop_oneof![1..8u32, Just(u32::MAX)],
    )
        .prop_map(|(pending, mask, sel, cursor, budget)| Input { pending, mask, sel, cursor, budget })
}

fn check(inp: &Input) {
    let bm = OwnedBitmaps::new();
    for p in 0..N {
        if bit(&inp.pending, p) {
            bm.set_pending_bit(p);
        }
        if bit(&inp.mask, p) {
            bm.mask_port(p);
        }
    }
    bm.set_sel_bits(inp.sel);
    bm.set_upcall();
    let mut dec = Decoder::with_limits(Limits { max_passes: 8, max_events: inp.budget });
    dec.set_cursor(inp.cursor);

    // Round 1: selected words only, masked ports never.
    let want = expected(inp.cursor, |p| bit(&inp.pending, p) && !bit(&inp.mask, p) && inp.sel & (1 << (p / 64)) != 0);
    let got = drain(&mut dec, &bm);
    assert_eq!(got, want, "round 1 (cursor {}, budget {})", inp.cursor, inp.budget);
    assert_eq!((bm.pending_sel(), bm.upcall()), (0, false));
    for p in 0..N {
        let should_remain = bit(&inp.pending, p) && !want.contains(&p);
        assert_eq!(bm.is_pending(p), should_remain, "pending bit of port {p} after round 1");
    }

    // Round 2: unmask every masked port the way Xen does; pending ones
    // re-raise their word, whose remaining pending ports are then served.
    let cursor = dec.cursor();
    // Every masked port is unmasked below, port 0 included (its pending bit,
    // left alone by the decoder, raises its word like any other's).
    let raised_words: u64 =
        (0..N).filter(|&p| bit(&inp.mask, p) && bm.is_pending(p)).fold(0, |acc, p| acc | 1 << (p / 64));
    for p in 0..N {
        if bit(&inp.mask, p) {
            bm.xen_unmask(p);
        }
    }
    let want2 = expected(cursor, |p| bm.is_pending(p) && raised_words & (1 << (p / 64)) != 0);
    let got2 = drain(&mut dec, &bm);
    assert_eq!(got2, want2, "round 2 (after unmask)");
    for &p in &want2 {
        assert!(!bm.is_pending(p));
    }
    assert_eq!(bm.is_pending(0), bit(&inp.pending, 0), "port 0 must be left alone");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn decoder_matches_model(inp in input()) {
        check(&inp);
    }
}

/// The same check on hand-picked states, so the interesting corners do not
/// depend on the random generator.
#[test]
fn masked_port_0_raises_its_word() {
    // Port 0 masked and pending, port 1 pending, word 0 not selected: round
    // 1 serves nothing of word 0; unmasking port 0 raises word 0, and round
    // 2 serves port 1 (found by the property test: the model had left port
    // 0's unmask out of the raised words).
    let mut pending = vec![0u64; NR_WORDS];
    let mut mask = vec![0u64; NR_WORDS];
    pending[0] = 0b11;
    mask[0] = 0b01;
    check(&Input { pending, mask, sel: 0, cursor: 0, budget: u32::MAX });
}

#[test]
fn model_corners() {
    let ones = vec![!0u64; NR_WORDS];
    let zeros = vec![0u64; NR_WORDS];
    for &cursor in &[0, 1, 63, 64, 65, 2047, 4032, 4095] {
        for &budget in &[1, 3, u32::MAX] {
            for (pending, mask) in [(&ones, &zeros), (&ones, &ones), (&zeros, &zeros)] {
                for &sel in &[0u64, 1, 1 << 63, !0] {
                    let inp = Input { pending: pending.clone(), mask: mask.clone(), sel, cursor, budget };
                    check(&inp);
                }
            }
        }
    }
}
