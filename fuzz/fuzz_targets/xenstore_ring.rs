//! Fuzz target `xenstore_ring`: our side of the xenstore ring pair (`req` and
//! `rsp`, 1024 bytes each: `xen_ring::Producer`, `xen_ring::Consumer`, and
//! `xs_wire::Parser` reassembling replies) against a hostile xenstored.
//!
//! A minimal client loop over the ring primitives (the real engine,
//! crates/xs-client, is fuzzed by `xs_client`) sends each request (encoded by `xs_wire::Request`), then reads the
//! response ring in reads of up to 256 bytes, feeds the parser, skips watch
//! events and replies to other request ids, returns the reply with its id
//! and keeps the bytes that followed it for the next request. Waits are
//! bounded (8 empty polls stand for the kernel's 5 s deadline). On any error
//! it resets the parser and drops what it kept.
//!
//! xenstored (the fuzzer) acts whenever we read its counter: it consumes our
//! requests honestly or not, and produces a queue of messages it chose:
//! well-formed replies to our id or to others, watch events, garbage bytes,
//! headers with unknown types or oversized lengths, long payloads; or it
//! lies about its counters, overwrites ours in the page, changes data under
//! our reads. Starting counters are arbitrary.
//!
//! Invariants checked:
//! - every ring access is inside the 1024-byte arrays; every `write`,
//!   `read`, `free`, `available` keeps its contract (`checked_*` in
//!   fuzz/src/lib.rs), so corrupt counters come back as `RingError::Corrupt`
//!   with nothing read or written;
//! - requests: `encode_into` fails exactly for a NUL in a path/token or a
//!   payload over 4096 bytes; otherwise the parser reads back the same
//!   header (type, req_id, tx_id, len) and the expected payload bytes;
//! - the client loop ends: its iterations are bounded by the bytes read
//!   plus the allowed empty polls; the parser always makes progress;
//! - a reply returned has our request id, is not a watch event, and its
//!   payload has the header's length (<= 4096);
//! - while xenstored has been honest and sent only well-formed messages,
//!   the reply is exactly the first message it queued for our id, the bytes
//!   we read are exactly a prefix of what it sent, and what it consumed of
//!   `req` is exactly a prefix of the requests we wrote.
#![no_main]

use std::collections::VecDeque;

use libfuzzer_sys::fuzz_target;
use xen_ring::{Consumer, Producer, XENSTORE_RING_SIZE};
use xenbell_fuzz::{checked_available, checked_free, checked_read, checked_write, HostileRing, Side, Src};
use xs_wire::{Header, MsgType, Parser, Request, WireError, MESSAGE_MAX, PAYLOAD_MAX};

const SIZE: usize = XENSTORE_RING_SIZE as usize;
const MAX_IDLE: u32 = 8;

#[derive(Debug, PartialEq)]
enum Outcome {
    Reply(MsgType, Vec<u8>),
    Ring,
    Wire(WireError),
    Timeout,
}

fn text<'a>(s: &Src<'a>) -> String {
    let n = match s.u8() % 8 {
        0 => PAYLOAD_MAX - 8 + s.below(16) as usize,
        _ => s.below(24) as usize,
    };
    let alphabet = b"/abc-_0129\0local/domain/data";
    (0..n).map(|_| alphabet[s.below(alphabet.len() as u32) as usize] as char).collect()
}

