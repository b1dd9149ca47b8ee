//! Fuzz target `vchan_peer`: xenbell's vchan server ([`vchan::Endpoint`],
//! the echo loop of src/app/vchan.rs in miniature) against a hostile client,
//! plus the client-side reading of an arbitrary shared page.
//!
//! Input: first two orders and a page image (up to 4072 bytes after the header) for `client_orders`/`grant`,
//! then server orders (two minimum orders), then a stream of steps. Each step
//! is either an honest client action (write a chunk, read a chunk, ask for
//! notifies) or a hostile one: any value into any counter (ours included),
//! the orders, the live and notify bytes, or garbage into the rings.
//!
//! Checks:
//! - no panic: every ring and page access is a checked slice index, so an
//!   out-of-bounds access would panic here;
//! - `client_orders` accepts only orders in 10..=20, never the same in-page
//!   order twice, with the grant list ending before any in-page ring, and
//!   then every `grant(i)` for `i < grant_count` exists;
//! - each server call moves at most the buffer's length and at most the ring
//!   size; an echo round (read, then write what fits, bounded retries) ends;
//! - while the peer has been honest: no error, and what the client reads
//!   back is exactly the prefix of what it wrote (the echo is intact).
#![no_main]

use std::sync::atomic::Ordering::Relaxed;

use libfuzzer_sys::fuzz_target;
use vchan::{Endpoint, Orders, Role, SharedPage, MAX_ORDER, MIN_ORDER};
use xenbell_fuzz::Src;

/// Mostly orders near the valid range, sometimes any u16.
fn s_order(src: &Src) -> u16 {
    match src.u8() % 4 {
        0 => src.u16(),
        _ => 8 + src.below(15) as u16,
    }
}

fn check_client_view(src: &Src) {
    let page = SharedPage::new();
    page.left_order.store(s_order(src), Relaxed);
    page.right_order.store(s_order(src), Relaxed);
    for (slot, &b) in page.rest.iter().zip(src.bytes(4072)) {
        slot.store(b, Relaxed);
    }
    if let Ok(o) = page.client_orders() {
        assert!((MIN_ORDER..=MAX_ORDER).contains(&o.left) && (MIN_ORDER..=MAX_ORDER).contains(&o.right));
        assert!(!(o.left == o.right && o.left < 12));
        for ring in [o.left, o.right] {
            if let Some(off) = vchan::in_page_offset(ring) {
                assert!(24 + 4 * o.grant_count() <= off);
            }
        }
        for i in 0..o.grant_count() {
            assert!(page.grant(i).is_some());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let s = Src::new(data);
    check_client_view(&s);
    let Some(orders) = Orders::for_server(10 + s.below(6) as u16, 10 + s.below(6) as u16) else { return };
    let page = SharedPage::new();
    let grants: Vec<u32> = (0..orders.grant_count() as u32).collect();
    page.init_server(orders, &grants).unwrap();
    let ext = |o: u16| -> Vec<std::sync::atomic::AtomicU8> { (0..1usize << o).map(|_| Default::default()).collect() };
    let (lx, rx) = (ext(orders.left), ext(orders.right));
    let left = page.in_page_ring(orders.left).unwrap_or(&lx);
    let right = page.in_page_ring(orders.right).unwrap_or(&rx);
    let mut srv = Endpoint::new(&page, Role::Server, left, right).unwrap();
    let mut cli = Endpoint::new(&page, Role::Client, left, right).unwrap();
    cli.connect();

    let mut honest = true;
    let mut sent: Vec<u8> = Vec::new();
    let mut echoed: Vec<u8> = Vec::new();
    let mut pending: Vec<u8> = Vec::new(); // read by the server, not yet written back
    let mut buf = vec![0u8; 1 << 12];
    let mut steps = 0;
    while !s.is_empty() && steps < 500 {
        steps += 1;
        match s.u8() % 12 {
            0 | 1 => {
                let chunk = s.bytes(3000);
                if let Ok(x) = cli.write(chunk) {
                    sent.extend_from_slice(&chunk[..x.bytes]);
                } else {
                    assert!(!honest);
                }
            }
            2 | 3 => {
                let n = s.below(4096) as usize;
                match cli.read(&mut buf[..n]) {
                    Ok(x) => echoed.extend_from_slice(&buf[..x.bytes]),
                    Err(_) => assert!(!honest),
                }
            }
            4 => {
                let _ = cli.want_data();
                let _ = cli.want_space();
            }
            // Hostile moves from here on.
            5 => {
                honest = false;
                let v = s.u32();
                [&page.left.prod, &page.left.cons, &page.right.prod, &page.right.cons][s.below(4) as usize]
                    .store(v, Relaxed);
            }
            6 => {
                honest = false;
                page.left_order.store(s.u16(), Relaxed);
                page.right_order.store(s.u16(), Relaxed);
            }
            7 => {
                honest = false;
                [&page.cli_live, &page.srv_live, &page.cli_notify, &page.srv_notify][s.below(4) as usize]
                    .store(s.u8(), Relaxed);
            }
            8 => {
                // Garbage into the ring data: changes bytes, never safety.
                honest = false;
                let at = s.below(1 << 16) as usize % left.len();
                left[at].store(s.u8(), Relaxed);
            }
            _ => {}
        }
        // The server's echo round, as the kernel runs it on each event.
        let _ = srv.peer();
        let r = srv.read(&mut buf);
        match r {
            Ok(x) => {
                assert!(x.bytes <= left.len());
                pending.extend_from_slice(&buf[..x.bytes]);
            }
            Err(_) => assert!(!honest),
        }
        for _ in 0..2 {
            if pending.is_empty() {
                break;
            }
            match srv.write(&pending) {
                Ok(x) => {
                    assert!(x.bytes <= pending.len() && x.bytes <= right.len());
                    pending.drain(..x.bytes);
                }
                Err(_) => {
                    assert!(!honest);
                    break;
                }
            }
        }
        if honest {
            assert!(echoed.len() <= sent.len());
            assert_eq!(echoed[..], sent[..echoed.len()]);
        }
    }
});
