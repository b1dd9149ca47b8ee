//! The request/reply engine.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use xs_wire::{Message, MsgType, Parser, Request, WireError, XsError};

use crate::Transport;

/// The bounds of a [`Client`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// How long one request may take, the flush of an earlier request's
    /// unsent tail, ring space and reply included, in ns.
    pub timeout_ns: u64,
    /// Watch events kept until taken; more are dropped (and counted).
    pub max_watch_events: usize,
}

impl Limits {
    /// 5 s per request, 64 queued watch events.
    pub const DEFAULT: Limits = Limits { timeout_ns: 5_000_000_000, max_watch_events: 64 };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// A transaction id (`xsd_sockmsg.tx_id`): [`Tx::NONE`] outside a
/// transaction, otherwise the id `XS_TRANSACTION_START` returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tx(pub u32);

impl Tx {
    /// No transaction (`tx_id` 0).
    pub const NONE: Tx = Tx(0);
}

/// A `WATCH_EVENT`: the path that changed and the token given to `watch`
/// (invalid UTF-8 replaced).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchEvent {
    pub path: String,
    pub token: String,
}

/// Requests remembered as given up on (their late replies are discarded
/// either way; the ids are not reused while remembered).
const MAX_ABANDONED: usize = 32;

/// Bytes per transport read.
const READ_CHUNK: usize = 512;

/// Passes a zero-timeout poll may make while bytes keep coming: bounds the
/// time a flooding xenstored can keep the caller (64 x 512 B, 32 ring sizes).
const MAX_EXTRA_PASSES: u32 = 64;

/// Why a request failed.
#[derive(Debug)]
pub enum Error<E> {
    /// xenstored answered `XS_ERROR` with this errno name.
    Store(XsError),
    /// The request cannot be encoded (a NUL in a path or token, a payload
    /// over 4096 bytes): nothing was sent.
    Encode(WireError),
    /// No reply within [`Limits::timeout_ns`]. The connection stays usable:
    /// a partly written request is finished before the next one, and the
    /// late reply is discarded.
    Timeout { timeout_ns: u64 },
    /// The reply stream broke the wire format. The connection is now broken.
    Wire(WireError),
    /// The transport failed. The connection is now broken.
    Transport(E),
    /// The connection broke earlier (the cause, as reported then); nothing
    /// was sent.
    Broken(String),
    /// A reply with our request id but another type than the request's.
    Unexpected(MsgType),
    /// A reply whose payload does not have the documented form.
    Malformed(&'static str),
}

impl<E> Error<E> {
    /// True for an `ENOENT` answer.
    pub fn is_enoent(&self) -> bool {
        matches!(self, Error::Store(XsError::ENOENT))
    }
}

impl<E: fmt::Display> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Store(e) => write!(f, "{e}"),
            Error::Encode(e) => write!(f, "{e}"),
            Error::Timeout { timeout_ns } => write!(f, "no reply within {} ms", timeout_ns / 1_000_000),
            Error::Wire(e) => write!(f, "{e}; connection to xenstored closed"),
            Error::Transport(e) => write!(f, "{e}; connection to xenstored closed"),
            Error::Broken(cause) => write!(f, "connection to xenstored closed after an earlier failure: {cause}"),
            Error::Unexpected(t) => write!(f, "reply of type {t:?}, not the request's"),
            Error::Malformed(what) => write!(f, "malformed reply: {what}"),
        }
    }
}

/// A xenstore client: one request at a time, over any [`Transport`].
///
/// - Request ids are never 0 and wrap; ids of requests given up on are
///   skipped while their replies may still come.
/// - A reply is the message with the request's `req_id`; watch events are
///   queued (at most [`Limits::max_watch_events`], the rest counted as
///   dropped), every other message (a late reply) is discarded and counted.
/// - A request that times out while being written keeps its unsent tail;
///   the tail is written before anything else, so xenstored only ever sees
///   whole messages, one after the other. The reply parser is never reset:
///   a timeout leaves the stream in step.
/// - A wire-format or transport error marks the connection broken; every
///   later request fails at once with [`Error::Broken`].
pub struct Client<T: Transport> {
    transport: T,
    parser: Box<Parser>,
    limits: Limits,
    next_id: u32,
    /// The request being written, whole, and how much of it is out.
    out: Vec<u8>,
    out_done: usize,
    /// The request id whose reply we wait for.
    awaiting: Option<u32>,
    reply: Option<(MsgType, Vec<u8>)>,
    abandoned: VecDeque<u32>,
    events: VecDeque<WatchEvent>,
    dropped: u64,
    late: u64,
    broken: Option<String>,
}

