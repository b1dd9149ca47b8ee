//! Property test: random operations against the fake xenstored, with random
//! ring chunking, stalls (the store neither reads nor writes), holds (it
//! handles requests but keeps the replies back) and stray watch events.
//!
//! Checked for every run:
//! - the store only ever sees well-formed messages (no protocol error);
//! - request ids are never 0 and never repeat;
//! - the requests it sees are the operations called, in order, each at most
//!   once (a timed-out one may be missing or late, never doubled or mixed);
//! - every `Ok` is exactly the store's answer to that very request (its
//!   req_id), however late replies to earlier requests came;
//! - after every stall and hold ends, the next operation succeeds.
//!
//! What could pass falsely: the fake store answers in order, like C
//! xenstored; a store that reorders replies is covered only by the fuzz target.

mod common;

use proptest::prelude::*;
use xs_client::{Error, Limits, MsgType, Tx};

#[derive(Clone, Debug)]
enum Op {
    Write(u8, usize),
    Read(u8),
    Rm(u8),
    Directory,
    Event,
    Stall(bool),
    Hold(bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..4, 0usize..1500).prop_map(|(k, n)| Op::Write(k, n)),
        4 => (0u8..4).prop_map(Op::Read),
        1 => (0u8..4).prop_map(Op::Rm),
        1 => Just(Op::Directory),
        1 => Just(Op::Event),
        1 => any::<bool>().prop_map(Op::Stall),
        1 => any::<bool>().prop_map(Op::Hold),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn engine_against_store(
        ops in prop::collection::vec(op(), 1..40),
        req_chunk in 1usize..1100,
        rsp_chunk in 1usize..1100,
        start in any::<u32>(),
    ) {
        let (mut c, fake) = common::pair_at(start, start.rotate_left(7));
        c.set_limits(Limits { timeout_ns: 50_000_000, max_watch_events: 4 });
        fake.borrow_mut().req_chunk = req_chunk;
        fake.borrow_mut().rsp_chunk = rsp_chunk;
        // 1 us a step: byte-by-byte transfers of the biggest messages stay
        // well inside the 50 ms timeout, which only stalls and holds reach.
        fake.borrow_mut().step_ns = 1_000;
        // (type, path) of each request issued, in order.
        let mut issued: Vec<(MsgType, String)> = Vec::new();
        let mut recovering = false;
        for op in ops {
            let path = |k: u8| format!("/d/k{k}");
            let seen_before = fake.borrow().store.seen.len();
            let (ty, p, result) = match op {
                Op::Stall(on) => { fake.borrow_mut().stalled = on; recovering |= !on; continue }
                Op::Hold(on) => { fake.borrow_mut().holding = on; recovering |= !on; continue }
                Op::Event => { fake.borrow_mut().store.event("/d", "t"); continue }
                Op::Write(k, n) => {
                    let v: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
                    (MsgType::Write, path(k), c.write(Tx::NONE, &path(k), &v).map(|()| b"OK\0".to_vec()))
                }
                Op::Read(k) => (MsgType::Read, path(k), c.read(Tx::NONE, &path(k))),
                Op::Rm(k) => (MsgType::Rm, path(k), c.rm(Tx::NONE, &path(k)).map(|()| b"OK\0".to_vec())),
                Op::Directory => (
                    MsgType::Directory,
                    "/d".to_string(),
                    c.directory(Tx::NONE, "/d")
                        .map(|names| names.iter().flat_map(|n| n.bytes().chain([0])).collect()),
                ),
            };
            issued.push((ty, p.clone()));
            let f = fake.borrow();
            prop_assert!(f.store.protocol_error.is_none(), "{:?}", f.store.protocol_error);
            let live = !f.stalled && !f.holding;
            match result {
                Ok(payload) => {
                    // The request answered is the last one the store saw.
                    let (h, req) = f.store.seen.last().expect("a reply without a request");
                    prop_assert!(f.store.seen.len() > seen_before);
                    prop_assert_eq!(h.ty, ty);
                    prop_assert!(req.starts_with(p.as_bytes()));
                    prop_assert_eq!(&f.store.replies[&h.req_id], &(ty, payload));
                    recovering = false;
                }
                Err(Error::Store(_)) => {
                    let (h, _) = f.store.seen.last().expect("an error without a request");
                    prop_assert_eq!(f.store.replies[&h.req_id].0, MsgType::Error);
                    recovering = false;
                }
                Err(Error::Timeout { .. }) => {
                    prop_assert!(!live || recovering, "timeout with a live store");
                    // One timeout may be spent flushing what a stall left.
                    if live { recovering = false; }
                }
                Err(e) => prop_assert!(false, "unexpected error {e}"),
            }
            // Drain queued events now and then (bounded queue, drops counted).
            while c.take_watch_event().is_some() {}
        }
        // The store saw a subsequence of the issued requests, ids distinct.
        let f = fake.borrow();
        let mut ids: Vec<u32> = f.store.seen.iter().map(|(h, _)| h.req_id).collect();
        prop_assert!(!ids.contains(&0));
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        prop_assert_eq!(ids.len(), n, "a request id repeated");
        let mut it = issued.iter();
        for (h, payload) in &f.store.seen {
            let found = it.any(|(ty, p)| *ty == h.ty && payload.starts_with(p.as_bytes()));
            prop_assert!(found, "store saw {:?} out of order", h.ty);
        }
    }
}
