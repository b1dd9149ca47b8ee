//! Fuzz target `xs_parser`: `xs_wire::Parser`, the incremental xenstore reply
//! parser, on arbitrary bytes in arbitrary chunkings, against an independent
//! model of the wire format, plus the payload helpers on every message.
//!
//! Input: byte 0 gives `k = byte % 16`, the next `k` bytes are chunk sizes
//! (cycled; 0 means an empty `push`, values >= 192 mean big chunks); the rest
//! is the byte stream. Seeds (fuzz/seeds/xs_parser) are valid reply streams
//! with `k = 0`.
//!
//! The model: while 16 bytes remain, read the header as four little-endian
//! u32 (type, req_id, tx_id, len); a type outside 0..=22 or equal to 20 is
//! `UnknownType`, else `len > 4096` is `PayloadTooLong`, and the stream ends
//! there; otherwise the message is complete when `len` more bytes are there.
//!
//! Invariants checked, for the whole stream at once, one byte at a time, the
//! fuzzer's chunking, and `Parser::feed` with that chunking:
//! - never a panic; each `push` uses at most its input, at least one byte of
//!   a non-empty input, and a message's payload is exactly `len` bytes;
//! - the same messages (header and payload) in the same order, and the same
//!   end (clean boundary, partial message, or the same error) as the model,
//!   hence the same result regardless of chunking;
//! - errors are sticky until `reset`, after which a valid message parses;
//! - `is_idle()` exactly at a message boundary;
//! - `split_directory`, `parse_watch_event`, `trim_nul`,
//!   `XsError::from_payload` and `Message::result` never panic on any
//!   payload and give consistent pieces (names without NUL, non-empty; the
//!   watch path without NUL and followed by one).
#![no_main]

use libfuzzer_sys::fuzz_target;
use xs_wire::{parse_watch_event, split_directory, trim_nul, Header, MsgType, Parser, WireError, XsError, PAYLOAD_MAX};

type Msg = ([u32; 4], Vec<u8>);

#[derive(Debug, PartialEq)]
enum End {
    /// Stream ended at a message boundary.
    Clean,
    /// Stream ended inside a message.
    Partial,
    Error(WireError),
}

fn model(stream: &[u8]) -> (Vec<Msg>, End) {
    let mut out = Vec::new();
    let mut at = 0;
    loop {
        let rest = &stream[at..];
        if rest.is_empty() {
            return (out, End::Clean);
        }
        if rest.len() < 16 {
            return (out, End::Partial);
        }
        let f = |i: usize| u32::from_le_bytes(rest[4 * i..4 * i + 4].try_into().unwrap());
        let h = [f(0), f(1), f(2), f(3)];
        if h[0] > 22 || h[0] == 20 {
            return (out, End::Error(WireError::UnknownType(h[0])));
        }
        if h[3] > 4096 {
            return (out, End::Error(WireError::PayloadTooLong(h[3])));
        }
        let total = 16 + h[3] as usize;
        if rest.len() < total {
            return (out, End::Partial);
        }
        out.push((h, rest[16..total].to_vec()));
        at += total;
    }
}

fn check_payload_helpers(ty: MsgType, payload: &[u8]) {
    for name in split_directory(payload) {
        assert!(!name.is_empty() && !name.contains(&0), "directory entry {name:?}");
    }
    match parse_watch_event(payload) {
        Ok(ev) => {
            assert!(!ev.path.contains(&0) && !ev.token.contains(&0));
            assert_eq!(&payload[..ev.path.len()], ev.path);
            assert_eq!(payload[ev.path.len()], 0);
        }
        Err(e) => {
            assert_eq!(e, WireError::MalformedWatchEvent);
            assert!(!payload.contains(&0));
            let _ = e.to_string();
        }
    }
    let t = trim_nul(payload);
    assert!(t == payload || (t.len() + 1 == payload.len() && payload.last() == Some(&0)));
    let e = XsError::from_payload(payload);
    let shown = e.to_string();
    if let Some(name) = e.name() {
        assert_eq!(shown, name);
    }
    if ty == MsgType::Error {
        let _ = format!("{e:?}");
    }
}

