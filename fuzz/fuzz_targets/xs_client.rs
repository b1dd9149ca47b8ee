//! Fuzz target `xs_client`: the xs-client engine (`xs_client::Client`, the
//! one the kernel and the dom0 tool use) against a hostile xenstored behind
//! its `Transport`.
//!
//! Input: a script of decisions (`Src`). The client runs up to 24 operations
//! (read, write, directory, watch, transaction start/end, take a watch
//! event, with fuzz-chosen paths and values, some unencodable). The
//! transport, at every call: accepts any prefix of a write (or none), and
//! for a read delivers any number of queued bytes after queuing what the
//! fuzzer chose: a reply (any type, to the request being written or
//! answered, an older one or a random id, any payload up to 4096 bytes), a
//! watch event (well-formed or not), an `XS_ERROR` with a known or odd
//! name, raw garbage, a header with an unknown type or an oversized length.
//! It may also fail (a transport error). Its clock moves 50 us per look, so
//! every 5 ms deadline comes.
//!
//! Invariants checked:
//! - no panic, no out-of-bounds access (Rust's checks), no endless loop:
//!   at most 400 transport calls per operation (the clock bounds it);
//! - the bytes written are whole, well-formed requests, one after the
//!   other, each an operation the client was asked for, in order, none twice
//!   (no second message spliced into a half-written first);
//! - request ids are never 0 and differ from every id still remembered;
//! - an `Ok` read returns the payload of a `Read`-type message the peer sent
//!   with that very request's id; a watch event taken was sent as one;
//! - once the peer broke the wire format or the transport failed, nothing
//!   more is written and every request fails.
#![no_main]

use std::cell::Cell;
use std::collections::VecDeque;

use libfuzzer_sys::fuzz_target;
use xenbell_fuzz::Src;
use xs_client::{Client, Error, Limits, Transport, Tx};
use xs_wire::{Header, MsgType, Parser, Request, PAYLOAD_MAX};

struct Hostile<'a> {
    s: &'a Src<'a>,
    now: Cell<u64>,
    calls: Cell<u32>,
    /// Everything the client wrote.
    written: Vec<u8>,
    parser: Box<Parser>,
    /// Complete requests written: (header, payload).
    requests: Vec<(Header, Vec<u8>)>,
    queue: VecDeque<u8>,
    /// Well-formed messages queued: (type, req_id, payload).
    sent: Vec<(MsgType, u32, Vec<u8>)>,
    /// The peer sent bytes that are not well-formed messages.
    garbled: bool,
    failed: bool,
}