impl<T: Transport> Client<T> {
    /// A client with [`Limits::DEFAULT`].
    pub fn new(transport: T) -> Self {
        Client::with_limits(transport, Limits::DEFAULT)
    }

    pub fn with_limits(transport: T, limits: Limits) -> Self {
        Client {
            transport,
            parser: Box::new(Parser::new()),
            limits,
            next_id: 1,
            out: Vec::new(),
            out_done: 0,
            awaiting: None,
            reply: None,
            abandoned: VecDeque::new(),
            events: VecDeque::new(),
            dropped: 0,
            late: 0,
            broken: None,
        }
    }

    pub fn transport(&self) -> &T {
        &self.transport
    }

    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// New bounds, from the next request on (a shorter queue keeps what it holds).
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// Sends `req` in transaction `tx` and returns its reply's payload.
    ///
    /// Errors: [`Error::Store`] for an `XS_ERROR` answer, [`Error::Unexpected`]
    /// for a reply of another type, and the connection-level ones.
    pub fn request(&mut self, tx: Tx, req: &Request<'_>) -> Result<Vec<u8>, Error<T::Error>> {
        if let Some(cause) = &self.broken {
            return Err(Error::Broken(cause.clone()));
        }
        // Before anything moves: a request that cannot be encoded fails alone.
        req.payload_len().map_err(Error::Encode)?;
        let deadline = self.transport.now_ns().saturating_add(self.limits.timeout_ns);
        // An earlier request's tail goes first, whole.
        while !self.out.is_empty() {
            let moved = self.pass()?;
            if self.out.is_empty() {
                break;
            }
            if self.transport.now_ns() >= deadline {
                return Err(Error::Timeout { timeout_ns: self.limits.timeout_ns });
            }
            if !moved {
                self.transport.wait(deadline);
            }
        }
        let id = self.allocate_id();
        self.out = req.to_vec(id, tx.0).map_err(Error::Encode)?;
        self.out_done = 0;
        self.awaiting = Some(id);
        self.reply = None;
        loop {
            let moved = match self.pass() {
                Ok(moved) => moved,
                Err(e) => {
                    self.awaiting = None;
                    return Err(e);
                }
            };
            if let Some((ty, payload)) = self.reply.take() {
                // A reply before one byte of its request went out (a peer
                // guessing the id): the request is answered, send none of it.
                if self.out_done == 0 {
                    self.out.clear();
                }
                return match ty {
                    MsgType::Error => Err(Error::Store(XsError::from_payload(&payload))),
                    t if t == req.msg_type() => Ok(payload),
                    t => Err(Error::Unexpected(t)),
                };
            }
            if self.transport.now_ns() >= deadline {
                self.give_up(id);
                return Err(Error::Timeout { timeout_ns: self.limits.timeout_ns });
            }
            if !moved {
                self.transport.wait(deadline);
            }
        }
    }

    /// `XS_READ`: the value at `path` (no trailing NUL added).
    pub fn read(&mut self, tx: Tx, path: &str) -> Result<Vec<u8>, Error<T::Error>> {
        self.request(tx, &Request::Read { path })
    }

    /// `XS_WRITE`: sets `path` to `value` (raw bytes), creating parents.
    pub fn write(&mut self, tx: Tx, path: &str, value: &[u8]) -> Result<(), Error<T::Error>> {
        self.request(tx, &Request::Write { path, value }).map(drop)
    }

    /// `XS_MKDIR`: creates `path` (empty) if absent.
    pub fn mkdir(&mut self, tx: Tx, path: &str) -> Result<(), Error<T::Error>> {
        self.request(tx, &Request::Mkdir { path }).map(drop)
    }

