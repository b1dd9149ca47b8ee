//! Suspend and resume, as the application sees them (`xl save`, `xl
//! restore`, `xl migrate`, `xl save -c`): [`suspend_and_resume`] is what an
//! acknowledged `suspend` request in `control/shutdown` ends in.
//!
//! Keys (docs/protocol.md, relative to our home): before leaving we write
//! `leaving` = `suspend` and `guest-state` = 5 (Closing), so a dom0 peer
//! that stops getting answers can tell a suspend from a hang (its
//! `ping --follow` then waits for us).
//! - Cancelled (`xl save -c`, a failed save): the same domain, port and peer
//!   binding: the keys go back (guest-state 4 or 2, `leaving` removed) and
//!   the session goes on; the events that came meanwhile are handled.
//! - Resumed in a new domain (restore, migrate): the xenstore tree, our
//!   port and the peer's binding are gone. The old session is reported as
//!   ended, the watches are set again, a new port is allocated for `remote`
//!   and published (`state=ready`, guest-state 2), and the next peer is
//!   served. With `ports=K` the other ports are offered again too, and a
//!   `priority=P` is applied again (app::ports::after_move).
//!
//! Console lines: `xenbell: suspending`, then `xenbell: suspend cancelled`
//! or `xenbell: resumed domid=<d> incarnation=<n>` followed by a new
//! `xenbell: ready port=<p> remote=<r>`.

use alloc::format;

use xen_abi::DomId;

use super::keys::{self, publish};
use super::session::Sessions;
use super::{fatal, on_event};
use crate::watchdog::{self, Phase};
use crate::xen::suspend::{self, Outcome, SuspendError};
use crate::xen::{events, evtchn, xenstore};

/// Suspends the domain and picks up afterwards (see the module doc).
/// `rewatch` sets the application's watches again in a new domain. The
/// error is Xen's refusal to suspend; the domain then goes on as after a
/// cancel. A failed rebuild in a new domain crashes it (it cannot go on).
pub fn suspend_and_resume(sessions: &mut Sessions, remote: DomId, rewatch: fn()) -> Result<Outcome, SuspendError> {
    publish(keys::LEAVING, "suspend");
    publish(keys::GUEST_STATE, keys::CLOSING);
    // Events from here on stay pending: on a cancel they are handled once
    // unmasked; in a new domain they went with the old one, and the peer
    // sends them again. Either way, each counted event was answered.
    events::mask(sessions.port());
    log::info!("xenbell: suspending");
    // The main loop stops while we are suspended: not a stall.
    watchdog::progress(Phase::Off);
    let outcome = suspend::suspend();
    watchdog::progress(Phase::Idle);
    if let Err(e @ SuspendError::Resume(_)) = outcome {
        fatal(e);
    }
    match outcome {
        Ok(Outcome::Resumed { domid, incarnation, clock_jump_ns }) => {
            log::info!(
                "xenbell: resumed domid={} incarnation={incarnation}",
                domid.map_or_else(|| "?".into(), |d| format!("{d}"))
            );
            log::info!("lifecycle: Xen system time jumped {} ms across the move", clock_jump_ns / 1_000_000);
            rewatch();
            let port = evtchn::alloc_unbound(remote).unwrap_or_else(|e| fatal(e));
            sessions.moved(port);
            xenstore::write(keys::PORT, &format!("{}", port.get())).unwrap_or_else(|e| fatal(e));
            publish(keys::STATE, keys::state::READY);
            publish(keys::GUEST_STATE, keys::INIT_WAIT);
            events::bind_handler(port, on_event);
            super::ports::after_move(port, remote);
            log::info!("{}", xenbell_proto::console::Ready { port: port.get(), remote });
        }
        Ok(Outcome::Cancelled) | Err(_) => {
            match &outcome {
                Err(e) => log::warn!("lifecycle: {e}: not suspended, going on"),
                _ => log::info!("xenbell: suspend cancelled"),
            }
            let state = if sessions.is_open() { keys::CONNECTED } else { keys::INIT_WAIT };
            publish(keys::GUEST_STATE, state);
            if let Err(e) = xenstore::rm(keys::LEAVING) {
                log::warn!("{}: {e}", keys::LEAVING);
            }
            events::unmask(sessions.port());
        }
    }
    outcome
}
