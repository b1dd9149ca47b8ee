//! The xenstore client: requests over the shared ring that Xen set up for
//! us (HVM_PARAM_STORE_PFN / STORE_EVTCHN), framed by the xs-wire crate.
//!
//! One request at a time (a lock), each with its own request id. The reply
//! is reassembled from the response ring, however it is split across the
//! wrap; watch events arriving meanwhile are queued (at most
//! [`MAX_QUEUED_WATCH_EVENTS`]; beyond that they are counted as dropped) for
//! [`next_watch_event`]. Every wait is bounded: a silent xenstored gives a
//! Timeout error, never a hang. The other side of the ring is
//! untrusted: xen-ring bounds every index, xs-wire every length.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use spin::Mutex;
use xen_abi::hvm::{HVM_PARAM_STORE_EVTCHN, HVM_PARAM_STORE_PFN};
use xen_abi::xenstore::{XenstoreDomainInterface, XENSTORE_RING_SIZE};
use xen_abi::Port;
use xen_ring::{Consumer, Producer, RingError, RingMemory};
use xs_wire::{MsgType, Parser, Request, WireError, XsError, MESSAGE_MAX};

use super::ring::PageRing;
use super::{events, evtchn, time, wait};

type Ring = PageRing<{ XENSTORE_RING_SIZE as u32 }>;

/// How long one request may take, ring space and reply included.
const TIMEOUT_NS: u64 = 5_000_000_000;

#[derive(Debug)]
pub enum XsErrorKind {
    NotAvailable,
    /// xenstored answered with an error (ENOENT, EACCES, ...).
    Store(XsError),
    Wire(WireError),
    Ring(RingError),
    Timeout,
}

/// A failed request: which one, on which path, why.
#[derive(Debug)]
pub struct XsClientError {
    pub op: &'static str,
    pub path: String,
    pub kind: XsErrorKind,
}

impl XsClientError {
    pub fn is_enoent(&self) -> bool {
        matches!(self.kind, XsErrorKind::Store(XsError::ENOENT))
    }
}

impl fmt::Display for XsClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Subject first; the path may come from xenstored (a watch event): echoed.
        write!(f, "xenstore {}: {}: ", echo::echo(&self.path).bare().max(200), self.op)?;
        match &self.kind {
            XsErrorKind::NotAvailable => write!(f, "no xenstore ring (HVM_PARAM_STORE_PFN is 0)"),
            XsErrorKind::Store(e) => write!(f, "{e}"),
            XsErrorKind::Wire(e) => write!(f, "{e}"),
            XsErrorKind::Ring(e) => write!(f, "{e}"),
            XsErrorKind::Timeout => write!(f, "no reply within {} s", TIMEOUT_NS / 1_000_000_000),
        }
    }
}

pub const MAX_QUEUED_WATCH_EVENTS: usize = 64;

struct Client {
    req: Ring,
    rsp: Ring,
    producer: Producer,
    consumer: Consumer,
    port: Port,
    parser: Parser,
    next_id: u32,
    /// (path, token) of watch events not yet taken.
    watch_events: VecDeque<(String, String)>,
    /// Bytes read off the ring after the last reply, not yet parsed.
    leftover: Vec<u8>,
}

static CLIENT: Mutex<Option<Client>> = Mutex::new(None);
static STORE_EVENTS: AtomicU64 = AtomicU64::new(0);
static WATCH_EVENTS_DROPPED: AtomicU64 = AtomicU64::new(0);
/// Watch events queued (the length of `Client::watch_events`, readable
/// without the lock).
static QUEUED: AtomicUsize = AtomicUsize::new(0);
/// STORE_EVENTS as it was when [`next_watch_event`] last read the ring dry.
static DRAINED_AT: AtomicU64 = AtomicU64::new(0);
/// Requests sent, ever.
static REQUESTS: AtomicU64 = AtomicU64::new(0);

fn on_store_event(_: Port) {
    STORE_EVENTS.fetch_add(1, Ordering::Release);
}

/// Connects to the ring Xen prepared. False when there is none (a PVH dom0).
pub fn init() -> bool {
    let pfn = super::hvm::get_param(HVM_PARAM_STORE_PFN).unwrap_or(0);
    let port = super::hvm::get_param(HVM_PARAM_STORE_EVTCHN).ok().and_then(|p| Port::new(p as u32).ok());
    let (Some(port), true) = (port, pfn != 0 && pfn < crate::arch::paging::mapped_limit() >> 12) else {
        return false;
    };
    let page = (pfn << 12) as usize;
    use core::mem::offset_of;
    type I = XenstoreDomainInterface;
    // SAFETY: Xen gave us this page for the xenstore ring; it is identity
    // mapped (checked above) and the offsets are xenstore_domain_interface's
    // (checked against the real headers by xen-abi's tests).
    let (req, rsp) = unsafe {
        (
            Ring::new(page, offset_of!(I, req), offset_of!(I, req_prod), offset_of!(I, req_cons)),
            Ring::new(page, offset_of!(I, rsp), offset_of!(I, rsp_prod), offset_of!(I, rsp_cons)),
        )
    };
    let producer = Producer::new(req.load_prod(Ordering::Acquire));
    let consumer = Consumer::new(rsp.load_cons(Ordering::Acquire));
    *CLIENT.lock() = Some(Client {
        req,
        rsp,
        producer,
        consumer,
        port,
        parser: Parser::new(),
        next_id: 1,
        watch_events: VecDeque::new(),
        leftover: Vec::new(),
    });
    events::bind_handler(port, on_store_event);
    true
}