impl Hostile<'_> {
    fn tick(&self) {
        self.now.set(self.now.get() + 50_000);
        self.calls.set(self.calls.get() + 1);
    }

    /// How many requests have started: written whole, or in part (any byte).
    fn started(&self) -> usize {
        let done: usize = self.requests.iter().map(|(h, _)| 16 + h.len as usize).sum();
        self.requests.len() + usize::from(self.written.len() > done)
    }

    /// The ids of the requests started whose header went out whole, in order.
    fn started_ids(&self) -> Vec<u32> {
        let done: usize = self.requests.iter().map(|(h, _)| 16 + h.len as usize).sum();
        let partial = self.written.get(done..done + 16).and_then(|b| Header::decode(b.try_into().ok()?).ok());
        self.requests.iter().map(|(h, _)| h.req_id).chain(partial.map(|h| h.req_id)).collect()
    }

    /// The header of the last request started (written whole or in part).
    fn current_header(&self) -> Option<Header> {
        let done: usize = self.requests.iter().map(|(h, _)| 16 + h.len as usize).sum();
        let start = if done < self.written.len() {
            done
        } else {
            done - self.requests.last().map_or(0, |(h, _)| 16 + h.len as usize)
        };
        let bytes: &[u8; 16] = self.written.get(start..start + 16)?.try_into().ok()?;
        Header::decode(bytes).ok()
    }

    fn queue_message(&mut self, ty: MsgType, id: u32, payload: &[u8]) {
        self.queue.extend(Header::message(ty, id, payload));
        self.sent.push((ty, id, payload.to_vec()));
    }

    fn act(&mut self) {
        let s = self.s;
        let last_id = self.current_header().map_or(1, |h| h.req_id);
        for _ in 0..s.below(3) {
            match s.u8() % 10 {
                0..=3 => {
                    let id = match s.u8() % 4 {
                        0 => last_id.wrapping_sub(s.below(3)),
                        1 => s.u32(),
                        _ => last_id,
                    };
                    let ty = match s.u8() % 5 {
                        0 => MsgType::ALL[s.below(MsgType::ALL.len() as u32) as usize],
                        1 => MsgType::Directory,
                        2 => MsgType::Write,
                        _ => MsgType::Read,
                    };
                    let n = if s.u8() % 16 == 0 { PAYLOAD_MAX - s.below(4) as usize } else { s.below(40) as usize };
                    let mut payload = s.bytes(n).to_vec();
                    payload.resize(n, b'v');
                    if ty == MsgType::WatchEvent && xs_wire::parse_watch_event(&payload).is_ok() {
                        // Counted as a watch event below, not as a reply.
                        payload.clear();
                    }
                    self.queue_message(ty, id, &payload);
                }
                4 => {
                    let names: [&[u8]; 4] = [b"ENOENT\0", b"EAGAIN\0", b"E\xff", b""];
                    self.queue_message(MsgType::Error, last_id, names[s.below(4) as usize]);
                }
                5 => self.queue_message(MsgType::WatchEvent, 0, b"/local/domain/1/x\0tok\0"),
                6 => self.queue_message(MsgType::WatchEvent, s.u32(), s.bytes(8)),
                7 => {
                    self.garbled = true;
                    self.queue.extend(s.bytes(s.below(40) as usize));
                }
                8 => {
                    self.garbled = true;
                    let mut h = Header::message(MsgType::Read, last_id, b"");
                    if s.u8() % 2 == 0 {
                        h[..4].copy_from_slice(&[20u32, 23, 255, u32::MAX][s.below(4) as usize].to_le_bytes());
                    } else {
                        h[12..16].copy_from_slice(&(PAYLOAD_MAX as u32 + 1 + s.u32() % 100_000).to_le_bytes());
                    }
                    self.queue.extend(h);
                }
                _ => {}
            }
        }
    }
}

impl Transport for Hostile<'_> {
    type Error = &'static str;

    fn write(&mut self, bytes: &[u8]) -> Result<usize, &'static str> {
        self.tick();
        assert!(!self.failed && !bytes.is_empty(), "write after a failure, or of nothing");
        if self.s.u8() == 255 {
            self.failed = true;
            return Err("hostile write failure");
        }
        let n = match self.s.u8() % 4 {
            0 => 0,
            1 => bytes.len(),
            _ => (self.s.u16() as usize) % (bytes.len() + 1),
        };
        self.written.extend_from_slice(&bytes[..n]);
        let mut got = Vec::new();
        self.parser
            .feed(&bytes[..n], |m| got.push((m.header, m.payload.to_vec())))
            .expect("the client wrote a malformed request stream");
        self.requests.extend(got);
        Ok(n)
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize, &'static str> {
        self.tick();
        assert!(!self.failed, "read after a failure");
        if self.s.u8() == 255 {
            self.failed = true;
            return Err("hostile read failure");
        }
        self.act();
        let n = (self.s.u16() as usize % (buf.len() + 1)).min(self.queue.len());
        for (dst, src) in buf.iter_mut().zip(self.queue.drain(..n)) {
            *dst = src;
        }
        Ok(n)
    }

    fn wait(&mut self, deadline_ns: u64) {
        self.tick();
        if self.s.u8() % 4 == 0 {
            self.now.set(self.now.get().max(deadline_ns));
        }
    }

    fn now_ns(&self) -> u64 {
        self.tick();
        self.now.get()
    }
}

