//! A fake xenstored for the host tests: [`Xenstored`] is the store itself
//! (nodes, watches, transactions, replies into an outbox); [`Fake`] plays it
//! on the far side of a fake `xenstore_domain_interface` ring pair, stepping
//! whenever the client waits, on a fake clock.
#![allow(dead_code)] // each test file uses its own part

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;
use std::sync::atomic::Ordering;

use xen_ring::{ArrayRing, Consumer, Producer, RingMemory};
use xs_client::{Client, Doorbell, Limits, RingTransport};
use xs_wire::{Header, MsgType, Parser};

pub const RING: usize = 1024;

/// The store: requests in (any chunks), messages out (into `outbox`).
pub struct Xenstored {
    parser: Box<Parser>,
    pub nodes: BTreeMap<String, Vec<u8>>,
    pub watches: Vec<(String, String)>,
    /// Every request received, whole: (header, payload).
    pub seen: Vec<(Header, Vec<u8>)>,
    /// The answer sent to each request id: (type, payload).
    pub replies: BTreeMap<u32, (MsgType, Vec<u8>)>,
    /// A request that broke the wire format (C xenstored would ignore the
    /// connection from then on).
    pub protocol_error: Option<String>,
    pub outbox: VecDeque<u8>,
    /// Answer the next TRANSACTION_END with EAGAIN.
    pub eagain_once: bool,
    /// Answers (type, payload) for the next requests, instead of the store's.
    pub answers: VecDeque<(MsgType, Vec<u8>)>,
    next_tx: u32,
}

impl Default for Xenstored {
    fn default() -> Self {
        Xenstored::new()
    }
}

impl Xenstored {
    pub fn new() -> Self {
        Xenstored {
            parser: Box::new(Parser::new()),
            nodes: BTreeMap::new(),
            watches: Vec::new(),
            seen: Vec::new(),
            replies: BTreeMap::new(),
            protocol_error: None,
            outbox: VecDeque::new(),
            eagain_once: false,
            answers: VecDeque::new(),
            next_tx: 40,
        }
    }

    /// Bytes from the client's request ring.
    pub fn input(&mut self, bytes: &[u8]) {
        if self.protocol_error.is_some() {
            return;
        }
        let mut got = Vec::new();
        if let Err(e) = self.parser.feed(bytes, |m| got.push((m.header, m.payload.to_vec()))) {
            self.protocol_error = Some(e.to_string());
        }
        for (h, p) in got {
            self.seen.push((h, p.clone()));
            self.handle(h, &p);
        }
    }

    /// Queues a message the client did not ask for (or asked for long ago).
    pub fn send(&mut self, ty: MsgType, req_id: u32, payload: &[u8]) {
        if ty != MsgType::WatchEvent {
            self.replies.insert(req_id, (ty, payload.to_vec()));
        }
        self.outbox.extend(Header::message(ty, req_id, payload));
    }

    pub fn event(&mut self, path: &str, token: &str) {
        self.send(MsgType::WatchEvent, 0, format!("{path}\0{token}\0").as_bytes());
    }

    fn exists(&self, path: &str) -> bool {
        let prefix = format!("{path}/");
        self.nodes.contains_key(path) || self.nodes.keys().any(|k| k.starts_with(&prefix))
    }

    fn fire(&mut self, path: &str) {
        let hits: Vec<(String, String)> =
            self.watches.iter().filter(|(w, _)| path == w || path.starts_with(&format!("{w}/"))).cloned().collect();
        for (_, token) in hits {
            self.event(path, &token);
        }
    }

