//! A xenstore client over `/dev/xen/xenbus`: xs-client's engine (the one
//! the kernel uses) on the device's fd.
//!
//! Replies are matched by `req_id` (the Linux driver restores ours in each
//! reply, `drivers/xen/xenbus/xenbus_dev_frontend.c`), so the late reply to
//! a request that timed out is discarded, never taken as the answer to the
//! next one. Watch events that arrive in between are queued by the engine
//! for [`Xenbus::next_watch_event`] (at most [`MAX_WATCH_EVENTS`]; newer
//! ones are dropped beyond that, and counted).

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use xs_client::{Client, Limits, Tx};
use xs_wire::{MsgType, Request, WireError, XsError};

pub const DEVICE: &str = "/dev/xen/xenbus";

/// How long to wait for xenstored before giving up.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// Watch events kept while nobody takes them.
pub const MAX_WATCH_EVENTS: usize = 256;

/// A watch event: (path, token).
pub type WatchEvent = (String, String);

/// Byte transport to xenstored: the device, or a fake in tests. The
/// engine's transport with `io::Error`s, plus a step before each use.
pub trait Transport: xs_client::Transport<Error = io::Error> {
    /// Makes the transport ready, before every request or wait for watch
    /// events (e.g. opens the device at the first one, `app::Lazy`). An
    /// error here fails that call alone ([`XenbusError::Io`]): nothing was
    /// sent, the connection is not broken, the next call tries again.
    fn connect(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Transport for DevXenbus {}

/// `/dev/xen/xenbus`.
pub struct DevXenbus {
    file: File,
    start: Instant,
}

impl DevXenbus {
    pub fn open() -> io::Result<DevXenbus> {
        Ok(DevXenbus { file: OpenOptions::new().read(true).write(true).open(DEVICE)?, start: Instant::now() })
    }
}

impl xs_client::Transport for DevXenbus {
    type Error = io::Error;

    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        // The driver collects partial writes until a message is whole, and
        // queues it for xenstored without waiting for the reply.
        match self.file.write(bytes) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(0),
            other => other,
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Without waiting: the engine waits in `wait`.
        match crate::poll::readable(self.file.as_fd(), Duration::ZERO) {
            Ok(true) => {}
            Ok(false) => return Ok(0),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(0),
            Err(e) => return Err(e),
        }
        match self.file.read(buf) {
            Ok(0) => Err(io::ErrorKind::UnexpectedEof.into()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(0),
            other => other,
        }
    }

    fn wait(&mut self, deadline_ns: u64) {
        let left = Duration::from_nanos(deadline_ns.saturating_sub(self.now_ns()));
        // The device is only ever readable (its poll never reports POLLOUT,
        // and writes do not block); an error here shows again in `read`.
        let _ = crate::poll::readable(self.file.as_fd(), left);
    }

    fn now_ns(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }
}

/// Why a xenstore request failed.
#[derive(Debug)]
pub enum XenbusError {
    /// xenstored answered with an error.
    Store(XsError),
    /// The transport failed (including a timeout).
    Io(io::Error),
    /// The request cannot be encoded, or the reply stream broke the wire
    /// format.
    Wire(WireError),
    /// A reply of the wrong type.
    Unexpected(MsgType),
    /// The connection broke earlier (the cause), or a reply was malformed.
    Broken(String),
}

impl fmt::Display for XenbusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            XenbusError::Store(e) => write!(f, "xenstore said {e}"),
            XenbusError::Io(e) if e.kind() == io::ErrorKind::TimedOut => f.write_str("xenstored did not answer"),
            XenbusError::Io(e) => write!(f, "{DEVICE}: {e}"),
            XenbusError::Wire(e) => write!(f, "{e}"),
            XenbusError::Unexpected(t) => write!(f, "unexpected xenstore reply {t:?}"),
            XenbusError::Broken(why) => write!(f, "{DEVICE}: {why}"),
        }
    }
}

impl std::error::Error for XenbusError {}

