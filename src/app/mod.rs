//! The application: xenbell's side of the event-channel ping-pong.
//!
//! Protocol (keys relative to our xenstore home /local/domain/<domid>):
//! 1. We allocate an unbound port that only `remote` may bind and publish it
//!    as `data/xenbell/port`, with `data/xenbell/state` = `ready`.
//! 2. The peer binds it (Xen then raises an event on the peer's side only).
//!    We learn of it from EVTCHNOP_status (interdomain) and say `connected`.
//! 3. serve: every event from the peer is answered with one of ours, from the
//!    upcall handler. lead: we send `rounds` pings, one at a time, and time
//!    each round trip with Xen's clock; then `done`, and we serve.
//! 4. When the peer closes its end, our port goes back to unbound: we say
//!    `disconnected`, state = `ready`, and wait for the next peer.
//!
//! We never send before the peer has bound: Xen drops such a send silently.

mod lead;
pub mod lifecycle;
mod peer;
mod suspend_request;

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use bootinfo::{Config, Mode};
use spin::Once;
use xen_abi::Port;

use crate::platform;
use crate::xen::{events, evtchn, xenstore};

pub const KEY_PORT: &str = "data/xenbell/port";
pub const KEY_STATE: &str = "data/xenbell/state";

static PORT: Once<Port> = Once::new();
/// While true the handler only counts (lead mode); otherwise it answers.
static LEADING: AtomicBool = AtomicBool::new(false);
/// Events received from the peer, and answers sent, this session.
static RECEIVED: AtomicU64 = AtomicU64::new(0);
static ANSWERED: AtomicU64 = AtomicU64::new(0);

/// The port's handler, in the upcall. The event itself proves the peer is
/// bound, so answering it can never be a send into the void.
fn on_event(port: Port) {
    RECEIVED.fetch_add(1, Ordering::Relaxed);
    if !LEADING.load(Ordering::Relaxed) {
        match evtchn::send(port) {
            Ok(()) => {
                ANSWERED.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => log::warn!("pingpong: answer: {e}"),
        }
    }
}

pub fn received() -> u64 {
    RECEIVED.load(Ordering::Relaxed)
}

fn publish_state(state: &str) {
    crate::watchdog::progress(crate::watchdog::Phase::Xenstore);
    if let Err(e) = xenstore::write(KEY_STATE, state) {
        log::warn!("pingpong: {e}");
    }
}

fn fatal(what: impl core::fmt::Display) -> ! {
    log::error!("xenbell: {what}");
    platform::crash();
}

pub fn run(cfg: &Config, is_dom0: bool) -> ! {
    if !xenstore::init() {
        if is_dom0 {
            // Booted directly as a PVH dom0 (quick kernel checks): there is
            // no xenstore and no peer. Not an error; nothing to serve.
            log::info!("xenbell: running as dom0, no xenstore and no peer: nothing to serve (selftest= runs checks here), powering off");
            platform::poweroff();
        }
        fatal("no xenstore ring (HVM_PARAM_STORE_PFN is 0): the ping-pong needs a domU started by xl");
    }
    check_remote_exists(cfg.remote);
    let port = evtchn::alloc_unbound(cfg.remote).unwrap_or_else(|e| fatal(e));
    PORT.call_once(|| port);
    xenstore::write(KEY_PORT, &alloc::format!("{}", port.get())).unwrap_or_else(|e| fatal(e));
    publish_state("ready");
    events::bind_handler(port, on_event);
    log::info!("xenbell: ready port={} remote={}", port.get(), cfg.remote);
    if let Some(ns) = crate::time::now_ns() {
        log::info!("boot: kernel entry to ready in {} us", ns / 1000);
    }

    let mut peer = peer::Peer::new(port);
    if cfg.mode == Mode::Lead {
        LEADING.store(true, Ordering::Relaxed);
        lead::run(&mut peer, cfg.rounds);
        LEADING.store(false, Ordering::Relaxed);
    }
    suspend_request::watch();
    loop {
        peer.wait_and_track();
        suspend_request::poll(cfg, &mut peer);
    }
}

/// Xen accepts alloc_unbound for any domid, so a typo in `remote=` would
/// leave us waiting for a peer that cannot come: check that it exists.
fn check_remote_exists(remote: u16) {
    match crate::xen::memory::domain_exists(remote) {
        Ok(true) => {}
        Ok(false) => {
            log::error!("cmdline: bad value '{remote}' for key 'remote': no domain {remote} exists");
            platform::crash();
        }
        Err(e) => log::warn!("pingpong: cannot tell whether domain {remote} exists: {e}"),
    }
}

/// Counters of the current session, reset when a peer leaves: events can
/// only come from a bound peer, so whatever arrives next is the next session's.
pub fn reset_session() {
    RECEIVED.store(0, Ordering::Relaxed);
    ANSWERED.store(0, Ordering::Relaxed);
}

pub fn session() -> (u64, u64) {
    (RECEIVED.load(Ordering::Relaxed), ANSWERED.load(Ordering::Relaxed))
}
