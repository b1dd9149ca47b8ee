//! The main loop: the one place that waits, for a peer's event, a xenstore
//! watch event or (while a session is open) the status tick, and hands what
//! came to its owner by watch token. Nothing here runs in the upcall: the
//! port handlers only count and answer; every xenstore request is made
//! from here.
//!
//! Without a session the loop sleeps with no timer at all
//! (`wait::idle_until`): an idle xenbell does no xenstore traffic and is
//! woken only by events.

use super::control::{self, Control};
use super::idle::Sample;
use super::keys;
use super::received;
use super::session::{Sessions, STATUS_TICK_NS};
use super::{ports, vcpus};
use crate::watchdog::{self, Phase};
use crate::xen::{time, wait, xenstore};

/// Watch tokens (any string; ours name what they watch).
const TOKEN_PEER: &str = "peer-state";
const TOKEN_CONTROL: &str = "control-shutdown";
const TOKEN_CPU: &str = "cpu";

pub struct Loop {
    pub sessions: Sessions,
    control: Control,
    /// The domain our port is offered to (a fresh port after a resume).
    remote: xen_abi::DomId,
    /// When the open session's port is looked at next.
    next_status: u64,
}

impl Loop {
    pub fn new(port: xen_abi::Port, remote: xen_abi::DomId) -> Loop {
        Loop { sessions: Sessions::new(port), control: Control::new(), remote, next_status: 0 }
    }

    /// Sets the watches (each fires once at once: a request made before we
    /// listened is handled by the first [`Loop::step`]s) and advertises the
    /// control features. A failure is fatal: we would not hear the peer or
    /// the toolstack.
    pub fn start(&mut self) {
        register_watches();
    }

    /// Handles what has come without waiting (the watches' first fires).
    pub fn settle(&mut self) {
        self.dispatch_watch_events(Sample::now());
    }

    /// Waits for something to do and does it.
    pub fn step(&mut self) {
        // Polling: a session (ours, or an extra port's) is open, so the
        // ports' states are looked at every STATUS_TICK_NS.
        let polling = self.sessions.is_open() || ports::open_sessions() > 0;
        let wake = || {
            xenstore::watch_event_pending()
                || (!self.sessions.is_open() && received() > 0)
                || (!polling && ports::open_sessions() > 0)
        };
        if polling {
            watchdog::progress(Phase::Idle);
            let left = self.next_status.saturating_sub(time::system_time_ns());
            let _ = wait::wait_until(Some(left), wake);
        } else {
            watchdog::progress(Phase::Asleep);
            wait::idle_until(wake);
        }
        let woke = Sample::now();
        self.dispatch_watch_events(woke);
        if !self.sessions.is_open() && received() > 0 {
            self.sessions.idle.mark(woke);
            self.sessions.open_legacy();
        }
        if self.sessions.is_open() || ports::open_sessions() > 0 {
            let now = time::system_time_ns();
            if polling && now >= self.next_status {
                if self.sessions.is_open() {
                    self.sessions.check_status();
                }
                ports::check_sessions();
            }
            if !polling || now >= self.next_status {
                self.next_status = now + STATUS_TICK_NS;
            }
        }
    }

    /// Takes every queued watch event, then acts once per token: the
    /// handlers read the current value, so one read serves many events.
    fn dispatch_watch_events(&mut self, woke: Sample) {
        let (mut peer, mut control, mut cpu) = (false, false, false);
        loop {
            match xenstore::next_watch_event(0) {
                Ok(Some((_, token))) => match token.as_str() {
                    TOKEN_PEER => peer = true,
                    TOKEN_CONTROL => control = true,
                    TOKEN_CPU => cpu = true,
                    other => log::debug!("pingpong: watch event with unknown token {}", keys::shown(other)),
                },
                Ok(None) => break,
                Err(e) => {
                    log::warn!("pingpong: {e}");
                    break;
                }
            }
        }
        if peer || control {
            self.sessions.idle.mark(woke);
        }
        if peer {
            self.sessions.on_peer_state();
        }
        if control {
            self.control.on_request(&mut self.sessions, self.remote, register_watches);
        }
        if cpu {
            vcpus::on_change();
        }
        if (peer || control) && !self.sessions.is_open() {
            // Woken, but no session came of it (the previous peer's 6 after
            // its 5, a repeat, our own ack): idle again from here, the reads
            // just made not counted.
            self.sessions.idle.start();
        }
    }
}

/// Sets our watches and advertises the control features: at start, and
/// again in each new domain after a resume (watches and keys die with the
/// old one). A failed watch is fatal: we would not hear the peer or the
/// toolstack.
fn register_watches() {
    for (path, token) in [(keys::PEER_STATE, TOKEN_PEER), (control::SHUTDOWN, TOKEN_CONTROL)] {
        if let Err(e) = xenstore::watch(path, token) {
            super::fatal(e);
        }
    }
    // vCPU hotplug (`xl vcpu-set`): only a domain with several vCPUs.
    if vcpus::hotpluggable() {
        if let Err(e) = xenstore::watch(vcpus::CPU_DIR, TOKEN_CPU) {
            log::warn!("{e}: `xl vcpu-set` will not be followed");
        }
    }
    control::advertise();
}
