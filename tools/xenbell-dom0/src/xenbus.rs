//! A xenstore client over `/dev/xen/xenbus`, speaking `xs-wire`.
//!
//! Requests go out one at a time: write one whole message, then read until
//! its reply is complete. Watch events that arrive in between are queued
//! for [`Xenbus::next_watch_event`] (at most [`MAX_WATCH_EVENTS`]; the
//! oldest are dropped beyond that). The Linux driver restores our `req_id` in
//! each reply; since at most one request is outstanding, the reply is also
//! simply the next message that is not a watch event.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use std::collections::VecDeque;

use xs_wire::{
    parse_watch_event, split_directory, trim_nul, MsgType, Parser, Request, WireError, XsError, MESSAGE_MAX,
};

pub const DEVICE: &str = "/dev/xen/xenbus";

/// How long to wait for xenstored before giving up.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// Watch events kept while nobody takes them.
pub const MAX_WATCH_EVENTS: usize = 256;

/// A watch event: (path, token).
pub type WatchEvent = (String, String);

/// Byte transport to xenstored: the device, or a fake in tests.
pub trait Transport {
    /// Sends one complete message.
    fn send(&mut self, message: &[u8]) -> io::Result<()>;
    /// Receives some bytes (at least one), waiting at most `timeout`;
    /// `ErrorKind::TimedOut` if none came.
    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize>;
}

/// `/dev/xen/xenbus`.
pub struct DevXenbus {
    file: File,
}

impl DevXenbus {
    pub fn open() -> io::Result<DevXenbus> {
        Ok(DevXenbus { file: OpenOptions::new().read(true).write(true).open(DEVICE)? })
    }
}

impl Transport for DevXenbus {
    fn send(&mut self, message: &[u8]) -> io::Result<()> {
        // The driver collects partial writes until the message is whole.
        self.file.write_all(message)
    }

    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        if !crate::poll::readable(self.file.as_fd(), timeout)? {
            return Err(io::ErrorKind::TimedOut.into());
        }
        match self.file.read(buf)? {
            0 => Err(io::ErrorKind::UnexpectedEof.into()),
            n => Ok(n),
        }
    }
}

/// Why a xenstore request failed.
#[derive(Debug)]
pub enum XenbusError {
    /// xenstored answered with an error.
    Store(XsError),
    /// The transport failed (including a timeout).
    Io(io::Error),
    /// The reply stream broke the wire format.
    Wire(WireError),
    /// A reply of the wrong type.
    Unexpected(MsgType),
}

impl fmt::Display for XenbusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            XenbusError::Store(e) => write!(f, "xenstore said {e}"),
            XenbusError::Io(e) if e.kind() == io::ErrorKind::TimedOut => f.write_str("xenstored did not answer"),
            XenbusError::Io(e) => write!(f, "{DEVICE}: {e}"),
            XenbusError::Wire(e) => write!(f, "{e}"),
            XenbusError::Unexpected(t) => write!(f, "unexpected xenstore reply {t:?}"),
        }
    }
}

impl std::error::Error for XenbusError {}

impl From<io::Error> for XenbusError {
    fn from(e: io::Error) -> Self {
        XenbusError::Io(e)
    }
}

/// A xenstore connection.
pub struct Xenbus<T> {
    transport: T,
    parser: Box<Parser>,
    /// Received bytes not yet given to the parser.
    pending: Vec<u8>,
    next_req_id: u32,
    timeout: Duration,
    watch_events: VecDeque<WatchEvent>,
}

impl<T: Transport> Xenbus<T> {
    pub fn new(transport: T) -> Xenbus<T> {
        Xenbus {
            transport,
            parser: Box::new(Parser::new()),
            pending: Vec::new(),
            next_req_id: 1,
            timeout: REPLY_TIMEOUT,
            watch_events: VecDeque::new(),
        }
    }