    /// `XS_RM`: removes `path` and everything below it.
    pub fn rm(&mut self, tx: Tx, path: &str) -> Result<(), Error<T::Error>> {
        self.request(tx, &Request::Rm { path }).map(drop)
    }

    /// `XS_DIRECTORY`: the child names of `path` (invalid UTF-8 replaced).
    pub fn directory(&mut self, tx: Tx, path: &str) -> Result<Vec<String>, Error<T::Error>> {
        let payload = self.request(tx, &Request::Directory { path })?;
        Ok(xs_wire::split_directory(&payload).map(|s| String::from_utf8_lossy(s).into_owned()).collect())
    }

    /// `XS_WATCH`: xenstored then sends a watch event for `path` at once and
    /// on every change at or below it, with `token`.
    pub fn watch(&mut self, path: &str, token: &str) -> Result<(), Error<T::Error>> {
        self.request(Tx::NONE, &Request::Watch { path, token }).map(drop)
    }

    /// `XS_UNWATCH`: removes the watch set with the same `path` and `token`.
    pub fn unwatch(&mut self, path: &str, token: &str) -> Result<(), Error<T::Error>> {
        self.request(Tx::NONE, &Request::Unwatch { path, token }).map(drop)
    }

    /// `XS_GET_DOMAIN_PATH`: `/local/domain/<domid>`, as xenstored says.
    pub fn get_domain_path(&mut self, domid: u32) -> Result<String, Error<T::Error>> {
        let payload = self.request(Tx::NONE, &Request::GetDomainPath { domid })?;
        Ok(String::from_utf8_lossy(xs_wire::trim_nul(&payload)).into_owned())
    }

    /// `XS_TRANSACTION_START`: a new transaction; pass it to the requests
    /// that belong to it, then to [`Client::transaction_end`].
    pub fn transaction_start(&mut self) -> Result<Tx, Error<T::Error>> {
        let payload = self.request(Tx::NONE, &Request::TransactionStart)?;
        let text = core::str::from_utf8(xs_wire::trim_nul(&payload)).map_err(|_| Error::Malformed("tx id"))?;
        match text.parse::<u32>() {
            Ok(id) if id != 0 => Ok(Tx(id)),
            _ => Err(Error::Malformed("tx id")),
        }
    }

    /// `XS_TRANSACTION_END`: commits (`commit`) or aborts `tx`. A commit that
    /// raced with another writer fails with `Error::Store(XsError::EAGAIN)`:
    /// the caller runs the transaction again.
    pub fn transaction_end(&mut self, tx: Tx, commit: bool) -> Result<(), Error<T::Error>> {
        self.request(tx, &Request::TransactionEnd { commit }).map(drop)
    }

    /// Moves bytes without waiting: finishes writing an earlier request's
    /// tail as far as there is room, and reads (queuing watch events) until
    /// the transport has nothing more, within a bounded number of reads.
    pub fn poll(&mut self) -> Result<(), Error<T::Error>> {
        if let Some(cause) = &self.broken {
            return Err(Error::Broken(cause.clone()));
        }
        for _ in 0..MAX_EXTRA_PASSES {
            if !self.pass()? {
                break;
            }
        }
        Ok(())
    }

    /// The oldest queued watch event, without any I/O.
    pub fn take_watch_event(&mut self) -> Option<WatchEvent> {
        self.events.pop_front()
    }

    /// The oldest watch event, waiting up to `timeout_ns` for one (0: look
    /// at what the transport holds now, do not wait). `Ok(None)`: none came.
    pub fn wait_watch_event(&mut self, timeout_ns: u64) -> Result<Option<WatchEvent>, Error<T::Error>> {
        if let Some(ev) = self.events.pop_front() {
            return Ok(Some(ev));
        }
        if let Some(cause) = &self.broken {
            return Err(Error::Broken(cause.clone()));
        }
        let deadline = self.transport.now_ns().saturating_add(timeout_ns);
        let mut extra = 0;
        loop {
            let moved = self.pass()?;
            if let Some(ev) = self.events.pop_front() {
                return Ok(Some(ev));
            }
            if self.transport.now_ns() >= deadline {
                extra += 1;
                if !moved || extra > MAX_EXTRA_PASSES {
                    return Ok(None);
                }
            } else if !moved {
                self.transport.wait(deadline);
            }
        }
    }