/// After a resume in a new domain: xenstored reset the ring (indices 0,
/// watches and transactions of the old connection gone: xenstored_domain.c
/// `domain_conn_reset`) and the store port is new. Connects afresh from the
/// HVM params, dropping bytes and watch events of the old connection; the
/// caller registers its watches again. (Minimal, by the lifecycle helper;
/// the rewritten client provides its own `reconnect()`.)
pub fn reconnect() -> bool {
    init()
}

impl Client {
    fn transact(&mut self, msg: &[u8], req_id: u32, out: &mut Vec<u8>) -> Result<MsgType, XsErrorKind> {
        let deadline = time::system_time_ns() + TIMEOUT_NS;
        let mut sent = 0;
        while sent < msg.len() {
            let seen = STORE_EVENTS.load(Ordering::Acquire);
            let n = self.producer.write(&mut self.req, &msg[sent..]).map_err(XsErrorKind::Ring)?;
            sent += n;
            // Release in producer.write orders the bytes before req_prod;
            // the notify tells xenstored to look.
            let _ = evtchn::send(self.port);
            if n == 0 && !self.wait(seen, deadline) {
                return Err(XsErrorKind::Timeout);
            }
        }
        self.receive(req_id, out, Some(deadline))
    }

    /// Reads the response ring: queues watch events, returns the reply to
    /// `req_id` (its payload appended to `out`). Without a deadline it
    /// returns Timeout as soon as the ring is empty, or after one ring's
    /// worth of reads: a xenstored that never stops talking cannot keep us
    /// here, with or without a deadline.
    fn receive(&mut self, req_id: u32, out: &mut Vec<u8>, deadline: Option<u64>) -> Result<MsgType, XsErrorKind> {
        let mut buf = [0u8; 256];
        let mut pending = core::mem::take(&mut self.leftover);
        let mut reads_left = XENSTORE_RING_SIZE / buf.len();
        loop {
            let seen = STORE_EVENTS.load(Ordering::Acquire);
            let expired = match deadline {
                Some(d) => time::system_time_ns() >= d,
                None => reads_left == 0,
            };
            if expired {
                self.leftover.extend_from_slice(&pending);
                return Err(XsErrorKind::Timeout);
            }
            reads_left = reads_left.saturating_sub(1);
            let n = if pending.is_empty() {
                let n = self.consumer.read(&mut self.rsp, &mut buf).map_err(XsErrorKind::Ring)?;
                if n > 0 {
                    // Tell xenstored there is room again (it may be waiting).
                    let _ = evtchn::send(self.port);
                }
                n
            } else {
                // Bytes that followed the previous reply come first.
                let n = pending.len().min(buf.len());
                buf[..n].copy_from_slice(&pending[..n]);
                pending.drain(..n);
                n
            };
            let mut input = &buf[..n];
            while !input.is_empty() {
                let (used, message) = self.parser.push(input).map_err(XsErrorKind::Wire)?;
                input = &input[used..];
                let Some(m) = message else { continue };
                if m.header.ty == MsgType::WatchEvent {
                    match xs_wire::parse_watch_event(m.payload) {
                        Ok(ev) if self.watch_events.len() < MAX_QUEUED_WATCH_EVENTS => {
                            let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
                            self.watch_events.push_back((text(ev.path), text(ev.token)));
                            QUEUED.store(self.watch_events.len(), Ordering::Release);
                        }
                        _ => {
                            WATCH_EVENTS_DROPPED.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                } else if m.header.req_id == req_id {
                    out.extend_from_slice(m.payload);
                    let ty = m.header.ty;
                    // Whatever followed the reply (a watch event, say) is
                    // kept for the next call, in stream order.
                    self.leftover.extend_from_slice(input);
                    self.leftover.extend_from_slice(&pending);
                    return Ok(ty);
                }
            }
            if n == 0 && !deadline.is_some_and(|d| self.wait(seen, d)) {
                return Err(XsErrorKind::Timeout);
            }
        }
    }

    /// Reads and queues whatever unsolicited messages (watch events) the
    /// response ring holds, without waiting.
    fn drain_events(&mut self) -> Result<(), XsErrorKind> {
        let mut none = Vec::new();
        // req_id 0 is never used by a request (ids start at 1 and skip 0).
        match self.receive(0, &mut none, None) {
            Ok(_) | Err(XsErrorKind::Timeout) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Waits for an event on the store port after `seen`, until `deadline`.
    fn wait(&self, seen: u64, deadline: u64) -> bool {
        let now = time::system_time_ns();
        if now >= deadline {
            return false;
        }
        // A short slice: a notification can race with our check of the
        // ring, so look at the ring again at least every 10 ms.
        let slice = (deadline - now).min(10_000_000);
        let _ = wait::wait_until(Some(slice), || STORE_EVENTS.load(Ordering::Acquire) != seen);
        true
    }
}

fn request(op: &'static str, path: &str, req: Request<'_>) -> Result<Vec<u8>, XsClientError> {
    let err = |kind| XsClientError { op, path: String::from(path), kind };
    let mut guard = CLIENT.lock();
    let client = guard.as_mut().ok_or_else(|| err(XsErrorKind::NotAvailable))?;
    REQUESTS.fetch_add(1, Ordering::Relaxed);
    let req_id = client.next_id;
    client.next_id = client.next_id.wrapping_add(1).max(1);
    let mut msg = alloc::vec![0u8; MESSAGE_MAX];
    let len = req.encode_into(req_id, 0, &mut msg).map_err(|e| err(XsErrorKind::Wire(e)))?;
    let mut out = Vec::new();
    match client.transact(&msg[..len], req_id, &mut out) {
        Ok(MsgType::Error) => Err(err(XsErrorKind::Store(XsError::from_payload(&out)))),
        Ok(_) => Ok(out),
        Err(kind) => {
            // The stream may now be out of step: start afresh next time.
            client.parser.reset();
            Err(err(kind))
        }
    }
}

pub fn read(path: &str) -> Result<String, XsClientError> {
    let v = request("READ", path, Request::Read { path })?;
    Ok(String::from_utf8_lossy(xs_wire::trim_nul(&v)).into_owned())
}

pub fn write(path: &str, value: &str) -> Result<(), XsClientError> {
    request("WRITE", path, Request::Write { path, value: value.as_bytes() }).map(|_| ())
}

pub fn mkdir(path: &str) -> Result<(), XsClientError> {
    request("MKDIR", path, Request::Mkdir { path }).map(|_| ())
}

pub fn rm(path: &str) -> Result<(), XsClientError> {
    request("RM", path, Request::Rm { path }).map(|_| ())
}

pub fn directory(path: &str) -> Result<Vec<String>, XsClientError> {
    let v = request("DIRECTORY", path, Request::Directory { path })?;
    Ok(xs_wire::split_directory(&v).map(|s| String::from_utf8_lossy(s).into_owned()).collect())
}

pub fn watch(path: &str, token: &str) -> Result<(), XsClientError> {
    request("WATCH", path, Request::Watch { path, token }).map(|_| ())
}

pub fn unwatch(path: &str, token: &str) -> Result<(), XsClientError> {
    request("UNWATCH", path, Request::Unwatch { path, token }).map(|_| ())
}

/// The oldest queued watch event (path, token), waiting up to `timeout_ns`
/// for one to arrive.
pub fn next_watch_event(timeout_ns: u64) -> Result<Option<(String, String)>, XsClientError> {
    let deadline = time::system_time_ns().saturating_add(timeout_ns);
    loop {
        let seen = STORE_EVENTS.load(Ordering::Acquire);
        {
            let mut guard = CLIENT.lock();
            let client = guard.as_mut().ok_or_else(|| XsClientError {
                op: "WATCH_EVENT",
                path: String::new(),
                kind: XsErrorKind::NotAvailable,
            })?;
            // Take whatever the ring holds now (events only: no request is
            // in flight while we hold the lock).
            client.drain_events().map_err(|kind| XsClientError { op: "WATCH_EVENT", path: String::new(), kind })?;
            DRAINED_AT.store(seen, Ordering::Release);
            let ev = client.watch_events.pop_front();
            QUEUED.store(client.watch_events.len(), Ordering::Release);
            if ev.is_some() {
                return Ok(ev);
            }
            if !client.wait(seen, deadline) {
                return Ok(None);
            }
        }
    }
}

/// Watch events dropped because the queue was full or malformed.
pub fn watch_events_dropped() -> u64 {
    WATCH_EVENTS_DROPPED.load(Ordering::Relaxed)
}

/// Whether [`next_watch_event`] may have something: an event is queued, or
/// the store port fired since it last read the ring dry (a reply of ours
/// fires it too, so this can be true with nothing new; it is never false
/// with an event waiting). Lock-free and cheap: a main loop's wait
/// condition (interrupts off) calls it.
pub fn watch_event_pending() -> bool {
    QUEUED.load(Ordering::Acquire) > 0 || STORE_EVENTS.load(Ordering::Acquire) != DRAINED_AT.load(Ordering::Acquire)
}

/// Requests sent since boot (each one xenstore round trip): how an idle
/// guest proves it stays off xenstore.
pub fn requests() -> u64 {
    REQUESTS.load(Ordering::Relaxed)
}
