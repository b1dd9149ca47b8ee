//! A scripted peer domain behind the event-channel trait.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::time::Duration;

use crate::channel::{EventChannel, OpError};
use xen_abi::evtchn::PortState;

/// What the domain at the other end does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// Answers each of our notifications, `answers` times, then goes silent.
    Server { answers: u64 },
    /// Sends `pings` pings, each after our previous answer; the first once
    /// the bind-time event was drained (or at once for an offered port).
    Leader { pings: u64 },
    /// Never sends anything.
    Silent,
}

pub struct FakeEvtchn {
    pub peer: Peer,
    /// Refuse `bind_interdomain` with this errno.
    pub refuse_bind: Option<i32>,
    /// What Xen would say about the remote port (an errno for an error).
    pub remote_state: Option<Result<PortState, i32>>,
    /// (local port, remote domain, remote port) of each interdomain bind.
    pub binds: Vec<(u32, u32, u32)>,
    /// (local port, remote domain) of each offered port.
    pub offered: Vec<(u32, u32)>,
    pub unbound: Vec<u32>,
    pub notifies: u64,
    /// A [`Peer::Server`] answers at most this many events on these of its
    /// (remote) ports, then leaves them silent.
    pub quiet_after: BTreeMap<u32, u64>,
    /// Answers a [`Peer::Server`] raised, per remote port.
    pub answered_on: BTreeMap<u32, u64>,
    pub unmasks: u64,
    /// `wait` calls that timed out.
    pub idle_waits: u64,
    next_port: u32,
    pending: BTreeSet<u32>,
    masked: BTreeSet<u32>,
    /// The leader may send its next ping to this port.
    leader_turn: Option<u32>,
    /// Ports whose bind-time event has not been unmasked yet.
    draining: BTreeSet<u32>,
}

impl FakeEvtchn {
    pub fn new(peer: Peer) -> FakeEvtchn {
        FakeEvtchn {
            peer,
            refuse_bind: None,
            remote_state: None,
            binds: Vec::new(),
            offered: Vec::new(),
            unbound: Vec::new(),
            notifies: 0,
            quiet_after: BTreeMap::new(),
            answered_on: BTreeMap::new(),
            unmasks: 0,
            idle_waits: 0,
            next_port: 40,
            pending: BTreeSet::new(),
            masked: BTreeSet::new(),
            leader_turn: None,
            draining: BTreeSet::new(),
        }
    }

    /// The peer raises `port` unasked (a stray event).
    pub fn raise(&mut self, port: u32) {
        self.pending.insert(port);
    }

    fn alloc(&mut self) -> u32 {
        self.next_port += 1;
        self.next_port
    }

    fn bound(&self, port: u32) -> bool {
        self.binds.iter().any(|b| b.0 == port) || self.offered.iter().any(|o| o.0 == port)
    }

    fn not_bound(op: String) -> OpError {
        OpError { op, source: io::Error::from_raw_os_error(libc::ENOTCONN) }
    }
}

impl EventChannel for FakeEvtchn {
    fn bind_interdomain(&mut self, remote_domain: u32, remote_port: u32) -> Result<u32, OpError> {
        if let Some(errno) = self.refuse_bind {
            return Err(OpError {
                op: format!("bind to port {remote_port} of domain {remote_domain}"),
                source: io::Error::from_raw_os_error(errno),
            });
        }
        let local = self.alloc();
        self.binds.push((local, remote_domain, remote_port));
        // Xen always raises the binder's new port.
        self.pending.insert(local);
        self.draining.insert(local);
        self.leader_turn = Some(local); // a leader starts once we drained
        Ok(local)
    }

    fn bind_unbound(&mut self, remote_domain: u32) -> Result<u32, OpError> {
        let local = self.alloc();
        self.offered.push((local, remote_domain));
        self.leader_turn = Some(local); // the remote binds, then leads
        Ok(local)
    }

    fn unbind(&mut self, port: u32) -> Result<(), OpError> {
        if !self.bound(port) {
            return Err(Self::not_bound(format!("unbind port {port}")));
        }
        self.unbound.push(port);
        Ok(())
    }

    fn notify(&mut self, port: u32) -> Result<(), OpError> {
        if !self.bound(port) || self.unbound.contains(&port) {
            return Err(Self::not_bound(format!("notify port {port}")));
        }
        self.notifies += 1;
        let remote = self.binds.iter().find(|b| b.0 == port).map(|b| b.2);
        let answered = remote.and_then(|r| self.answered_on.get(&r)).copied().unwrap_or(0);
        let quiet = remote.and_then(|r| self.quiet_after.get(&r)).is_some_and(|&n| answered >= n);
        match &mut self.peer {
            Peer::Server { answers } if *answers > 0 && !quiet => {
                *answers -= 1;
                if let Some(r) = remote {
                    *self.answered_on.entry(r).or_default() += 1;
                }
                self.pending.insert(port); // coalesces with one already pending
            }
            Peer::Leader { .. } => self.leader_turn = Some(port),
            _ => {}
        }
        Ok(())
    }

    fn wait(&mut self, _timeout: Duration) -> Result<Option<u32>, OpError> {
        if let (Peer::Leader { pings }, Some(port)) = (&mut self.peer, self.leader_turn) {
            if *pings > 0 && !self.draining.contains(&port) {
                *pings -= 1;
                self.pending.insert(port);
                self.leader_turn = None;
            }
        }
        let ready = self.pending.iter().copied().find(|p| !self.masked.contains(p));
        match ready {
            Some(port) => {
                self.pending.remove(&port);
                self.masked.insert(port); // the driver masks a fired port
                Ok(Some(port))
            }
            None => {
                self.idle_waits += 1;
                Ok(None)
            }
        }
    }

    fn remote_port_state(&mut self, domain: u32, port: u32) -> Option<Result<PortState, OpError>> {
        self.remote_state.map(|r| {
            r.map_err(|errno| OpError {
                op: format!("EVTCHNOP_status of domain {domain} port {port}"),
                source: io::Error::from_raw_os_error(errno),
            })
        })
    }

    fn unmask(&mut self, port: u32) -> Result<(), OpError> {
        self.unmasks += 1;
        self.masked.remove(&port);
        self.draining.remove(&port);
        Ok(())
    }
}