/// Feeds `stream` in the given chunks with `push`; returns messages and end.
fn by_push(stream: &[u8], chunks: &mut dyn Iterator<Item = usize>) -> (Vec<Msg>, End) {
    let mut p = Parser::new();
    let mut out = Vec::new();
    let mut at = 0;
    let mut pushes = 0usize;
    while at < stream.len() {
        let n = chunks.next().unwrap().min(stream.len() - at);
        let mut input = &stream[at..at + n];
        at += n;
        loop {
            let len = input.len();
            // Empty pushes are bounded by the chunk list; the others each use a byte.
            pushes += usize::from(len > 0);
            assert!(pushes <= stream.len(), "parser makes no progress");
            match p.push(input) {
                Err(e) => {
                    // Sticky, and reset recovers.
                    assert_eq!(p.push(b"more"), Err(e));
                    assert_eq!(p.push(&[]), Err(e));
                    p.reset();
                    let ok = Header { ty: MsgType::Read, req_id: 1, tx_id: 0, len: 1 }.encode();
                    assert!(p.push(&ok).unwrap().1.is_none());
                    let (used, m) = p.push(b"v").unwrap();
                    assert_eq!((used, m.map(|m| m.payload)), (1, Some(&b"v"[..])));
                    return (out, End::Error(e));
                }
                Ok((used, m)) => {
                    assert!(used <= len, "push used {used} of {len} bytes");
                    assert!(len == 0 || used >= 1, "push used nothing of {len} bytes");
                    if let Some(m) = m {
                        assert_eq!(m.payload.len(), m.header.len as usize);
                        assert!(m.payload.len() <= PAYLOAD_MAX);
                        let h = [m.header.ty.as_u32(), m.header.req_id, m.header.tx_id, m.header.len];
                        assert_eq!(Header::decode(&m.header.encode()), Ok(m.header));
                        check_payload_helpers(m.header.ty, m.payload);
                        match m.result() {
                            Ok(pl) => assert!(m.header.ty != MsgType::Error && pl == m.payload),
                            Err(_) => assert_eq!(m.header.ty, MsgType::Error),
                        }
                        out.push((h, m.payload.to_vec()));
                        assert!(p.is_idle());
                    }
                    input = &input[used..];
                    if input.is_empty() {
                        break;
                    }
                }
            }
        }
    }
    let end = if p.is_idle() { End::Clean } else { End::Partial };
    (out, end)
}

/// The same with `Parser::feed`, chunk by chunk.
fn by_feed(stream: &[u8], chunks: &mut dyn Iterator<Item = usize>) -> (Vec<Msg>, End) {
    let mut p = Parser::new();
    let mut out = Vec::new();
    let mut at = 0;
    while at < stream.len() {
        let n = chunks.next().unwrap().min(stream.len() - at);
        let r = p.feed(&stream[at..at + n], |m| {
            out.push(([m.header.ty.as_u32(), m.header.req_id, m.header.tx_id, m.header.len], m.payload.to_vec()))
        });
        at += n;
        if let Err(e) = r {
            return (out, End::Error(e));
        }
    }
    (out, if p.is_idle() { End::Clean } else { End::Partial })
}

fuzz_target!(|data: &[u8]| {
    let Some((&k, rest)) = data.split_first() else {
        return;
    };
    let k = usize::from(k % 16).min(rest.len());
    let (sizes, stream) = rest.split_at(k);
    let mut sizes: Vec<usize> =
        sizes.iter().map(|&b| if b >= 192 { usize::from(b - 191) * 97 } else { usize::from(b % 64) }).collect();
    if sizes.iter().all(|&n| n == 0) {
        sizes.push(7);
    }
    let want = model(stream);
    let whole = stream.len().max(1);
    let runs: [(&str, (Vec<Msg>, End)); 5] = [
        ("whole", by_push(stream, &mut std::iter::repeat(whole))),
        ("bytewise", by_push(stream, &mut std::iter::repeat(1))),
        ("chunks", by_push(stream, &mut sizes.iter().copied().cycle())),
        ("feed whole", by_feed(stream, &mut std::iter::repeat(whole))),
        ("feed chunks", by_feed(stream, &mut sizes.iter().copied().cycle())),
    ];
    for (name, got) in &runs {
        assert_eq!(got.0.len(), want.0.len(), "{name}: message count");
        assert!(got.0 == want.0, "{name}: messages differ from the model");
        assert_eq!(got.1, want.1, "{name}: end of stream");
    }
});
