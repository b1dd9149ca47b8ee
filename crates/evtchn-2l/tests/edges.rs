//! (d) Edge cases of the 2-level decoder, one scenario per test.
//!
//! Each test sets up a bitmap state by hand on `OwnedBitmaps` (or a wrapper
//! around it), runs the decoder and checks the dispatched ports, the stats
//! and the bitmaps left behind. False passes: these are single states, so
//! they can only catch the bug they name; the model and concurrent tests
//! cover the general case.

use std::cell::Cell;

use evtchn_2l::{naive_scan, Decoder, EventSource, Limits, OwnedBitmaps, Stats};

fn run_once(dec: &mut Decoder, bm: &OwnedBitmaps) -> (Vec<u32>, Stats) {
    let mut got = vec![];
    let stats = dec.run(&bm.source(), |p| got.push(p));
    (got, stats)
}

/// Port 0 pending (with its selector bit and the upcall) is never dispatched,
/// is left untouched, and does not make the decoder spin.
#[test]
fn port_zero_is_ignored() {
    let bm = OwnedBitmaps::new();
    bm.set_pending_bit(0);
    bm.set_sel_bits(1);
    bm.set_upcall();
    let (got, stats) = run_once(&mut Decoder::new(), &bm);
    assert!(got.is_empty());
    assert_eq!((stats.dispatched, stats.passes, stats.more_pending), (0, 1, false));
    assert!(bm.is_pending(0));
    let mut got = vec![];
    naive_scan(&bm.source(), 4, |p| got.push(p));
    assert!(got.is_empty(), "baseline dispatched port 0");
}

/// The last port (bit 63 of word 63) is served; a `1 << bit` on a 32-bit
/// type or an off-by-one bound would lose it.
#[test]
fn port_4095_is_served() {
    let bm = OwnedBitmaps::new();
    bm.xen_set_pending(4095);
    assert_eq!(bm.pending_sel(), 1 << 63);
    let (got, stats) = run_once(&mut Decoder::new(), &bm);
    assert_eq!(got, [4095]);
    assert_eq!(stats.dispatched, 1);
    assert!(!bm.is_pending(4095));
    // The cursor wraps to 0 after it, and port 4095 is found again from there.
    let mut dec = Decoder::new();
    dec.set_cursor(4095);
    bm.xen_set_pending(4095);
    assert_eq!(run_once(&mut dec, &bm).0, [4095]);
    assert_eq!(dec.cursor(), 0);
}

/// Selector bits for words with nothing unmasked pending: every word is
/// scanned once, nothing dispatched, selector consumed, masked bits kept.
#[test]
fn selector_without_unmasked_events() {
    let bm = OwnedBitmaps::new();
    for w in 0..64u32 {
        bm.mask_port(w * 64 + 7);
        bm.set_pending_bit(w * 64 + 7);
    }
    bm.set_sel_bits(!0);
    bm.set_upcall();
    let (got, stats) = run_once(&mut Decoder::new(), &bm);
    assert!(got.is_empty());
    assert_eq!((stats.words_scanned, stats.passes, stats.more_pending), (64, 1, false));
    assert_eq!((bm.pending_sel(), bm.upcall()), (0, false));
    assert!((0..64).all(|w| bm.is_pending(w * 64 + 7)));
}

/// A pending unmasked port whose word has no selector bit is not scanned
/// (Xen did not announce it); it is served once its selector bit is raised.
#[test]
fn unselected_word_waits_for_its_selector_bit() {
    let bm = OwnedBitmaps::new();
    bm.set_pending_bit(200);
    bm.set_sel_bits(1 << 1);
    bm.set_upcall();
    let mut dec = Decoder::new();
    assert!(run_once(&mut dec, &bm).0.is_empty());
    bm.set_sel_bits(1 << (200 / 64));
    bm.set_upcall();
    assert_eq!(run_once(&mut dec, &bm).0, [200]);
}

