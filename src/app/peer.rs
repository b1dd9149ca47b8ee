//! Is anybody there? The peer's state, from EVTCHNOP_status on our port:
//! interdomain = a peer has bound it; unbound = nobody (again).
//!
//! Xen tells the unbound side nothing when a peer binds or closes, so we
//! look every [`TICK_NS`], and at once when an event arrives while nobody
//! is connected: a peer's first ping proves it is there, and a short
//! session (50 rounds take ~35 ms under TCG) would otherwise fall between
//! two looks and never be reported.

use xen_abi::Port;

use super::{publish_state, received, reset_session, session};
use crate::watchdog::{self, Phase};
use crate::xen::evtchn::{self, Status};
use crate::xen::wait;

pub const TICK_NS: u64 = 100_000_000;

pub struct Peer {
    port: Port,
    /// (domain, port) of the connected peer.
    connected: Option<(u16, u32)>,
}

impl Peer {
    pub fn new(port: Port) -> Peer {
        Peer { port, connected: None }
    }

    pub fn port(&self) -> Port {
        self.port
    }

    /// Reports the end of the session in progress, if any (the peer left,
    /// or its binding went with the old domain after a resume).
    pub fn end_session(&mut self) {
        if let Some((dom, _)) = self.connected.take() {
            let (received, answered) = session();
            log::info!("xenbell: disconnected");
            log::info!("pingpong: session with domain {dom}: received={received} answered={answered}");
            // Events can only come from a bound peer, so everything counted
            // from here on belongs to the next session, even events that
            // arrive before we notice it.
            reset_session();
            publish_state("ready");
        }
    }

    pub fn connected(&self) -> bool {
        self.connected.is_some()
    }

    /// Looks at the port's state and reports any change. Returns whether a
    /// peer is connected now.
    pub fn track(&mut self) -> bool {
        watchdog::progress(Phase::PeerStatus);
        let status = match evtchn::status(self.port) {
            Ok(s) => s,
            Err(e) => {
                log::warn!("pingpong: {e}");
                return self.connected();
            }
        };
        let now = match status {
            Status::Interdomain { dom, port } => Some((dom, port)),
            _ => None,
        };
        if now == self.connected {
            return self.connected();
        }
        // A different peer port means the old peer left and a new one bound
        // between two looks: report both.
        self.end_session();
        if let Some((dom, port)) = now {
            self.connected = Some((dom, port));
            log::info!("xenbell: connected remote={dom} remote_port={port}");
            publish_state("connected");
        }
        self.connected()
    }

    /// Sleeps one tick, or until a peer's first event when none is
    /// connected, then tracks.
    pub fn wait_and_track(&mut self) -> bool {
        let idle = !self.connected();
        watchdog::progress(Phase::Idle);
        let _ = wait::wait_until(Some(TICK_NS), || idle && received() > 0);
        self.track()
    }
}