    /// Watch events queued, not yet taken.
    pub fn queued_watch_events(&self) -> usize {
        self.events.len()
    }

    /// Watch events dropped: the queue was full, or the payload malformed.
    pub fn watch_events_dropped(&self) -> u64 {
        self.dropped
    }

    /// Replies discarded because no request waited for them (late replies
    /// to requests that timed out, or stray ones).
    pub fn late_replies(&self) -> u64 {
        self.late
    }

    /// Why the connection is broken, if it is.
    pub fn broken(&self) -> Option<&str> {
        self.broken.as_deref()
    }

    /// True while part of a request that timed out is still unsent.
    pub fn has_unsent_tail(&self) -> bool {
        !self.out.is_empty()
    }

    /// The request id the next request gets (skipping 0 and the ids of
    /// requests given up on), e.g. to continue another client's sequence.
    pub fn set_next_req_id(&mut self, id: u32) {
        self.next_id = id;
    }

    fn allocate_id(&mut self) -> u32 {
        loop {
            let id = self.next_id;
            self.next_id = self.next_id.wrapping_add(1);
            if id != 0 && !self.abandoned.contains(&id) {
                return id;
            }
        }
    }

    /// After a timeout on request `id`: forget it if none of it went out,
    /// else keep its tail and remember its id until its reply comes.
    fn give_up(&mut self, id: u32) {
        self.awaiting = None;
        if !self.out.is_empty() && self.out_done == 0 {
            self.out.clear();
            return;
        }
        if self.abandoned.len() == MAX_ABANDONED {
            self.abandoned.pop_front();
        }
        self.abandoned.push_back(id);
    }

    /// Marks the connection broken by `cause`.
    fn break_with(&mut self, cause: String) {
        self.out.clear();
        self.out_done = 0;
        self.awaiting = None;
        self.broken = Some(cause);
    }

    /// One write (the unsent part of `out`) and one read; true if a byte moved.
    fn pass(&mut self) -> Result<bool, Error<T::Error>> {
        let mut moved = false;
        if self.out_done < self.out.len() {
            let rest = self.out.len() - self.out_done;
            let n = match self.transport.write(&self.out[self.out_done..]) {
                Ok(n) => n.min(rest),
                Err(e) => {
                    self.break_with(format!("{e}"));
                    return Err(Error::Transport(e));
                }
            };
            self.out_done += n;
            moved |= n > 0;
            if self.out_done == self.out.len() {
                self.out.clear();
                self.out_done = 0;
            }
        }
        let mut buf = [0u8; READ_CHUNK];
        let n = match self.transport.read(&mut buf) {
            Ok(n) => n.min(buf.len()),
            Err(e) => {
                self.break_with(format!("{e}"));
                return Err(Error::Transport(e));
            }
        };
        if n > 0 {
            moved = true;
            self.feed(&buf[..n])?;
        }
        Ok(moved)
    }

    /// Parses `bytes`, dispatching every complete message.
    fn feed(&mut self, bytes: &[u8]) -> Result<(), Error<T::Error>> {
        let Client { parser, limits, awaiting, reply, abandoned, events, dropped, late, .. } = self;
        let result = parser.feed(bytes, |m: Message<'_>| {
            if m.header.ty == MsgType::WatchEvent {
                match xs_wire::parse_watch_event(m.payload) {
                    Ok(ev) if events.len() < limits.max_watch_events => {
                        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
                        events.push_back(WatchEvent { path: text(ev.path), token: text(ev.token) });
                    }
                    _ => *dropped += 1,
                }
            } else if *awaiting == Some(m.header.req_id) {
                *awaiting = None;
                *reply = Some((m.header.ty, m.payload.to_vec()));
            } else {
                abandoned.retain(|&id| id != m.header.req_id);
                *late += 1;
            }
        });
        result.map_err(|e| {
            self.break_with(format!("reply stream: {e}"));
            Error::Wire(e)
        })
    }
}