    /// The transport (tests inspect their fake through this).
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Sends `request` and returns the payload of its reply.
    pub fn request(&mut self, request: Request<'_>) -> Result<Vec<u8>, XenbusError> {
        let req_id = self.next_req_id;
        self.next_req_id = self.next_req_id.wrapping_add(1);
        let bytes = request.to_vec(req_id, 0).map_err(XenbusError::Wire)?;
        self.transport.send(&bytes)?;
        let deadline = Instant::now() + self.timeout;
        let mut buf = vec![0u8; MESSAGE_MAX];
        loop {
            while !self.pending.is_empty() {
                let (used, message) = self.parser.push(&self.pending).map_err(XenbusError::Wire)?;
                let reply = match message {
                    Some(m) if m.header.ty == MsgType::WatchEvent => {
                        if let Ok(ev) = parse_watch_event(m.payload) {
                            let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
                            if self.watch_events.len() == MAX_WATCH_EVENTS {
                                self.watch_events.pop_front();
                            }
                            self.watch_events.push_back((text(ev.path), text(ev.token)));
                        }
                        None
                    }
                    Some(m) => Some((m.header.ty, m.result().map(<[u8]>::to_vec))),
                    None => None,
                };
                self.pending.drain(..used);
                match reply {
                    Some((_, Err(e))) => return Err(XenbusError::Store(e)),
                    Some((ty, Ok(_))) if ty != request.msg_type() => return Err(XenbusError::Unexpected(ty)),
                    Some((_, Ok(payload))) => return Ok(payload),
                    None => {}
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::from(io::ErrorKind::TimedOut).into());
            }
            let n = self.transport.recv(&mut buf, left)?;
            self.pending.extend_from_slice(&buf[..n.min(buf.len())]);
        }
    }

    /// The value at `path`.
    pub fn read(&mut self, path: &str) -> Result<Vec<u8>, XenbusError> {
        self.request(Request::Read { path })
    }

    /// The value at `path`, `None` if the node does not exist.
    pub fn read_opt(&mut self, path: &str) -> Result<Option<Vec<u8>>, XenbusError> {
        match self.read(path) {
            Ok(v) => Ok(Some(v)),
            Err(XenbusError::Store(XsError::ENOENT)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Like [`Xenbus::read_opt`], as text (invalid UTF-8 replaced), trimmed
    /// of NULs and whitespace.
    pub fn read_text(&mut self, path: &str) -> Result<Option<String>, XenbusError> {
        Ok(self.read_opt(path)?.map(|v| String::from_utf8_lossy(&v).trim_matches(['\0', ' ', '\n']).to_string()))
    }

    pub fn write(&mut self, path: &str, value: &[u8]) -> Result<(), XenbusError> {
        self.request(Request::Write { path, value }).map(drop)
    }

    pub fn mkdir(&mut self, path: &str) -> Result<(), XenbusError> {
        self.request(Request::Mkdir { path }).map(drop)
    }

    pub fn rm(&mut self, path: &str) -> Result<(), XenbusError> {
        self.request(Request::Rm { path }).map(drop)
    }

    /// Child names of `path` (invalid UTF-8 replaced).
    pub fn directory(&mut self, path: &str) -> Result<Vec<String>, XenbusError> {
        let payload = self.request(Request::Directory { path })?;
        Ok(split_directory(&payload).map(|n| String::from_utf8_lossy(n).into_owned()).collect())
    }

    /// Watches `path` (and below) with `token`; xenstored fires it once at
    /// once, then on every write or removal there.
    pub fn watch(&mut self, path: &str, token: &str) -> Result<(), XenbusError> {
        self.request(Request::Watch { path, token }).map(drop)
    }

    pub fn unwatch(&mut self, path: &str, token: &str) -> Result<(), XenbusError> {
        self.request(Request::Unwatch { path, token }).map(drop)
    }

    /// The oldest watch event, waiting up to `timeout` for one (no request
    /// is sent: a zero timeout only looks at what has arrived).
    pub fn next_watch_event(&mut self, timeout: Duration) -> Result<Option<WatchEvent>, XenbusError> {
        let deadline = Instant::now() + timeout;
        let mut buf = vec![0u8; MESSAGE_MAX];
        loop {
            while !self.pending.is_empty() {
                let (used, message) = self.parser.push(&self.pending).map_err(XenbusError::Wire)?;
                let event = match message {
                    Some(m) if m.header.ty == MsgType::WatchEvent => parse_watch_event(m.payload).ok().map(|ev| {
                        (String::from_utf8_lossy(ev.path).into_owned(), String::from_utf8_lossy(ev.token).into_owned())
                    }),
                    _ => None,
                };
                self.pending.drain(..used);
                if let Some(ev) = event {
                    self.watch_events.push_back(ev);
                }
            }
            if let Some(ev) = self.watch_events.pop_front() {
                return Ok(Some(ev));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.transport.recv(&mut buf, left) {
                Ok(n) => self.pending.extend_from_slice(&buf[..n.min(buf.len())]),
                Err(e) if e.kind() == io::ErrorKind::TimedOut => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// `/local/domain/<domid>` as xenstored reports it.
    pub fn get_domain_path(&mut self, domid: u32) -> Result<String, XenbusError> {
        let payload = self.request(Request::GetDomainPath { domid })?;
        Ok(String::from_utf8_lossy(trim_nul(&payload)).into_owned())
    }
}

#[cfg(test)]
#[path = "xenbus_tests.rs"]
mod tests;
