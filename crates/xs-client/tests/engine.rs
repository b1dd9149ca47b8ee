//! The engine against a fake xenstored across a fake ring pair (common/).
//!
//! What could pass falsely: the fake store and the client share xs-wire's
//! parser and encoder, so a symmetric framing bug would not show here (the
//! xs-wire tests check the framing against the C header, and the kernel's
//! xenstore self test runs this engine against the real xenstored).

mod common;

use common::{pair, pair_at, RING};
use xen_ring::RingError;
use xs_client::{Error, MsgType, Tx, WatchEvent, XsError};

fn value(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| b'a' + ((i * 7 + usize::from(seed)) % 26) as u8).collect()
}

#[test]
fn basic_operations() {
    let (mut c, fake) = pair();
    c.mkdir(Tx::NONE, "/d").unwrap();
    c.write(Tx::NONE, "/d/a", b"alpha").unwrap();
    assert_eq!(c.read(Tx::NONE, "/d/a").unwrap(), b"alpha");
    assert_eq!(c.directory(Tx::NONE, "/d").unwrap(), ["a"]);
    assert!(c.read(Tx::NONE, "/d/missing").unwrap_err().is_enoent());
    c.rm(Tx::NONE, "/d").unwrap();
    assert!(matches!(c.directory(Tx::NONE, "/d"), Err(Error::Store(XsError::ENOENT))));
    assert_eq!(c.get_domain_path(7).unwrap_err().to_string(), "EINVAL");
    let ids: Vec<u32> = fake.borrow().store.log().iter().map(|r| r.1).collect();
    assert_eq!(ids, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!((c.late_replies(), c.broken()), (0, None));
}

#[test]
fn reply_split_at_every_offset() {
    let v = value(700, 3);
    let reply_len = 16 + v.len();
    for split in 0..=reply_len {
        let (mut c, fake) = pair();
        fake.borrow_mut().store.nodes.insert("/k".into(), v.clone());
        fake.borrow_mut().splits.extend([split, 1, reply_len]);
        assert_eq!(c.read(Tx::NONE, "/k").unwrap(), v, "split at {split}");
    }
}

#[test]
fn messages_wrap_around_the_rings() {
    // Counters near u32::MAX and values bigger than a ring: every request
    // and reply wraps, some several times; chunk sizes coprime to the ring.
    for (start, req_chunk, rsp_chunk) in [(u32::MAX - 5, 333, 97), (1000, 1, 1024), (RING as u32 - 1, 1024, 7)] {
        let (mut c, fake) = pair_at(start, start.wrapping_add(17));
        fake.borrow_mut().req_chunk = req_chunk;
        fake.borrow_mut().rsp_chunk = rsp_chunk;
        for i in 0..6u8 {
            let v = value(300 + 700 * usize::from(i), i);
            let path = format!("/k{i}");
            c.write(Tx::NONE, &path, &v).unwrap();
            assert_eq!(c.read(Tx::NONE, &path).unwrap(), v);
        }
        assert!(fake.borrow().store.protocol_error.is_none());
    }
}

#[test]
fn watch_events_interleaved_with_replies() {
    let (mut c, fake) = pair();
    fake.borrow_mut().rsp_chunk = 5;
    c.watch("/w", "tok").unwrap();
    // Events queued by the store before, between and after replies.
    fake.borrow_mut().store.event("/w/x", "tok");
    c.write(Tx::NONE, "/w/a", b"1").unwrap();
    fake.borrow_mut().store.event("/w/y", "other");
    assert_eq!(c.read(Tx::NONE, "/w/a").unwrap(), b"1");
    let mut got = Vec::new();
    while let Some(ev) = c.wait_watch_event(0).unwrap() {
        got.push((ev.path, ev.token));
    }
    let want = [("/w", "tok"), ("/w/x", "tok"), ("/w/a", "tok"), ("/w/y", "other")];
    assert_eq!(got, want.map(|(p, t)| (p.to_string(), t.to_string())));
    assert_eq!(c.watch_events_dropped(), 0);
    c.unwatch("/w", "tok").unwrap();
    assert!(c.unwatch("/w", "tok").unwrap_err().is_enoent());
}

#[test]
fn watch_events_waited_for_and_bounded() {
    let (mut c, fake) = pair();
    assert_eq!(c.wait_watch_event(1_000_000).unwrap(), None);
    for i in 0..12 {
        fake.borrow_mut().store.event(&format!("/e{i}"), "t");
    }
    // A malformed event (no NUL after the path) is dropped too.
    fake.borrow_mut().store.send(MsgType::WatchEvent, 0, b"junk");
    let first = c.wait_watch_event(1_000_000_000).unwrap();
    assert_eq!(first, Some(WatchEvent { path: "/e0".into(), token: "t".into() }));
    c.poll().unwrap();
    // Limit 8 (common::pair): all 13 came in one read (< 512 bytes), /e0../e7
    // were queued, /e8../e11 and the malformed one dropped; /e0 is taken.
    assert_eq!(c.queued_watch_events(), 7);
    assert_eq!(c.watch_events_dropped(), 5);
    assert_eq!(c.take_watch_event().unwrap().path, "/e1");
}

#[test]
fn stalled_store_then_resumed() {
    let (mut c, fake) = pair();
    c.write(Tx::NONE, "/before", b"x").unwrap();
    fake.borrow_mut().stalled = true;
    // 1900 bytes do not fit the 1024-byte request ring: half written.
    let big = value(1900, 9);
    assert!(matches!(c.write(Tx::NONE, "/big", &big), Err(Error::Timeout { .. })));
    assert!(c.has_unsent_tail());
    // Another request cannot start while the tail is stuck.
    assert!(matches!(c.read(Tx::NONE, "/before"), Err(Error::Timeout { .. })));
    fake.borrow_mut().stalled = false;
    assert_eq!(c.read(Tx::NONE, "/before").unwrap(), b"x");
    assert!(!c.has_unsent_tail());
    let f = fake.borrow();
    assert!(f.store.protocol_error.is_none(), "{:?}", f.store.protocol_error);
    let log = f.store.log();
    let kinds: Vec<(MsgType, u32)> = log.iter().map(|r| (r.0, r.1)).collect();
    // The timed-out read never started; the write went out whole, once.
    assert_eq!(kinds, [(MsgType::Write, 1), (MsgType::Write, 2), (MsgType::Read, 3)]);
    assert_eq!(&log[1].3[..5], b"/big\0");
    assert_eq!(&log[1].3[5..], &big[..]);
    assert_eq!(f.store.nodes["/big"], big);
    drop(f);
    // The write's late reply was discarded, not taken for the read's.
    assert_eq!(c.late_replies(), 1);
}

#[test]
fn late_reply_discarded() {
    let (mut c, fake) = pair();
    fake.borrow_mut().store.nodes.insert("/a".into(), b"A".to_vec());
    fake.borrow_mut().store.nodes.insert("/b".into(), b"B".to_vec());
    fake.borrow_mut().holding = true;
    assert!(matches!(c.read(Tx::NONE, "/a"), Err(Error::Timeout { .. })));
    assert!(!c.has_unsent_tail());
    fake.borrow_mut().holding = false;
    // The reply to /a comes first; /b's request must get "B".
    assert_eq!(c.read(Tx::NONE, "/b").unwrap(), b"B");
    assert_eq!(c.late_replies(), 1);
    // A reply of the wrong type with our id, and a stray one, are told apart.
    fake.borrow_mut().store.send(MsgType::Read, 77, b"stray");
    assert_eq!(c.read(Tx::NONE, "/a").unwrap(), b"A");
    assert_eq!(c.late_replies(), 2);
}

#[test]
fn request_never_started_is_forgotten() {
    let (mut c, fake) = pair();
    // Fill the request ring so that not one byte of the next request fits.
    fake.borrow_mut().stalled = true;
    let fill = value(RING - 16 - 3, 1);
    assert!(matches!(c.write(Tx::NONE, "/f", &fill), Err(Error::Timeout { .. })));
    assert!(!c.has_unsent_tail());
    assert!(matches!(c.read(Tx::NONE, "/f"), Err(Error::Timeout { .. })));
    assert!(!c.has_unsent_tail(), "a request with no byte out is dropped, not kept");
    fake.borrow_mut().stalled = false;
    assert_eq!(c.read(Tx::NONE, "/f").unwrap(), fill);
    let ids: Vec<u32> = fake.borrow().store.log().iter().map(|r| r.1).collect();
    assert_eq!(ids, [1, 3]);
}

#[test]
fn answered_before_sent_is_not_sent() {
    let (mut c, fake) = pair();
    fake.borrow_mut().deaf = true;
    let fill = value(RING - 16 - 3, 2);
    assert!(matches!(c.write(Tx::NONE, "/f", &fill), Err(Error::Timeout { .. })));
    // A hostile store answers request 2 before reading a byte of it (the
    // ring has no room for one).
    fake.borrow_mut().store.send(MsgType::Read, 2, b"guessed");
    assert_eq!(c.read(Tx::NONE, "/g").unwrap(), b"guessed");
    assert!(!c.has_unsent_tail(), "an answered request with no byte out is dropped");
    fake.borrow_mut().deaf = false;
    fake.borrow_mut().store.nodes.insert("/h".into(), b"H".to_vec());
    assert_eq!(c.read(Tx::NONE, "/h").unwrap(), b"H");
    let ids: Vec<u32> = fake.borrow().store.log().iter().map(|r| r.1).collect();
    assert_eq!(ids, [1, 3], "request 2 must never reach the store");
}

#[test]
fn error_payloads_are_typed() {
    let (mut c, fake) = pair();
    for (payload, want) in
        [(&b"EACCES\0"[..], XsError::EACCES), (b"EQUOTA", XsError::EQUOTA), (b"E2BIG\0junk", XsError::E2BIG)]
    {
        fake.borrow_mut().store.answers.push_back((MsgType::Error, payload.to_vec()));
        assert!(matches!(c.read(Tx::NONE, "/y"), Err(Error::Store(e)) if e == want), "{payload:?}");
    }
    fake.borrow_mut().store.answers.push_back((MsgType::Error, b"EWHATEVER\0".to_vec()));
    let e = c.write(Tx::NONE, "/y", b"").unwrap_err();
    assert_eq!(e.to_string(), "EWHATEVER");
    let e = c.read(Tx::NONE, "/nope").unwrap_err();
    assert_eq!(e.to_string(), "ENOENT");
}

#[test]
fn unexpected_type_and_encode_errors() {
    let (mut c, fake) = pair();
    fake.borrow_mut().store.answers.push_back((MsgType::Write, b"OK\0".to_vec()));
    assert!(matches!(c.read(Tx::NONE, "/a"), Err(Error::Unexpected(MsgType::Write))));
    assert!(matches!(c.read(Tx::NONE, "a\0b"), Err(Error::Encode(xs_wire::WireError::EmbeddedNul))));
    assert!(matches!(c.write(Tx::NONE, "p", &[0; 5000]), Err(Error::Encode(_))));
    c.write(Tx::NONE, "/ok", b"1").unwrap();
    assert_eq!(fake.borrow().store.seen.len(), 2, "unencodable requests are not sent");
}

#[test]
fn wire_error_breaks_the_connection() {
    let (mut c, fake) = pair();
    let mut bad = xs_wire::Header::message(MsgType::Read, 1, b"");
    bad[12..16].copy_from_slice(&5000u32.to_le_bytes());
    fake.borrow_mut().store.outbox.extend(bad);
    assert!(matches!(c.read(Tx::NONE, "/a"), Err(Error::Wire(xs_wire::WireError::PayloadTooLong(5000)))));
    let e = c.read(Tx::NONE, "/a").unwrap_err();
    assert!(matches!(e, Error::Broken(_)));
    assert!(e.to_string().contains("5000 payload bytes"), "{e}");
    assert!(c.poll().is_err());
    assert_eq!(fake.borrow().store.seen.len(), 1, "nothing sent once broken");
}

#[test]
fn corrupt_ring_breaks_the_connection() {
    let (mut c, fake) = pair();
    fake.borrow().page().rsp.prod = 5000;
    let e = c.read(Tx::NONE, "/a").unwrap_err();
    assert!(matches!(e, Error::Transport(RingError::Corrupt { .. })), "{e}");
    assert!(matches!(c.write(Tx::NONE, "/a", b""), Err(Error::Broken(_))));
}

#[test]
fn request_ids_wrap_and_skip_zero() {
    let (mut c, fake) = pair();
    c.set_next_req_id(u32::MAX);
    fake.borrow_mut().holding = true;
    assert!(c.read(Tx::NONE, "/a").is_err()); // id u32::MAX, given up on
    fake.borrow_mut().holding = false;
    c.write(Tx::NONE, "/a", b"1").unwrap();
    c.write(Tx::NONE, "/b", b"2").unwrap();
    let ids: Vec<u32> = fake.borrow().store.log().iter().map(|r| r.1).collect();
    assert_eq!(ids, [u32::MAX, 1, 2]);
    // An id given up on is not reused while its reply may still come.
    let (mut c, fake) = pair();
    fake.borrow_mut().holding = true;
    assert!(c.read(Tx::NONE, "/a").is_err()); // id 1
    fake.borrow_mut().store.outbox.clear(); // its reply never comes
    fake.borrow_mut().holding = false;
    c.set_next_req_id(1);
    c.write(Tx::NONE, "/a", b"1").unwrap();
    let ids: Vec<u32> = fake.borrow().store.log().iter().map(|r| r.1).collect();
    assert_eq!(ids, [1, 2]);
}

#[test]
fn transactions() {
    let (mut c, fake) = pair();
    let tx = c.transaction_start().unwrap();
    assert_eq!(tx, Tx(41));
    c.write(tx, "/v/ring-ref", b"8").unwrap();
    c.mkdir(tx, "/v/dir").unwrap();
    fake.borrow_mut().store.eagain_once = true;
    assert!(matches!(c.transaction_end(tx, true), Err(Error::Store(XsError::EAGAIN))));
    let tx2 = c.transaction_start().unwrap();
    c.transaction_end(tx2, false).unwrap();
    let log = fake.borrow().store.log();
    let txs: Vec<(MsgType, u32)> = log.iter().map(|r| (r.0, r.2)).collect();
    assert_eq!(
        txs,
        [
            (MsgType::TransactionStart, 0),
            (MsgType::Write, 41),
            (MsgType::Mkdir, 41),
            (MsgType::TransactionEnd, 41),
            (MsgType::TransactionStart, 0),
            (MsgType::TransactionEnd, 42),
        ]
    );
    assert_eq!(log[3].3, b"T\0");
    assert_eq!(log[5].3, b"F\0");
    // A start reply that is not a number (or is 0) is malformed.
    for bad in [&b"zz\0"[..], b"0\0", b""] {
        fake.borrow_mut().store.answers.push_back((MsgType::TransactionStart, bad.to_vec()));
        assert!(matches!(c.transaction_start(), Err(Error::Malformed(_))));
    }
}