fuzz_target!(|data: &[u8]| {
    let s = Src::new(data);
    let t = Hostile {
        s: &s,
        now: Cell::new(0),
        calls: Cell::new(0),
        written: Vec::new(),
        parser: Box::new(Parser::new()),
        requests: Vec::new(),
        queue: VecDeque::new(),
        sent: Vec::new(),
        garbled: false,
        failed: false,
    };
    let mut c = Client::with_limits(t, Limits { timeout_ns: 5_000_000, max_watch_events: 1 + s.below(4) as usize });
    c.set_next_req_id(match s.u8() % 3 {
        0 => u32::MAX - s.below(3),
        1 => s.u32(),
        _ => 1,
    });
    // (type, payload) of each request the client was asked to send, in order.
    let mut asked: Vec<(MsgType, Vec<u8>)> = Vec::new();
    let paths = ["/local/domain/1/x", "data/a", "a\0b", ""];
    for _ in 0..24 {
        if s.is_empty() {
            break;
        }
        let path = paths[s.below(4) as usize];
        let value = s.bytes(s.below(64) as usize).to_vec();
        let big = vec![b'q'; if s.u8() % 8 == 0 { 4090 } else { 0 }];
        let tx = Tx(if s.u8() % 4 == 0 { s.u32() } else { 0 });
        let req = match s.u8() % 7 {
            0 => Request::Read { path },
            1 => Request::Write { path, value: if big.is_empty() { &value } else { &big } },
            2 => Request::Directory { path },
            3 => Request::Watch { path, token: "tok" },
            4 => Request::TransactionStart,
            5 => Request::TransactionEnd { commit: s.u8() % 2 == 0 },
            _ => {
                if let Some(ev) = c.take_watch_event() {
                    let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
                    let sent = |p: &[u8]| {
                        xs_wire::parse_watch_event(p)
                            .is_ok_and(|e| lossy(e.path) == ev.path && lossy(e.token) == ev.token)
                    };
                    assert!(
                        c.transport().sent.iter().any(|(ty, _, p)| *ty == MsgType::WatchEvent && sent(p)),
                        "a watch event nobody sent: {ev:?}"
                    );
                }
                continue;
            }
        };
        let was_broken = c.broken().is_some();
        let written_before = c.transport().written.len();
        // How many requests had started (a byte of them written) before this one.
        let started_before = c.transport().started();
        let calls_before = c.transport().calls.get();
        let result = c.request(tx, &req);
        let t = c.transport();
        assert!(t.calls.get() - calls_before <= 400, "an operation made {} calls", t.calls.get() - calls_before);
        if let Ok(bytes) = req.to_vec(1, tx.0) {
            asked.push((req.msg_type(), bytes[16..].to_vec()));
        }
        if was_broken {
            assert!(matches!(result, Err(Error::Broken(_))));
            assert_eq!(t.written.len(), written_before, "written after the connection broke");
        }
        if t.failed || (t.garbled && c.broken().is_some()) {
            assert!(c.broken().is_some() || result.is_err());
        }
        // (Garbage the peer sent may happen to parse as a well-formed reply:
        // only a peer that sent whole messages can be held to this.)
        if let (Ok(payload), MsgType::Read, false) = (&result, req.msg_type(), t.garbled) {
            // This request's id, from its header if that went out. A peer may
            // also answer a request before it has read a byte of it, guessing
            // the id: then the reply's id is at least none of the earlier
            // requests' (an earlier request's reply is never taken).
            let ids = t.started_ids();
            let id = ids.get(started_before).copied();
            let ok = |i: u32| match id {
                Some(id) => i == id,
                None => !ids.contains(&i),
            };
            assert!(
                t.sent.iter().any(|(ty, i, p)| *ty == MsgType::Read && ok(*i) && p == payload),
                "a read reply nobody sent for id {id:?} (requests started: {ids:?})"
            );
        }
    }
    // The requests written: whole (the parser never failed, see write),
    // ids never 0 and distinct, and a subsequence of those asked for.
    let t = c.transport();
    let mut ids: Vec<u32> = t.requests.iter().map(|(h, _)| h.req_id).collect();
    assert!(!ids.contains(&0), "request id 0");
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    // 24 requests cannot wrap the id space: distinct.
    assert_eq!(ids.len(), n, "a request id was reused");
    let mut it = asked.iter();
    for (h, p) in &t.requests {
        assert!(it.any(|(ty, q)| *ty == h.ty && q == p), "a request written that was not asked for, or twice");
    }
});
