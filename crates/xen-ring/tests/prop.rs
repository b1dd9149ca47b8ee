//! Property tests: hostile counters and writer/reader round trips.
//!
//! - Hostile peer: every load of the peer's counter returns an arbitrary value.
//!   The data array is a bounds-checked Rust array, so an out-of-bounds index
//!   would panic; each call must return (no loop on the peer's word), read the
//!   peer's counter exactly once, and report `Corrupt` exactly when the
//!   counters claim more than `SIZE` bytes in flight.
//! - Round trip: a producer and a consumer on one ring, starting at any
//!   counter (including just below the u32 wrap), moving arbitrary chunks,
//!   deliver the stream intact.
//!
//! Known false pass: single-threaded, so orderings are not exercised here
//! (see tests/threads.rs).

use std::cell::Cell;
use std::sync::atomic::Ordering;

use proptest::prelude::*;
use xen_ring::{ArrayRing, Consumer, Producer, RingError, RingMemory};

const SIZE: usize = 16;

/// A ring whose peer counter is whatever the test says, and counts its loads.
struct Hostile {
    data: [u8; SIZE],
    peer: Cell<u32>,
    loads: Cell<u32>,
    ours: u32,
}

impl RingMemory for Hostile {
    const SIZE: u32 = SIZE as u32;
    fn read_byte(&self, index: usize) -> u8 {
        self.data[index]
    }
    fn write_byte(&mut self, index: usize, byte: u8) {
        self.data[index] = byte;
    }
    // The peer's counter: `prod` for a consumer, `cons` for a producer.
    fn load_prod(&self, _: Ordering) -> u32 {
        self.loads.set(self.loads.get() + 1);
        self.peer.get()
    }
    fn load_cons(&self, _: Ordering) -> u32 {
        self.loads.set(self.loads.get() + 1);
        self.peer.get()
    }
    fn store_prod(&mut self, value: u32, _: Ordering) {
        self.ours = value;
    }
    fn store_cons(&mut self, value: u32, _: Ordering) {
        self.ours = value;
    }
}

fn peer_value(ours: u32) -> impl Strategy<Value = u32> {
    prop_oneof![any::<u32>(), (0..=SIZE as u32 + 2).prop_map(move |d| ours.wrapping_add(d))]
}

proptest! {
    #[test]
    fn hostile_prod_never_escapes(start in any::<u32>(),
                                  steps in proptest::collection::vec((any::<u32>(), 0..=2 * SIZE, any::<bool>()), 1..32)) {
        let mut mem = Hostile { data: [7; SIZE], peer: Cell::new(0), loads: Cell::new(0), ours: start };
        let mut consumer = Consumer::new(start);
        for (raw, want, near) in steps {
            let cons = consumer.counter();
            let prod = if near { cons.wrapping_add(raw % (SIZE as u32 + 3)) } else { raw };
            mem.peer.set(prod);
            let before = mem.loads.get();
            let mut dst = vec![0u8; want];
            let r = consumer.read(&mut mem, &mut dst);
            prop_assert_eq!(mem.loads.get(), before + 1, "peer counter read exactly once");
            let in_flight = prod.wrapping_sub(cons);
            if in_flight > SIZE as u32 {
                prop_assert_eq!(r, Err(RingError::Corrupt { prod, cons, size: SIZE as u32 }));
                prop_assert_eq!(consumer.counter(), cons);
            } else {
                let n = r.unwrap();
                prop_assert_eq!(n, want.min(in_flight as usize));
                prop_assert_eq!(consumer.counter(), cons.wrapping_add(n as u32));
                prop_assert_eq!(mem.ours, consumer.counter());
            }
        }
    }

    #[test]
    fn hostile_cons_never_escapes(start in any::<u32>(),
                                  steps in proptest::collection::vec((any::<u32>(), 0..=2 * SIZE, any::<bool>()), 1..32)) {
        let mut mem = Hostile { data: [0; SIZE], peer: Cell::new(0), loads: Cell::new(0), ours: start };
        let mut producer = Producer::new(start);
        for (raw, want, near) in steps {
            let prod = producer.counter();
            let cons = if near { prod.wrapping_sub(raw % (SIZE as u32 + 3)) } else { raw };
            mem.peer.set(cons);
            let before = mem.loads.get();
            let r = producer.write(&mut mem, &vec![1u8; want]);
            prop_assert_eq!(mem.loads.get(), before + 1, "peer counter read exactly once");
            let used = prod.wrapping_sub(cons);
            if used > SIZE as u32 {
                prop_assert_eq!(r, Err(RingError::Corrupt { prod, cons, size: SIZE as u32 }));
                prop_assert_eq!(producer.counter(), prod);
            } else {
                let n = r.unwrap();
                prop_assert_eq!(n, want.min(SIZE - used as usize));
                prop_assert_eq!(mem.ours, producer.counter());
            }
        }
    }

    #[test]
    fn any_peer_value_is_safe(start in any::<u32>(), peer in peer_value(0)) {
        // Both directions at once with one arbitrary peer word.
        let mut mem = Hostile { data: [0; SIZE], peer: Cell::new(peer), loads: Cell::new(0), ours: start };
        let mut buf = [0u8; 3 * SIZE];
        let _ = Consumer::new(start).read(&mut mem, &mut buf);
        let _ = Producer::new(start).write(&mut mem, &buf);
    }

    #[test]
    fn writer_reader_round_trip(start in prop_oneof![any::<u32>(), (u32::MAX - 40)..=u32::MAX],
                                data in proptest::collection::vec(any::<u8>(), 0..600),
                                writes in proptest::collection::vec(1usize..40, 1..16),
                                reads in proptest::collection::vec(1usize..40, 1..16)) {
        let mut ring = ArrayRing::<SIZE>::new(start);
        let (mut producer, mut consumer) = (Producer::new(start), Consumer::new(start));
        let (mut sent, mut got) = (0usize, Vec::new());
        let mut buf = [0u8; 64];
        let mut i = 0usize;
        // Each round either writes or reads at least one byte until done;
        // the bound is only a guard against a bug that stops progress.
        while got.len() < data.len() {
            prop_assert!(i < 4 * data.len() + 8, "no progress");
            let w = writes[i % writes.len()].min(data.len() - sent);
            sent += producer.write(&mut ring, &data[sent..sent + w]).unwrap();
            let r = reads[i % reads.len()];
            let n = consumer.read(&mut ring, &mut buf[..r]).unwrap();
            got.extend_from_slice(&buf[..n]);
            prop_assert!(ring.prod.wrapping_sub(ring.cons) <= SIZE as u32);
            i += 1;
        }
        prop_assert_eq!(got, data);
        prop_assert_eq!(consumer.counter(), producer.counter());
    }
}