impl From<io::Error> for XenbusError {
    fn from(e: io::Error) -> Self {
        XenbusError::Io(e)
    }
}

impl From<xs_client::Error<io::Error>> for XenbusError {
    fn from(e: xs_client::Error<io::Error>) -> Self {
        use xs_client::Error as E;
        match e {
            E::Store(e) => XenbusError::Store(e),
            E::Encode(e) | E::Wire(e) => XenbusError::Wire(e),
            E::Timeout { .. } => XenbusError::Io(io::ErrorKind::TimedOut.into()),
            E::Transport(e) => XenbusError::Io(e),
            E::Unexpected(t) => XenbusError::Unexpected(t),
            e @ (E::Broken(_) | E::Malformed(_)) => XenbusError::Broken(e.to_string()),
        }
    }
}

/// A xenstore connection.
pub struct Xenbus<T: Transport> {
    client: Client<T>,
}

impl<T: Transport> Xenbus<T> {
    pub fn new(transport: T) -> Xenbus<T> {
        let limits = Limits { timeout_ns: REPLY_TIMEOUT.as_nanos() as u64, max_watch_events: MAX_WATCH_EVENTS };
        Xenbus { client: Client::with_limits(transport, limits) }
    }

    /// The transport (tests inspect their fake through this).
    pub fn transport_mut(&mut self) -> &mut T {
        self.client.transport_mut()
    }

    /// The engine (replies discarded as late, watch events, state).
    pub fn client(&self) -> &Client<T> {
        &self.client
    }

    /// The engine, once the transport is ready ([`Transport::connect`]).
    fn ready(&mut self) -> Result<&mut Client<T>, XenbusError> {
        self.client.transport_mut().connect()?;
        Ok(&mut self.client)
    }

    /// Sends `request` and returns the payload of its reply.
    pub fn request(&mut self, request: Request<'_>) -> Result<Vec<u8>, XenbusError> {
        Ok(self.ready()?.request(Tx::NONE, &request)?)
    }

    /// The value at `path`.
    pub fn read(&mut self, path: &str) -> Result<Vec<u8>, XenbusError> {
        Ok(self.ready()?.read(Tx::NONE, path)?)
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
        Ok(self.ready()?.write(Tx::NONE, path, value)?)
    }

    pub fn mkdir(&mut self, path: &str) -> Result<(), XenbusError> {
        Ok(self.ready()?.mkdir(Tx::NONE, path)?)
    }

    pub fn rm(&mut self, path: &str) -> Result<(), XenbusError> {
        Ok(self.ready()?.rm(Tx::NONE, path)?)
    }

    /// Child names of `path` (invalid UTF-8 replaced).
    pub fn directory(&mut self, path: &str) -> Result<Vec<String>, XenbusError> {
        Ok(self.ready()?.directory(Tx::NONE, path)?)
    }

    /// Watches `path` (and below) with `token`; xenstored fires it once at
    /// once, then on every write or removal there.
    pub fn watch(&mut self, path: &str, token: &str) -> Result<(), XenbusError> {
        Ok(self.ready()?.watch(path, token)?)
    }

    pub fn unwatch(&mut self, path: &str, token: &str) -> Result<(), XenbusError> {
        Ok(self.ready()?.unwatch(path, token)?)
    }

    /// The oldest watch event, waiting up to `timeout` for one (no request
    /// is sent: a zero timeout only looks at what has arrived).
    pub fn next_watch_event(&mut self, timeout: Duration) -> Result<Option<WatchEvent>, XenbusError> {
        let client = self.ready()?;
        let timeout_ns = u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX);
        Ok(client.wait_watch_event(timeout_ns)?.map(|ev| (ev.path, ev.token)))
    }

    /// `/local/domain/<domid>` as xenstored reports it.
    pub fn get_domain_path(&mut self, domid: u32) -> Result<String, XenbusError> {
        Ok(self.ready()?.get_domain_path(domid)?)
    }
}

#[cfg(test)]
#[path = "xenbus_tests.rs"]
mod tests;
