//! Sessions with a peer: who is bound to our port, since when, and what
//! it sent us. One session at a time, of one of two kinds:
//!
//! - handshake (PROTOCOL in README "Session handshake"): the peer writes
//!   `peer-state` = 3 after binding and 5/6 when it is done; the main loop
//!   hands us each change ([`Sessions::on_peer_state`]). A new peer's 3
//!   cannot be missed or merged with the previous peer's session, even when
//!   Xen gives the next peer the same port.
//! - legacy: a peer that speaks no handshake (plain bind + send). Its first
//!   event opens the session ([`Sessions::open_legacy`]).
//!
//! While a session is open the main loop asks Xen for our port's state
//! every [`STATUS_TICK_NS`] ([`Sessions::check_status`]): a peer that dies
//! without a goodbye (SIGKILL) leaves the port unbound, and that is the
//! only way to see a legacy peer leave. Without a session nothing is polled.
//!
//! xenstored fires one watch event per write, but we read the value when we
//! get to the event, so several events can read one value: a handshake
//! state is acted on only when it differs from the one acted on last. The
//! peer makes every session's 3 a change: it starts only once guest-state
//! has left 4 (ours, after its predecessor's 5/6, or its own 6 first).

use alloc::string::String;
use xen_abi::Port;

use super::cost::Counters;
use super::idle::Meter;
use super::keys::{self, publish};
use super::{received, reset_session, session};
use crate::watchdog::{self, Phase};
use crate::xen::evtchn::{self, PortState};
use crate::xen::{events, xenstore};

/// How often an open session's port is looked at.
pub const STATUS_TICK_NS: u64 = 250_000_000;
/// How long a leaving guest waits for a handshake peer to say 5 or 6
/// (so that it reads `leaving` before the domain is gone).
const LEAVE_WAIT_NS: u64 = 2_000_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Handshake,
    Legacy,
}

/// The peer's `peer-state` values we act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PeerState {
    Initialised,
    Closing,
    Closed,
}

impl PeerState {
    fn parse(v: &str) -> Option<PeerState> {
        match v {
            keys::INITIALISED => Some(PeerState::Initialised),
            keys::CLOSING => Some(PeerState::Closing),
            keys::CLOSED => Some(PeerState::Closed),
            _ => None,
        }
    }
}

#[derive(Clone, Copy)]
struct Open {
    kind: Kind,
    dom: u16,
    remote_port: u32,
    /// The guest's own counters when the session opened.
    cost: Counters,
}

pub struct Sessions {
    port: Port,
    open: Option<Open>,
    /// The handshake state acted on last (`None`: act on any).
    last: Option<PeerState>,
    /// The malformed peer-state warned about last (one warning per value).
    last_bad: Option<String>,
    pub idle: Meter,
}

impl Sessions {
    pub fn new(port: Port) -> Sessions {
        Sessions { port, open: None, last: None, last_bad: None, idle: Meter::new() }
    }

    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// The port we offer.
    pub fn port(&self) -> Port {
        self.port
    }

    /// We resumed in a new domain (restore, migrate): the old port, its
    /// peer and every key are gone. The open session, if any, is reported
    /// as ended; `port` is the one offered from now on.
    pub fn moved(&mut self, port: Port) {
        if let Some(o) = self.open.take() {
            self.report(o, "we moved to a new domain");
        }
        self.port = port;
        self.last = None;
        self.last_bad = None;
        self.idle.start();
    }

    /// `peer-state` may have changed: act on it.
    pub fn on_peer_state(&mut self) {
        let Some(raw) = keys::read(keys::PEER_STATE) else { return };
        let Some(state) = PeerState::parse(raw.trim()) else {
            if self.last_bad.as_deref() != Some(raw.as_str()) {
                log::warn!("{}: unknown value {}: ignored", keys::PEER_STATE, keys::shown(&raw));
                self.last_bad = Some(raw);
            }
            return;
        };
        if self.last == Some(state) {
            return;
        }
        self.last = Some(state);
        match state {
            PeerState::Initialised => {
                self.close("a new peer asks for a session");
                self.open_handshake();
            }
            PeerState::Closing | PeerState::Closed => self.close("the peer said goodbye"),
        }
    }

