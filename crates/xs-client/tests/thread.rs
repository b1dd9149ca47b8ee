//! The engine over RingTransport against xenstored played by a second
//! thread on a shared page of atomics, with real notifications and a real
//! clock: as the kernel runs it, minus Xen.
//!
//! The stall is deterministic: the store thread acknowledges it has stopped
//! before the client writes, and it stays stopped until told, so the
//! timeout is certain; no assertion depends on how long anything takes.
//! What could pass falsely: both sides use xs-wire (see engine.rs).

mod common;

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{Xenstored, RING};
use xen_ring::{Consumer, Producer, RingMemory};
use xs_client::{Client, Doorbell, Error, Limits, RingTransport, Tx};

struct SharedRing {
    data: [AtomicU8; RING],
    prod: AtomicU32,
    cons: AtomicU32,
}

#[derive(Clone)]
struct Side(Arc<SharedRing>);

impl RingMemory for Side {
    const SIZE: u32 = RING as u32;
    fn read_byte(&self, i: usize) -> u8 {
        self.0.data[i].load(Ordering::Relaxed)
    }
    fn write_byte(&mut self, i: usize, b: u8) {
        self.0.data[i].store(b, Ordering::Relaxed)
    }
    fn load_prod(&self, o: Ordering) -> u32 {
        self.0.prod.load(o)
    }
    fn load_cons(&self, o: Ordering) -> u32 {
        self.0.cons.load(o)
    }
    fn store_prod(&mut self, v: u32, o: Ordering) {
        self.0.prod.store(v, o)
    }
    fn store_cons(&mut self, v: u32, o: Ordering) {
        self.0.cons.store(v, o)
    }
}

type Counter = Arc<(Mutex<u64>, Condvar)>;

struct Bell {
    mine: Counter,
    theirs: Counter,
    start: Instant,
}

impl Doorbell for Bell {
    fn notify(&mut self) {
        *self.theirs.0.lock().unwrap() += 1;
        self.theirs.1.notify_all();
    }
    fn events(&self) -> u64 {
        *self.mine.0.lock().unwrap()
    }
    fn wait(&mut self, seen: u64, deadline_ns: u64) {
        let mut n = self.mine.0.lock().unwrap();
        while *n == seen {
            let left = deadline_ns.saturating_sub(self.now_ns());
            if left == 0 {
                return;
            }
            n = self.mine.1.wait_timeout(n, Duration::from_nanos(left)).unwrap().0;
        }
    }
    fn now_ns(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }
}

struct Control {
    stop: AtomicBool,
    stall: AtomicBool,
    stalled: AtomicBool,
}

fn ring(start: u32) -> Side {
    Side(Arc::new(SharedRing {
        data: std::array::from_fn(|_| AtomicU8::new(0)),
        prod: AtomicU32::new(start),
        cons: AtomicU32::new(start),
    }))
}

/// xenstored: takes requests 61 bytes at a time, answers 37 at a time.
fn store_thread(mut req: Side, mut rsp: Side, mut bell: Bell, ctl: Arc<Control>) -> Xenstored {
    let mut store = Xenstored::new();
    let mut consumer = Consumer::new(req.load_cons(Ordering::Relaxed));
    let mut producer = Producer::new(rsp.load_prod(Ordering::Relaxed));
    while !ctl.stop.load(Ordering::Acquire) {
        let seen = bell.events();
        if ctl.stall.load(Ordering::Acquire) {
            ctl.stalled.store(true, Ordering::Release);
            thread::sleep(Duration::from_millis(1));
            continue;
        }
        ctl.stalled.store(false, Ordering::Release);
        let mut buf = [0u8; 61];
        let n = consumer.read(&mut req, &mut buf).unwrap();
        store.input(&buf[..n]);
        let out: Vec<u8> = store.outbox.iter().take(37).copied().collect();
        let m = producer.write(&mut rsp, &out).unwrap();
        store.outbox.drain(..m);
        if n > 0 || m > 0 {
            bell.notify();
        } else {
            let now = bell.now_ns();
            bell.wait(seen, now + 5_000_000);
        }
    }
    store
}

#[test]
fn second_thread_store_with_a_stall() {
    let (req, rsp) = (ring(u32::MAX - 300), ring(7));
    let (to_client, to_store): (Counter, Counter) = Default::default();
    let start = Instant::now();
    let ctl = Arc::new(Control { stop: false.into(), stall: false.into(), stalled: false.into() });
    let store_bell = Bell { mine: to_store.clone(), theirs: to_client.clone(), start };
    let (sreq, srsp, sctl) = (req.clone(), rsp.clone(), ctl.clone());
    let store = thread::spawn(move || store_thread(sreq, srsp, store_bell, sctl));

    let bell = Bell { mine: to_client, theirs: to_store, start };
    let mut c = Client::new(RingTransport::new(req, rsp, bell));
    c.set_limits(Limits { timeout_ns: 60_000_000_000, max_watch_events: 64 });
    c.watch("/w", "tok").unwrap();
    for i in 0..40usize {
        let v: Vec<u8> = (0..(i * 97) % 2000).map(|j| b'a' + ((i + j) % 26) as u8).collect();
        c.write(Tx::NONE, &format!("/w/{i}"), &v).unwrap();
        assert_eq!(c.read(Tx::NONE, &format!("/w/{i}")).unwrap(), v, "round {i}");
    }
    // The registration event plus one per write (the queue holds 64).
    for i in 0..41 {
        let ev = c.wait_watch_event(60_000_000_000).unwrap().expect("a watch event");
        assert_eq!(ev.path, if i == 0 { "/w".to_string() } else { format!("/w/{}", i - 1) });
    }
    assert_eq!(c.watch_events_dropped(), 0);

    // Stall: a 1900-byte write cannot fit the 1024-byte ring.
    ctl.stall.store(true, Ordering::Release);
    while !ctl.stalled.load(Ordering::Acquire) {
        thread::yield_now();
    }
    c.set_limits(Limits { timeout_ns: 100_000_000, max_watch_events: 64 });
    let big = vec![b'z'; 1900];
    assert!(matches!(c.write(Tx::NONE, "/big", &big), Err(Error::Timeout { .. })));
    assert!(c.has_unsent_tail());
    ctl.stall.store(false, Ordering::Release);
    c.set_limits(Limits { timeout_ns: 60_000_000_000, max_watch_events: 64 });
    assert_eq!(c.read(Tx::NONE, "/w/3").unwrap().len(), 291);
    assert_eq!(c.read(Tx::NONE, "/big").unwrap(), big);
    assert_eq!(c.late_replies(), 1);

    ctl.stop.store(true, Ordering::Release);
    let store = store.join().unwrap();
    assert!(store.protocol_error.is_none(), "{:?}", store.protocol_error);
    assert_eq!(store.nodes["/big"], big);
}
