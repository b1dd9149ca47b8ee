//! A server thread echoing everything it reads and a client thread sending
//! 1 MiB of pseudo-random bytes, on one page with atomics, sleeping only when
//! the protocol says it may (after `want_data`/`want_space` returned 0) and
//! woken by the `notify` results, like event channels would.
//!
//! What: the stream comes back intact (same bytes, same order) for the
//! default in-page orders and for external rings; the notify handshake never
//! loses a wake-up (a lost one would hang the test rather than pass it).
//! False pass: x86 is strongly ordered, so a missing Acquire/Release would
//! rarely show here; the orderings are argued in the crate docs.

use std::sync::atomic::AtomicU8;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;

use vchan::*;

/// An "event channel": a counter of events and a condvar.
#[derive(Default)]
struct Port {
    pending: Mutex<u64>,
    cv: Condvar,
}

impl Port {
    fn send(&self) {
        *self.pending.lock().unwrap() += 1;
        self.cv.notify_all();
    }
    /// Waits until an event arrived since `seen`; returns the new count.
    fn wait(&self, seen: u64) -> u64 {
        let mut p = self.pending.lock().unwrap();
        while *p == seen {
            p = self.cv.wait(p).unwrap();
        }
        *p
    }
    fn count(&self) -> u64 {
        *self.pending.lock().unwrap()
    }
}

fn stream(len: usize) -> Vec<u8> {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn echo_through(orders: Orders) {
    const LEN: usize = 1 << 20;
    let page: &'static SharedPage = Box::leak(Box::new(SharedPage::new()));
    let ext = |o: u16| -> &'static [AtomicU8] { Box::leak((0..1usize << o).map(|_| AtomicU8::new(0)).collect()) };
    let grants: Vec<u32> = (0..orders.grant_count() as u32).collect();
    page.init_server(orders, &grants).unwrap();
    let left = page.in_page_ring(orders.left).unwrap_or_else(|| ext(orders.left));
    let right = page.in_page_ring(orders.right).unwrap_or_else(|| ext(orders.right));
    let to_server = Arc::new(Port::default());
    let to_client = Arc::new(Port::default());

    let (ts, tc) = (to_server.clone(), to_client.clone());
    let server = thread::spawn(move || {
        let mut ep = Endpoint::new(page, Role::Server, left, right).unwrap();
        let mut buf = vec![0u8; 4096];
        let mut echoed = 0;
        while echoed < LEN {
            let seen = ts.count();
            let n = ep.read(&mut buf).unwrap();
            if n.notify {
                tc.send();
            }
            let mut off = 0;
            while off < n.bytes {
                let seen_space = ts.count();
                let w = ep.write(&buf[off..n.bytes]).unwrap();
                if w.notify {
                    tc.send();
                }
                off += w.bytes;
                if w.bytes == 0 && ep.want_space().unwrap() == 0 {
                    ts.wait(seen_space);
                }
            }
            echoed += n.bytes;
            if n.bytes == 0 && ep.want_data().unwrap() == 0 {
                ts.wait(seen);
            }
        }
        echoed
    });

    let data = stream(LEN);
    let mut cli = Endpoint::new(page, Role::Client, left, right).unwrap();
    cli.connect();
    let mut back = Vec::with_capacity(LEN);
    let mut sent = 0;
    let mut buf = vec![0u8; 3000];
    while back.len() < LEN {
        let seen = to_client.count();
        let w = cli.write(&data[sent..(sent + 1500).min(LEN)]).unwrap();
        sent += w.bytes;
        if w.notify {
            to_server.send();
        }
        let r = cli.read(&mut buf).unwrap();
        back.extend_from_slice(&buf[..r.bytes]);
        if r.notify {
            to_server.send();
        }
        if w.bytes == 0 && r.bytes == 0 {
            let space = if sent < LEN { cli.want_space().unwrap() } else { 0 };
            if space == 0 && cli.want_data().unwrap() == 0 {
                to_client.wait(seen);
            }
        }
    }
    assert_eq!(server.join().unwrap(), LEN);
    assert!(back == data, "echoed stream differs");
}

#[test]
fn one_mib_echoes_intact_with_in_page_rings() {
    echo_through(Orders::SERVER_DEFAULT);
}

#[test]
fn one_mib_echoes_intact_with_external_rings() {
    echo_through(Orders { left: 12, right: 14 });
}
