//! A producer and a consumer thread on one ring in atomics, with the orderings
//! the crate passes: checks that the protocol moves a long stream intact while
//! both sides run at once. Known false pass: x86 is strongly ordered, so a
//! missing Acquire/Release would rarely show here; it is a smoke test, the
//! orderings are argued in the crate docs.

use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};
use std::time::{Duration, Instant};

use xen_ring::{Consumer, Producer, RingMemory};

const SIZE: usize = 64;

struct Shared {
    data: [AtomicU8; SIZE],
    prod: AtomicU32,
    cons: AtomicU32,
}

/// Each thread works through its own `&Shared`.
struct Side<'a>(&'a Shared);

impl RingMemory for Side<'_> {
    const SIZE: u32 = SIZE as u32;
    fn read_byte(&self, index: usize) -> u8 {
        self.0.data[index].load(Ordering::Relaxed)
    }
    fn write_byte(&mut self, index: usize, byte: u8) {
        self.0.data[index].store(byte, Ordering::Relaxed);
    }
    fn load_prod(&self, order: Ordering) -> u32 {
        self.0.prod.load(order)
    }
    fn load_cons(&self, order: Ordering) -> u32 {
        self.0.cons.load(order)
    }
    fn store_prod(&mut self, value: u32, order: Ordering) {
        self.0.prod.store(value, order);
    }
    fn store_cons(&mut self, value: u32, order: Ordering) {
        self.0.cons.store(value, order);
    }
}

#[test]
fn stream_crosses_threads_intact() {
    let start = u32::MAX - 1000; // wrap the counters mid-test
    let shared = Shared {
        data: std::array::from_fn(|_| AtomicU8::new(0)),
        prod: AtomicU32::new(start),
        cons: AtomicU32::new(start),
    };
    let data: Vec<u8> = (0..200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    let got = std::thread::scope(|s| {
        s.spawn(|| {
            let (mut mem, mut producer, mut sent) = (Side(&shared), Producer::new(start), 0);
            while sent < data.len() {
                assert!(Instant::now() < deadline, "producer stuck");
                let chunk = (sent % 37 + 1).min(data.len() - sent);
                let n = producer.write(&mut mem, &data[sent..sent + chunk]).unwrap();
                if n == 0 {
                    std::thread::yield_now();
                }
                sent += n;
            }
        });
        let (mut mem, mut consumer, mut got) = (Side(&shared), Consumer::new(start), Vec::new());
        let mut buf = [0u8; 29];
        while got.len() < data.len() {
            assert!(Instant::now() < deadline, "consumer stuck");
            let n = consumer.read(&mut mem, &mut buf).unwrap();
            if n == 0 {
                std::thread::yield_now();
            }
            got.extend_from_slice(&buf[..n]);
        }
        got
    });
    assert!(got == data, "stream corrupted");
}