    fn handle(&mut self, h: Header, payload: &[u8]) {
        let nul = payload.iter().position(|&b| b == 0).unwrap_or(payload.len());
        let path = String::from_utf8_lossy(&payload[..nul]).into_owned();
        let rest = payload.get(nul + 1..).unwrap_or(&[]);
        let id = h.req_id;
        if let Some((ty, p)) = self.answers.pop_front() {
            return self.send(ty, id, &p);
        }
        match h.ty {
            MsgType::Read => match self.nodes.get(&path) {
                Some(v) => {
                    let v = v.clone();
                    self.send(MsgType::Read, id, &v)
                }
                None if self.exists(&path) => self.send(MsgType::Read, id, b""),
                None => self.send(MsgType::Error, id, b"ENOENT\0"),
            },
            MsgType::Write => {
                self.nodes.insert(path.clone(), rest.to_vec());
                self.send(MsgType::Write, id, b"OK\0");
                self.fire(&path);
            }
            MsgType::Mkdir => {
                if !self.exists(&path) {
                    self.nodes.insert(path.clone(), Vec::new());
                }
                self.send(MsgType::Mkdir, id, b"OK\0");
            }
            MsgType::Rm => {
                if !self.exists(&path) {
                    return self.send(MsgType::Error, id, b"ENOENT\0");
                }
                let prefix = format!("{path}/");
                self.nodes.retain(|k, _| *k != path && !k.starts_with(&prefix));
                self.send(MsgType::Rm, id, b"OK\0");
                self.fire(&path);
            }
            MsgType::Directory if self.exists(&path) => {
                let prefix = format!("{path}/");
                let mut names: Vec<String> = self
                    .nodes
                    .keys()
                    .filter_map(|k| k.strip_prefix(&prefix))
                    .map(|r| r.split('/').next().unwrap_or(r).to_string())
                    .collect();
                names.dedup();
                let p: Vec<u8> = names.iter().flat_map(|n| n.bytes().chain([0])).collect();
                self.send(MsgType::Directory, id, &p);
            }
            MsgType::Directory => self.send(MsgType::Error, id, b"ENOENT\0"),
            MsgType::Watch => {
                let token = String::from_utf8_lossy(xs_wire::trim_nul(rest)).into_owned();
                self.watches.push((path.clone(), token.clone()));
                self.send(MsgType::Watch, id, b"OK\0");
                // Fired once on registration, as C xenstored does.
                self.event(&path, &token);
            }
            MsgType::Unwatch => {
                let token = String::from_utf8_lossy(xs_wire::trim_nul(rest)).into_owned();
                let before = self.watches.len();
                self.watches.retain(|w| *w != (path.clone(), token.clone()));
                if self.watches.len() == before {
                    self.send(MsgType::Error, id, b"ENOENT\0");
                } else {
                    self.send(MsgType::Unwatch, id, b"OK\0");
                }
            }
            MsgType::TransactionStart => {
                self.next_tx += 1;
                let t = format!("{}\0", self.next_tx);
                self.send(MsgType::TransactionStart, id, t.as_bytes());
            }
            MsgType::TransactionEnd if self.eagain_once => {
                self.eagain_once = false;
                self.send(MsgType::Error, id, b"EAGAIN\0");
            }
            MsgType::TransactionEnd => self.send(MsgType::TransactionEnd, id, b"OK\0"),
            _ => self.send(MsgType::Error, id, b"EINVAL\0"),
        }
    }

    /// The requests seen, as "Type path" with the id, for assertions.
    pub fn log(&self) -> Vec<(MsgType, u32, u32, Vec<u8>)> {
        self.seen.iter().map(|(h, p)| (h.ty, h.req_id, h.tx_id, p.clone())).collect()
    }
}

/// The fake shared page: the two rings of `xenstore_domain_interface`.
pub struct Page {
    pub req: ArrayRing<RING>,
    pub rsp: ArrayRing<RING>,
}

/// One ring of the shared page, as the client's `RingMemory`.
pub struct Half {
    page: Rc<RefCell<Page>>,
    rsp: bool,
}

impl Half {
    fn ring<R>(&self, f: impl FnOnce(&ArrayRing<RING>) -> R) -> R {
        let p = self.page.borrow();
        f(if self.rsp { &p.rsp } else { &p.req })
    }

    fn ring_mut<R>(&mut self, f: impl FnOnce(&mut ArrayRing<RING>) -> R) -> R {
        let mut p = self.page.borrow_mut();
        f(if self.rsp { &mut p.rsp } else { &mut p.req })
    }
}

impl RingMemory for Half {
    const SIZE: u32 = RING as u32;

    fn read_byte(&self, index: usize) -> u8 {
        self.ring(|r| r.read_byte(index))
    }

    fn write_byte(&mut self, index: usize, byte: u8) {
        self.ring_mut(|r| r.write_byte(index, byte))
    }

    fn load_prod(&self, o: Ordering) -> u32 {
        self.ring(|r| r.load_prod(o))
    }

    fn load_cons(&self, o: Ordering) -> u32 {
        self.ring(|r| r.load_cons(o))
    }