/// Checks one encoded request by parsing it back.
fn check_request(
    req: &Request<'_>,
    req_id: u32,
    tx_id: u32,
    result: Result<usize, WireError>,
    buf: &[u8],
    strings: &[&str],
) {
    let has_nul = strings.iter().any(|s| s.contains('\0'));
    match result {
        Err(WireError::EmbeddedNul) => assert!(has_nul, "EmbeddedNul without a NUL: {req:?}"),
        Err(WireError::RequestTooLong(n)) => {
            assert!(!has_nul && n > PAYLOAD_MAX, "RequestTooLong({n}) for {req:?}")
        }
        Err(e) => panic!("unexpected encode error {e:?} for {req:?}"),
        Ok(len) => {
            assert!(!has_nul, "a NUL inside a path or token was encoded: {req:?}");
            let mut p = Parser::new();
            let (used, m) = p.push(&buf[..len]).expect("our own request does not parse");
            let m = m.expect("our own request is incomplete");
            assert_eq!(used, len);
            assert_eq!(m.header, Header { ty: req.msg_type(), req_id, tx_id, len: (len - 16) as u32 });
            let mut want = Vec::new();
            match *req {
                Request::Read { path }
                | Request::Directory { path }
                | Request::Mkdir { path }
                | Request::Rm { path } => {
                    want.extend_from_slice(path.as_bytes());
                    want.push(0);
                }
                Request::Write { path, value } => {
                    want.extend_from_slice(path.as_bytes());
                    want.push(0);
                    want.extend_from_slice(value);
                }
                Request::Watch { path, token } | Request::Unwatch { path, token } => {
                    for s in [path, token] {
                        want.extend_from_slice(s.as_bytes());
                        want.push(0);
                    }
                }
                Request::GetDomainPath { domid } => {
                    want.extend_from_slice(domid.to_string().as_bytes());
                    want.push(0);
                }
                _ => return,
            }
            assert_eq!(m.payload, &want[..], "payload of {req:?}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let s = Src::new(data);
    let start = |s: &Src<'_>| match s.u8() % 3 {
        0 => 0,
        1 => u32::MAX - s.below(2048),
        _ => s.u32(),
    };
    let (req_start, rsp_start) = (start(&s), start(&s));
    let mut req_ring = HostileRing::<SIZE>::new(&s, Side::WeProduce, req_start);
    let mut rsp_ring = HostileRing::<SIZE>::new(&s, Side::WeConsume, rsp_start);
    let mut producer = Producer::new(req_ring.page_prod());
    let mut consumer = Consumer::new(rsp_ring.page_cons());
    let mut parser = Parser::new();
    let mut next_id = s.u32().max(1);

    let mut requests_written: Vec<u8> = Vec::new();
    let mut bytes_read: Vec<u8> = Vec::new();
    // Bytes read after a reply, kept for the next request.
    let mut carry: Vec<u8> = Vec::new();
    // Well-formed, non-watch messages xenstored queued: (req_id, type, payload).
    let mut expected: VecDeque<(u32, MsgType, Vec<u8>)> = VecDeque::new();
    // Only well-formed messages so far, and no stream reset.
    let mut clean = true;
    let mut msg = vec![0u8; MESSAGE_MAX + 8];

    for _ in 0..16 {
        if s.is_empty() {
            break;
        }
        // The request.
        let req_id = next_id;
        next_id = next_id.wrapping_add(1).max(1);
        let tx_id = if s.u8().is_multiple_of(8) { s.u32() } else { 0 };
        let (a, b) = (text(&s), text(&s));
        let value: Vec<u8> = s.bytes(s.below(64) as usize).to_vec();
        let req = match s.u8() % 7 {
            0 => Request::Read { path: &a },
            1 => Request::Write { path: &a, value: &value },
            2 => Request::Directory { path: &a },
            3 => Request::Mkdir { path: &a },
            4 => Request::Rm { path: &a },
            5 => Request::Watch { path: &a, token: &b },
            _ => Request::GetDomainPath { domid: s.u32() },
        };
        let strings: Vec<&str> = match req {
            Request::Watch { .. } => vec![&a, &b],
            Request::GetDomainPath { .. } => vec![],
            _ => vec![&a],
        };
        let enc = req.encode_into(req_id, tx_id, &mut msg);
        check_request(&req, req_id, tx_id, enc, &msg, &strings);
        let Ok(len) = enc else { continue };

        // What xenstored will send (it may not wait for the request).
        for _ in 0..s.below(4) {
            let mut out = rsp_ring.outgoing.borrow_mut();
            match s.u8() % 8 {
                k @ 0..=5 => {
                    let (ty, id) = match k {
                        4 => (MsgType::WatchEvent, 0),
                        5 => (MsgType::Read, req_id.wrapping_add(1 + s.below(3))),
                        _ => (
                            [MsgType::Read, MsgType::Write, MsgType::Error, MsgType::Directory][s.below(4) as usize],
                            req_id,
                        ),
                    };
                    let plen = if s.u8().is_multiple_of(16) {
                        PAYLOAD_MAX - s.below(4) as usize
                    } else {
                        s.below(48) as usize
                    };
                    let mut payload = s.bytes(plen).to_vec();
                    payload.resize(plen, b'x');
                    if ty == MsgType::WatchEvent {
                        payload = b"/local/domain/1/data/x\0tok\0".to_vec();
                    } else {
                        expected.push_back((id, ty, payload.clone()));
                    }
                    out.extend(Header::message(ty, id, &payload));
                }
                6 => {
                    clean = false;
                    out.extend(s.bytes(s.below(40) as usize));
                }
                _ => {
                    clean = false;
                    let mut h = Header::message(MsgType::Read, req_id, b"");
                    if s.u8().is_multiple_of(2) {
                        h[..4].copy_from_slice(&[20u32, 23, 24, 255, u32::MAX][s.below(5) as usize].to_le_bytes());
                    } else {
                        h[12..16].copy_from_slice(&(PAYLOAD_MAX as u32 + 1 + s.u32() % 100_000).to_le_bytes());
                    }
                    out.extend(h);
                }
            }
        }

        // transact: send.
        let mut outcome = None;
        let (mut sent, mut idle) = (0usize, 0u32);
        while sent < len {
            match checked_write(&mut producer, &mut req_ring, &msg[sent..len]) {
                Err(_) => {
                    outcome = Some(Outcome::Ring);
                    break;
                }
                Ok(n) => {
                    requests_written.extend_from_slice(&msg[sent..sent + n]);
                    sent += n;
                    if n == 0 {
                        let _ = checked_free(&producer, &req_ring);
                        idle += 1;
                        if idle > MAX_IDLE {
                            outcome = Some(Outcome::Timeout);
                            break;
                        }
                    }
                }
            }
        }
        // transact: receive.
        let mut buf = [0u8; 256];
        let mut iterations = 0usize;
        let mut read_here = 0usize;
        let carried = usize::from(!carry.is_empty());
        while outcome.is_none() {
            iterations += 1;
            assert!(iterations <= read_here + carried + MAX_IDLE as usize + 2, "receive loop does not end");
            let input: Vec<u8> = if !carry.is_empty() {
                core::mem::take(&mut carry)
            } else {
                let _ = checked_available(&consumer, &rsp_ring);
                match checked_read(&mut consumer, &mut rsp_ring, &mut buf) {
                    Err(_) => {
                        outcome = Some(Outcome::Ring);
                        break;
                    }
                    Ok(0) => {
                        idle += 1;
                        if idle > MAX_IDLE {
                            outcome = Some(Outcome::Timeout);
                        }
                        continue;
                    }
                    Ok(n) => {
                        read_here += n;
                        bytes_read.extend_from_slice(&buf[..n]);
                        buf[..n].to_vec()
                    }
                }
            };
            let mut rest = &input[..];
            while !rest.is_empty() {
                let r = parser.push(rest);
                let (used, m) = match r {
                    Err(e) => {
                        outcome = Some(Outcome::Wire(e));
                        break;
                    }
                    Ok(x) => x,
                };
                assert!(used >= 1 && used <= rest.len(), "push used {used} of {}", rest.len());
                rest = &rest[used..];
                let Some(m) = m else { continue };
                assert_eq!(m.payload.len(), m.header.len as usize);
                assert!(m.payload.len() <= PAYLOAD_MAX);
                if m.header.ty != MsgType::WatchEvent && m.header.req_id == req_id {
                    outcome = Some(Outcome::Reply(m.header.ty, m.payload.to_vec()));
                    carry = rest.to_vec();
                    break;
                }
            }
        }
        let outcome = outcome.unwrap();
        match &outcome {
            Outcome::Reply(ty, payload) => {
                assert_ne!(*ty, MsgType::WatchEvent);
                if clean && !rsp_ring.lied.get() {
                    // The first well-formed message queued for our id.
                    loop {
                        let (id, want_ty, want) = expected.pop_front().expect("a reply nobody sent");
                        if id == req_id {
                            assert_eq!(
                                (*ty, &payload[..]),
                                (want_ty, &want[..]),
                                "reply differs from what xenstored sent"
                            );
                            break;
                        }
                    }
                }
            }
            _ => {
                // Start afresh; the stream is out of step from here.
                parser.reset();
                carry.clear();
                clean = false;
            }
        }
    }

    if !req_ring.lied.get() {
        let consumed = req_ring.consumed.borrow();
        assert!(
            consumed.len() <= requests_written.len() && consumed[..] == requests_written[..consumed.len()],
            "xenstored read bytes we did not write"
        );
    }
    if !rsp_ring.lied.get() {
        let sent = rsp_ring.sent.borrow();
        assert!(
            bytes_read.len() <= sent.len() && bytes_read[..] == sent[..bytes_read.len()],
            "we read bytes xenstored did not send"
        );
    }
});