    fn open_handshake(&mut self) {
        match self.peer() {
            Some((dom, port)) => {
                // Nothing of this peer's can have arrived: it sends only
                // once it reads guest-state=4.
                reset_session();
                self.open(Kind::Handshake, dom, port);
            }
            None => {
                log::warn!(
                    "{}: the peer asks for a session but port {} is not bound: it left",
                    keys::PEER_STATE,
                    self.port.get()
                );
                self.last = None;
            }
        }
    }

    /// Events came while no session was open: a legacy peer's first.
    pub fn open_legacy(&mut self) {
        match self.peer() {
            Some((dom, port)) => self.open(Kind::Legacy, dom, port),
            None => {
                log::warn!("pingpong: {} events from a peer that left before its session was seen", received());
                reset_session();
            }
        }
    }

    /// (domain, port) bound to our port, from EVTCHNOP_status.
    fn peer(&self) -> Option<(u16, u32)> {
        watchdog::progress(Phase::PeerStatus);
        match evtchn::status(self.port) {
            Ok(PortState::Interdomain { remote, remote_port }) => Some((remote, remote_port)),
            Ok(_) => None,
            Err(e) => {
                log::warn!("pingpong: {e}");
                None
            }
        }
    }

    fn open(&mut self, kind: Kind, dom: u16, remote_port: u32) {
        self.idle.report();
        self.open = Some(Open { kind, dom, remote_port, cost: Counters::now() });
        log::info!("xenbell: connected remote={dom} remote_port={remote_port}");
        if kind == Kind::Legacy {
            log::info!("pingpong: the peer speaks no handshake (legacy session)");
        }
        publish(keys::GUEST_STATE, keys::CONNECTED);
        publish(keys::STATE, keys::state::CONNECTED);
    }

    /// Closes the open session, if any: its line, counters reset, ready again.
    fn close(&mut self, why: &str) {
        let Some(o) = self.open.take() else { return };
        self.report(o, why);
        publish(keys::STATE, keys::state::READY);
        publish(keys::GUEST_STATE, keys::INIT_WAIT);
        self.idle.start();
    }

    fn report(&self, o: Open, why: &str) {
        let (received, answered) = session();
        log::info!("xenbell: disconnected");
        log::info!("pingpong: session with domain {}: received={received} answered={answered} ({why})", o.dom);
        o.cost.report_since();
        // Events can only come from a bound peer, so everything counted
        // from here on belongs to the next session.
        reset_session();
    }

    /// While a session is open: has its peer left without a goodbye?
    /// Returns whether the session is still open.
    pub fn check_status(&mut self) -> bool {
        let Some(o) = self.open else { return false };
        let now = self.peer();
        if now.is_some_and(|p| p == (o.dom, o.remote_port)) {
            return true;
        }
        self.close("its port is no longer bound: the peer left without a goodbye");
        // Its last 3 must not hide the next peer's.
        self.last = None;
        false
    }

    /// We are leaving (shutdown): say why (`leaving`, guest-state=5), close
    /// our port so the peer sees it go away, and give a handshake peer a
    /// moment (bounded) to read it and say goodbye.
    pub fn leave(&mut self, reason: &str) {
        publish(keys::LEAVING, reason);
        publish(keys::GUEST_STATE, keys::CLOSING);
        let open = self.open.take();
        events::unbind_handler(self.port);
        if let Err(e) = evtchn::close(self.port) {
            log::warn!("pingpong: {e}");
        }
        let Some(o) = open else { return };
        self.report(o, "we are leaving");
        if o.kind == Kind::Handshake && !self.wait_goodbye() {
            log::warn!("pingpong: the peer did not say goodbye within {} ms", LEAVE_WAIT_NS / 1_000_000);
        }
    }

    fn wait_goodbye(&mut self) -> bool {
        let deadline = crate::xen::time::system_time_ns() + LEAVE_WAIT_NS;
        loop {
            let left = deadline.saturating_sub(crate::xen::time::system_time_ns());
            if left == 0 {
                return false;
            }
            let ready = keys::read(keys::PEER_STATE).and_then(|v| PeerState::parse(v.trim()));
            if matches!(ready, Some(PeerState::Closing | PeerState::Closed)) {
                return true;
            }
            watchdog::progress(Phase::Xenstore);
            // Any watch event may be the peer's; others are moot now.
            if !matches!(xenstore::next_watch_event(left), Ok(Some(_))) {
                return false;
            }
        }
    }
}