    fn store_prod(&mut self, v: u32, o: Ordering) {
        self.ring_mut(|r| r.store_prod(v, o))
    }

    fn store_cons(&mut self, v: u32, o: Ordering) {
        self.ring_mut(|r| r.store_cons(v, o))
    }
}

/// xenstored's side of the ring pair, stepped by the client's waits.
pub struct Fake {
    pub store: Xenstored,
    page: Rc<RefCell<Page>>,
    consumer: Consumer,
    producer: Producer,
    /// Neither reads requests nor sends (SIGSTOPped).
    pub stalled: bool,
    /// Reads and handles requests but sends nothing (a slow store).
    pub holding: bool,
    /// Sends what it has queued but reads no requests (a hostile store that
    /// answers before reading).
    pub deaf: bool,
    /// Request bytes taken per step.
    pub req_chunk: usize,
    /// Reply bytes put in the ring per step, unless `splits` says otherwise.
    pub rsp_chunk: usize,
    /// Per-step reply byte counts, used first.
    pub splits: VecDeque<usize>,
    pub now: u64,
    /// Clock advance per step.
    pub step_ns: u64,
    pub notified: u64,
    pub events: u64,
}

impl Fake {
    fn step(&mut self) {
        if self.stalled {
            return;
        }
        let mut buf = vec![0u8; if self.deaf { 0 } else { self.req_chunk.max(1) }];
        let n = {
            let mut page = self.page.borrow_mut();
            self.consumer.read(&mut page.req, &mut buf).expect("our own client corrupted req")
        };
        self.store.input(&buf[..n]);
        if self.holding {
            self.events += u64::from(n > 0);
            return;
        }
        let want = self.splits.pop_front().unwrap_or(self.rsp_chunk).min(self.store.outbox.len());
        let out: Vec<u8> = self.store.outbox.iter().take(want).copied().collect();
        let m = {
            let mut page = self.page.borrow_mut();
            self.producer.write(&mut page.rsp, &out).expect("our own client corrupted rsp")
        };
        self.store.outbox.drain(..m);
        if n > 0 || m > 0 {
            self.events += 1;
        }
    }

    pub fn page(&self) -> std::cell::RefMut<'_, Page> {
        self.page.borrow_mut()
    }
}

/// The client's doorbell: notifying and waiting step the fake store.
pub struct Bell(pub Rc<RefCell<Fake>>);

impl Doorbell for Bell {
    fn notify(&mut self) {
        self.0.borrow_mut().notified += 1;
    }

    fn events(&self) -> u64 {
        self.0.borrow().events
    }

    fn wait(&mut self, seen: u64, deadline_ns: u64) {
        let mut f = self.0.borrow_mut();
        if f.events != seen {
            return;
        }
        f.step();
        // Time passes; a store that cannot move lets the deadline come.
        let progressed = f.events != seen;
        f.now = if progressed { (f.now + f.step_ns).min(deadline_ns.max(f.now)) } else { deadline_ns.max(f.now) };
    }

    fn now_ns(&self) -> u64 {
        self.0.borrow().now
    }
}

pub type FakeClient = Client<RingTransport<Half, Bell>>;

/// A client and its fake xenstored, the ring counters starting at
/// `req_start` / `rsp_start`.
pub fn pair_at(req_start: u32, rsp_start: u32) -> (FakeClient, Rc<RefCell<Fake>>) {
    let page = Rc::new(RefCell::new(Page { req: ArrayRing::new(req_start), rsp: ArrayRing::new(rsp_start) }));
    let fake = Rc::new(RefCell::new(Fake {
        store: Xenstored::new(),
        page: page.clone(),
        consumer: Consumer::new(req_start),
        producer: Producer::new(rsp_start),
        stalled: false,
        holding: false,
        deaf: false,
        req_chunk: RING,
        rsp_chunk: RING,
        splits: VecDeque::new(),
        now: 1_000,
        step_ns: 1_000_000,
        notified: 0,
        events: 0,
    }));
    let t = RingTransport::new(Half { page: page.clone(), rsp: false }, Half { page, rsp: true }, Bell(fake.clone()));
    (Client::with_limits(t, Limits { timeout_ns: 5_000_000_000, max_watch_events: 8 }), fake)
}

pub fn pair() -> (FakeClient, Rc<RefCell<Fake>>) {
    pair_at(0, 0)
}
