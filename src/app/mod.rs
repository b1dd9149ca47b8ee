//! The application: xenbell's side of the event-channel ping-pong.
//!
//! Protocol (keys in [`keys`], relative to our xenstore home):
//! 1. We allocate an unbound port that only `remote` may bind and publish it
//!    as `data/xenbell/port`, with `guest-state` = 2 and `state` = `ready`.
//! 2. The peer binds it and asks for a session (`peer-state` = 3); we open
//!    one (`guest-state` = 4, `state` = `connected`). A peer that speaks no
//!    handshake gets a session from its first event ([`session`]).
//! 3. serve: every event from the peer is answered with one of ours, from the
//!    upcall handler. lead: we send `rounds` pings, one at a time, and time
//!    each round trip with Xen's clock; then `done`, and we serve.
//! 4. The peer says goodbye (`peer-state` = 5/6) or its port goes unbound:
//!    we say `disconnected`, `state` = `ready`, and wait for the next peer.
//!
//! [`mainloop`] waits for all of it and dispatches; [`control`] obeys the
//! toolstack's `control/shutdown`. We never send before the peer has bound:
//! Xen drops such a send silently.

mod control;
mod cost;
mod idle;
mod keys;
mod lead;
mod lifecycle;
mod mainloop;
mod ports;
mod session;
mod vchan;
mod vcpus;

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use cmdline::{Config, Mode};
use spin::Once;
use xen_abi::Port;

use crate::boot_phases::{self, Phase};
use crate::shutdown;
use crate::xen::{events, evtchn, xenstore};

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

fn fatal(what: impl core::fmt::Display) -> ! {
    shutdown::fail(format_args!("xenbell: {what}"))
}

pub fn run(cfg: &Config, is_dom0: bool) -> ! {
    if !xenstore::init() {
        if is_dom0 {
            // Booted directly as a PVH dom0 (quick kernel checks): there is
            // no xenstore and no peer. Not an error; nothing to serve.
            log::info!("xenbell: running as dom0, no xenstore and no peer: nothing to serve (selftest= runs checks here), powering off");
            shutdown::poweroff();
        }
        fatal("no xenstore ring (HVM_PARAM_STORE_PFN is 0): the ping-pong needs a domU started by xl");
    }
    check_remote_exists(cfg.remote);
    boot_phases::mark(Phase::Xenstore);
    if cfg.mode == Mode::Vchan {
        vchan::run(cfg);
    }
    ports::check(cfg.ports);
    let port = evtchn::alloc_unbound(cfg.remote).unwrap_or_else(|e| fatal(e));
    PORT.call_once(|| port);
    events::bind_handler(port, on_event);
    if let Some(p) = cfg.priority {
        ports::prioritise(port, p);
    }
    ports::offer(cfg.ports, port, cfg.remote);
    boot_phases::mark(Phase::Port);
    let mut main = mainloop::Loop::new(port, cfg.remote);
    // Listening before publishing: a peer that finds the port finds
    // guest-state (so it speaks the handshake) and is heard.
    main.start();
    xenstore::write(keys::GUEST_STATE, keys::INIT_WAIT).unwrap_or_else(|e| fatal(e));
    xenstore::write(keys::PORT, &alloc::format!("{}", port.get())).unwrap_or_else(|e| fatal(e));
    keys::publish(keys::STATE, keys::state::READY);
    boot_phases::mark(Phase::Publish);
    log::info!("{}", xenbell_proto::console::Ready { port: port.get(), remote: cfg.remote });
    if let Some(ns) = crate::time::now_ns() {
        log::info!("boot: kernel entry to ready in {} us", ns / 1000);
        boot_phases::report();
    }
    main.settle();
    main.sessions.idle.start();

    if cfg.mode == Mode::Lead {
        LEADING.store(true, Ordering::Relaxed);
        lead::run(&mut main, cfg.rounds);
        LEADING.store(false, Ordering::Relaxed);
    }
    loop {
        main.step();
    }
}

/// Xen accepts alloc_unbound for any domid, so a typo in `remote=` would
/// leave us waiting for a peer that cannot come: check that it exists.
fn check_remote_exists(remote: u16) {
    match crate::xen::memory::domain_exists(remote) {
        Ok(true) => {}
        Ok(false) => {
            shutdown::fail(format_args!("cmdline: key 'remote': bad value '{remote}': no domain {remote} exists"))
        }
        Err(e) => log::warn!("pingpong: domain {remote}: cannot tell whether it exists: {e}"),
    }
}

/// Counters of the current session, reset when a session closes (and when
/// a handshake session opens): events can only come from a bound peer, so
/// whatever arrives next is the next session's.
pub fn reset_session() {
    RECEIVED.store(0, Ordering::Relaxed);
    ANSWERED.store(0, Ordering::Relaxed);
}

pub fn session() -> (u64, u64) {
    (RECEIVED.load(Ordering::Relaxed), ANSWERED.load(Ordering::Relaxed))
}