/// Wraps OwnedBitmaps and clears a victim's pending bit right after the
/// decoder reads the word, as another vCPU (or a close) would.
struct Thief<'a> {
    bm: &'a OwnedBitmaps,
    victim: u32,
    armed: Cell<bool>,
}

impl EventSource for Thief<'_> {
    fn clear_upcall_pending(&self) {
        self.bm.source().clear_upcall_pending()
    }
    fn upcall_pending(&self) -> bool {
        self.bm.source().upcall_pending()
    }
    fn take_pending_sel(&self) -> u64 {
        self.bm.source().take_pending_sel()
    }
    fn pending(&self, word: usize) -> u64 {
        let v = self.bm.source().pending(word);
        if self.armed.replace(false) {
            self.bm.source().test_and_clear_pending(self.victim);
        }
        v
    }
    fn mask(&self, word: usize) -> u64 {
        self.bm.source().mask(word)
    }
    fn test_and_clear_pending(&self, port: u32) -> bool {
        self.bm.source().test_and_clear_pending(port)
    }
    fn requeue(&self, words: u64) {
        self.bm.source().requeue(words)
    }
}

/// A bit cleared by someone else between the scan and our test-and-clear is
/// not dispatched (no double delivery) and is counted as raced.
#[test]
fn bit_cleared_by_someone_else_is_not_dispatched() {
    let bm = OwnedBitmaps::new();
    bm.xen_set_pending(10);
    bm.xen_set_pending(11);
    let thief = Thief { bm: &bm, victim: 10, armed: Cell::new(true) };
    let mut got = vec![];
    let stats = Decoder::new().run(&thief, |p| got.push(p));
    assert_eq!(got, [11]);
    assert_eq!((stats.dispatched, stats.raced), (1, 1));
}

/// A raise during the handler (of the port being handled) is a new event:
/// delivered in the next pass, not lost.
#[test]
fn raise_during_handler_is_delivered_again() {
    let bm = OwnedBitmaps::new();
    bm.xen_set_pending(9);
    let mut got = vec![];
    let stats = Decoder::new().run(&bm.source(), |p| {
        got.push(p);
        if got.len() == 1 {
            bm.xen_set_pending(p);
        }
    });
    assert_eq!(got, [9, 9]);
    assert_eq!((stats.passes, stats.more_pending), (2, false));
}

/// Hostile flood: every handler re-raises its port. The call still returns
/// after `max_passes` passes, flagging more work (upcall left set).
#[test]
fn flood_is_bounded() {
    let bm = OwnedBitmaps::new();
    for p in 1..4096 {
        bm.xen_set_pending(p);
    }
    let limits = Limits { max_passes: 3, max_events: u32::MAX };
    let stats = Decoder::with_limits(limits).run(&bm.source(), |p| {
        bm.xen_set_pending(p);
    });
    assert_eq!((stats.passes, stats.dispatched, stats.more_pending), (3, 3 * 4095, true));
    assert!(bm.upcall());
    let stats = naive_scan(&bm.source(), 2, |p| {
        bm.xen_set_pending(p);
    });
    assert_eq!((stats.passes, stats.dispatched, stats.more_pending), (2, 2 * 4095, true));
}

/// Budget exhaustion mid-pass: the unscanned selector bits go back to the
/// shared selector with the upcall flag, and the next call resumes at the
/// first unserved port.
#[test]
fn budget_requeues_the_rest() {
    let bm = OwnedBitmaps::new();
    for p in [3, 70, 700, 4000] {
        bm.xen_set_pending(p);
    }
    let mut dec = Decoder::with_limits(Limits { max_passes: 8, max_events: 2 });
    let (got, stats) = run_once(&mut dec, &bm);
    assert_eq!((got, stats.more_pending), (vec![3, 70], true));
    assert_eq!(dec.cursor(), 700);
    assert!(bm.upcall());
    assert_eq!(bm.pending_sel(), 1 << (700 / 64) | 1 << (4000 / 64));
    let (got, stats) = run_once(&mut dec, &bm);
    assert_eq!((got, stats.more_pending), (vec![700, 4000], false));
}
