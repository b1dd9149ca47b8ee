//! What the commands need from event channels, as a trait, so the ping, serve,
//! flood and offer loops run against `/dev/xen/evtchn` in production and
//! against a scripted fake in host tests.

use std::fmt;
use std::io;
use std::time::Duration;

use xen_abi::evtchn::PortState;

/// A failed operation: its name (and arguments) plus the OS error.
#[derive(Debug)]
pub struct OpError {
    pub op: String,
    pub source: io::Error,
}

impl OpError {
    /// Wraps `errno` from the call that just failed.
    pub fn last(op: impl Into<String>) -> OpError {
        OpError { op: op.into(), source: io::Error::last_os_error() }
    }

    /// The errno, if it came from the OS.
    pub fn errno(&self) -> Option<i32> {
        self.source.raw_os_error()
    }
}

impl fmt::Display for OpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.op, self.source)
    }
}

impl std::error::Error for OpError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Event-channel operations of one process (one open `/dev/xen/evtchn`).
/// Ports are Xen port numbers; a fired port is masked until [`unmask`]ed.
///
/// [`unmask`]: EventChannel::unmask
pub trait EventChannel {
    /// Connects a local port to `remote_port` of `remote_domain`; returns the
    /// local port. Xen raises the new local port once at bind time.
    fn bind_interdomain(&mut self, remote_domain: u32, remote_port: u32) -> Result<u32, OpError>;
    /// Allocates a local port that only `remote_domain` may bind.
    fn bind_unbound(&mut self, remote_domain: u32) -> Result<u32, OpError>;
    /// Closes a local port.
    fn unbind(&mut self, port: u32) -> Result<(), OpError>;
    /// Raises the peer's end of a local port.
    fn notify(&mut self, port: u32) -> Result<(), OpError>;
    /// Waits up to `timeout` for a port to fire; `None` on timeout.
    /// `Err` with `ErrorKind::Interrupted` if a signal arrived.
    fn wait(&mut self, timeout: Duration) -> Result<Option<u32>, OpError>;
    /// Re-enables a port after it fired.
    fn unmask(&mut self, port: u32) -> Result<(), OpError>;
    /// What Xen says `port` of `domain` is (EVTCHNOP_status), to explain a
    /// refused bind; `None` when there is no way to ask.
    fn remote_port_state(&mut self, _domain: u32, _port: u32) -> Option<Result<PortState, OpError>> {
        None
    }
}
